//! The sheet, laid out in mm on an A4-wide page: the header, the map frame, the legend band
//! (shares, symbols, scale bar and north), and the sources.

use std::borrow::Cow;
use std::fmt::Write;

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon};

use super::frame::{frame_height, padded, round_scale, Frame, Rect, ScaleBar};
use super::labels::{self, Line, Request, PITCH};
use super::scale::{Cartography, GapDrawing};
use super::svg::{escape, line_path, num, polygon_path, text, TextStyle, FONT_FAMILY};
use super::words::{self, wrap, Words};
use super::{on_page, AreaKind, Content, GroupArea};
use crate::analysis::summary::CategorySummary;
use crate::input::config::{Lang, Products};
use crate::output::style;
use crate::output::text::{category_title, distance_in as distance, headline, thousands};
use crate::pipeline::{Analysis, GroupResult};
use crate::reach::circles::cells::clip_half_plane;

/// Sheet width (A4), mm.
const PAGE_W: f64 = 210.0;
/// Margin on every side, mm.
const MARGIN: f64 = 10.0;
/// Width between the margins, mm.
const CONTENT_W: f64 = PAGE_W - 2.0 * MARGIN;
/// Map frame height bounds, mm: a 190 mm wide frame between these, from the area's aspect.
const FRAME_MIN_H: f64 = 95.0;
const FRAME_MAX_H: f64 = 185.0;

// Font sizes, mm (1 pt = 0.353 mm).
const TITLE: f64 = 5.6;
const CATEGORY: f64 = 4.0;
const HEADLINE: f64 = 3.4;
const HEADING: f64 = 2.9;
const LEGEND: f64 = 2.6;
const LABEL: f64 = 2.5;
const LABEL_SHARE: f64 = 2.1;
const FOOT: f64 = 2.2;

const INK: &str = "#1a1a1a";
const GREY: &str = "#555555";
const HALO: &str = "#ffffff";

/// Line pitch of headings and running text, as a multiple of the font size.
const LEADING: f64 = 1.3;

/// The baseline of a line whose box starts at `top`.
fn baseline(top: f64, size: f64) -> f64 {
    top + size * 0.95
}

fn style(size: f64, bold: bool, fill: &str) -> TextStyle<'_> {
    TextStyle {
        size,
        bold,
        fill,
        anchor: "start",
    }
}

/// Writes lines of text from `top` down; returns the y below them.
fn paragraph(out: &mut String, x: f64, top: f64, lines: &[String], st: TextStyle<'_>) -> f64 {
    let mut y = top;
    for line in lines {
        text(
            out,
            Coord {
                x,
                y: baseline(y, st.size),
            },
            st,
            line,
        );
        y += st.size * LEADING;
    }
    y
}

/// An id prefix safe in XML and unique per category, for the clip path.
fn id_prefix(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("lc-{clean}")
}

/// A share for a label: whole percent, rounded down so that only full cover reads 100%.
fn label_pct(share: f64) -> String {
    let tenths = (share * 1000.0).round();
    format!("{}%", (tenths / 10.0).floor())
}

/// The whole SVG of one category's map.
pub fn draw(
    analysis: &Analysis,
    c: usize,
    products: &Products,
    content: &Content,
    focus: Option<usize>,
) -> String {
    let cat = &analysis.categories[c];
    let group = focus.map(|f| &content.groups()[f]);
    let s = figures_shown(analysis, &cat.summary, group);
    let lang = products.lang;
    let colour = style::category_colour(c);
    let mut body = String::new();

    let mut y = header(&mut body, analysis, s, group, products, colour);

    // The map: the study area, or the group with some of its surroundings.
    let extent = match group.and_then(|g| g.shape.bounding_rect()) {
        Some(r) => padded([r.min().x, r.min().y, r.max().x, r.max().y], 0.06),
        None => content.extent,
    };
    let (mut frame, mut carto) = fit(content, extent, y);
    if group.is_none() && carto.is_city() {
        // A city fills its frame: the margin is white space its maps cannot spare.
        (frame, carto) = fit(content, padded(content.extent_m, CITY_PADDING), y);
    }
    let rect = frame.rect;
    let id = match group {
        Some(g) => format!("{}-g{}", id_prefix(&s.name), g.group),
        None => id_prefix(&s.name),
    };
    let view = View {
        frame: &frame,
        carto: &carto,
        focus: group,
        groups: &analysis.groups,
        group_title: analysis.group_title(),
        category: &cat.summary.name,
    };
    map_body(&mut body, content, &view, colour, &id);
    y = rect.bottom() + 5.0;

    // The legend band.
    y += legend(&mut body, content, s, &view, colour, lang, y) + 3.0;

    y = sources(&mut body, analysis, s, products, y);
    let page_h = y + MARGIN - 2.0;
    svg_document(&body, products, s, page_h)
}

/// The figures a map gives: a group's map the group's, else the study area's.
fn figures_shown<'a>(
    analysis: &'a Analysis,
    summary: &'a CategorySummary,
    group: Option<&GroupArea>,
) -> &'a CategorySummary {
    group
        .and_then(|g| {
            analysis.groups[g.group]
                .categories
                .iter()
                .find(|gs| gs.name == summary.name)
        })
        .unwrap_or(summary)
}

/// The header: the title, the category with its marker (and the group), the result.
/// Returns the y below it.
fn header(
    body: &mut String,
    analysis: &Analysis,
    s: &CategorySummary,
    group: Option<&GroupArea>,
    products: &Products,
    colour: &str,
) -> f64 {
    let lang = products.lang;
    let mut y = MARGIN;
    y = paragraph(
        body,
        MARGIN,
        y,
        &wrap(&products.title, TITLE, true, CONTENT_W),
        style(TITLE, true, INK),
    ) + 0.6;
    let indent = 4.2;
    let _ = writeln!(
        body,
        "<circle cx=\"{}\" cy=\"{}\" r=\"1.5\" fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"0.25\"/>",
        num(MARGIN + 1.6),
        num(y + CATEGORY * 0.6)
    );
    let heading = match group {
        Some(g) => format!("{} · {}", category_title(s), analysis.groups[g.group].group),
        None => category_title(s).to_string(),
    };
    y = paragraph(
        body,
        MARGIN + indent,
        y,
        &wrap(&heading, CATEGORY, true, CONTENT_W - indent),
        style(CATEGORY, true, INK),
    );
    paragraph(
        body,
        MARGIN + indent,
        y,
        &wrap(&headline(s, lang), HEADLINE, false, CONTENT_W - indent),
        style(HEADLINE, false, "#333333"),
    ) + 1.5
}

/// The sources from `top`, under a rule; returns the y below them.
fn sources(
    body: &mut String,
    analysis: &Analysis,
    s: &CategorySummary,
    products: &Products,
    top: f64,
) -> f64 {
    let w = words::words(products.lang);
    let mut y = top;
    let _ = writeln!(
        body,
        "<path d=\"M{} {}H{}\" stroke=\"#bdbdbd\" stroke-width=\"0.2\"/>",
        num(MARGIN),
        num(y),
        num(PAGE_W - MARGIN)
    );
    y += 1.6;
    paragraph(
        body,
        MARGIN,
        y,
        &words::wrap_notes(&footer(analysis, s, products, w), w.sep, FOOT, CONTENT_W),
        style(FOOT, false, GREY),
    )
}

/// The SVG file: its head (size, language, title, white page), then `body`.
fn svg_document(body: &str, products: &Products, s: &CategorySummary, page_h: f64) -> String {
    let lang = products.lang;
    let mut out = String::with_capacity(body.len() + 1024);
    let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}mm\" height=\"{h}mm\" \
         viewBox=\"0 0 {w} {h}\" xml:lang=\"{lang}\" font-family=\"{FONT_FAMILY}\">",
        w = num(PAGE_W),
        h = num(page_h),
        lang = match lang {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    );
    let _ = writeln!(
        out,
        "<title>{}</title>",
        escape(&format!("{}: {}", products.title, category_title(s)))
    );
    let _ = writeln!(
        out,
        "<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(PAGE_W),
        num(page_h)
    );
    out.push_str(body);
    out.push_str("</svg>\n");
    out
}

/// The margin around a city's map, as a share of its larger side.
const CITY_PADDING: f64 = 0.01;

/// The map frame from `top` that holds `extent`, and the cartography at its scale.
fn fit(content: &Content, extent: super::frame::Extent, top: f64) -> (Frame, Cartography) {
    let rect = Rect {
        x: MARGIN,
        y: top,
        w: CONTENT_W,
        h: frame_height(extent, CONTENT_W, FRAME_MIN_H, FRAME_MAX_H),
    };
    let frame = Frame::fit(extent, rect);
    let [west, south, east, north] = frame.ground();
    let shown = content
        .sites
        .iter()
        .filter(|p| (west..=east).contains(&p.x) && (south..=north).contains(&p.y))
        .count();
    (frame, Cartography::choose(content, &frame, shown))
}

/// How one sheet's map is drawn: its frame, its cartography, and the group it is of.
struct View<'a> {
    frame: &'a Frame,
    carto: &'a Cartography,
    /// The group the map is framed on, if it is a group's map.
    focus: Option<&'a GroupArea>,
    /// The run's groups and their figures.
    groups: &'a [GroupResult],
    /// What a group is (district, street), for the legend.
    group_title: &'a str,
    /// The category mapped.
    category: &'a str,
}

impl View<'_> {
    /// Whether a shape with this bounding box shows in the frame. A group's map draws only
    /// what it shows; the study area's map draws everything (the frame holds it).
    fn shows(&self, bbox: Option<geo::Rect<f64>>) -> bool {
        if self.focus.is_none() {
            return true;
        }
        let [w, s, e, n] = self.frame.ground();
        bbox.is_some_and(|b| b.min().x <= e && b.max().x >= w && b.min().y <= n && b.max().y >= s)
    }

    /// The shape as drawn: on a group's map, its rings cut to a little more than the frame
    /// shows (the frame's clip path hides the cut edges), so a city-wide service area or
    /// gap costs the page only its part in view; the study area's map draws shapes whole.
    fn cut<'s>(&self, shape: &'s MultiPolygon<f64>) -> Cow<'s, MultiPolygon<f64>> {
        if self.focus.is_none() {
            return Cow::Borrowed(shape);
        }
        let [w, s, e, n] = self.frame.ground();
        let margin = 0.02 * (e - w).max(n - s);
        let window = [w - margin, s - margin, e + margin, n + margin];
        Cow::Owned(cut_to(shape, window))
    }

    /// The name of the group the map is framed on, if it is a group's map.
    fn focus_name(&self) -> Option<&str> {
        self.focus
            .and_then(|g| self.groups.get(g.group))
            .map(|g| g.group.as_str())
    }

    /// This category's coverage in the `g`-th group (NaN without a figure).
    fn group_share(&self, g: usize) -> f64 {
        self.groups
            .get(g)
            .and_then(|g| g.categories.iter().find(|s| s.name == self.category))
            .map_or(f64::NAN, |s| s.coverage)
    }

    fn shows_point(&self, p: Coord<f64>) -> bool {
        self.shows(Some(geo::Rect::new(p, p)))
    }

    /// Whether an area's label is drawn: on a group's map, only its own communities'.
    fn labels(&self, area: &super::Area) -> bool {
        match self.focus {
            Some(g) => area.group == Some(g.group),
            None => !self.carto.group_labels,
        }
    }
}

/// `shape` with every ring cut to the `window` (west, south, east, north) by
/// Sutherland–Hodgman: inside the window each point keeps its winding number, so fills
/// inside it are drawn as before; rings left with under three points go, and so do
/// polygons whose outer ring goes.
fn cut_to(shape: &MultiPolygon<f64>, window: [f64; 4]) -> MultiPolygon<f64> {
    let [w, s, e, n] = window;
    let ring = |line: &LineString<f64>| -> Option<LineString<f64>> {
        let mut pts: Vec<Coord<f64>> = line.0.clone();
        if pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        let sides: [&dyn Fn(Coord<f64>) -> f64; 4] =
            [&|c| w - c.x, &|c| c.x - e, &|c| s - c.y, &|c| c.y - n];
        let mut buf = Vec::with_capacity(pts.len() + 4);
        for side in sides {
            clip_half_plane(&pts, &mut buf, side);
            std::mem::swap(&mut pts, &mut buf);
            if pts.is_empty() {
                return None;
            }
        }
        if pts.len() < 3 {
            return None;
        }
        pts.push(pts[0]);
        Some(LineString(pts))
    };
    MultiPolygon(
        shape
            .0
            .iter()
            .filter_map(|p| {
                let exterior = ring(p.exterior())?;
                Some(Polygon::new(
                    exterior,
                    p.interiors().iter().filter_map(ring).collect(),
                ))
            })
            .collect(),
    )
}

/// The map frame and everything in it.
fn map_body(out: &mut String, content: &Content, view: &View<'_>, colour: &str, id: &str) {
    let frame = view.frame;
    let carto = view.carto;
    let r = frame.rect;
    let rect_attrs = format!(
        "x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
        num(r.x),
        num(r.y),
        num(r.w),
        num(r.h)
    );
    let _ = writeln!(
        out,
        "<defs><clipPath id=\"{id}-frame\"><rect {rect_attrs}/></clipPath></defs>"
    );
    let _ = writeln!(out, "<g id=\"map\" clip-path=\"url(#{id}-frame)\">");

    let circles = service_areas(out, content, view, colour);
    if !content.areas.is_empty() {
        areas(out, content, view);
    }
    if !content.points.is_empty() {
        demand_points(out, content, view);
    }
    gaps(out, content, view, id);
    if !content.streets.is_empty() {
        streets(out, content, view);
    }
    if let Some(width) = carto.circle_stroke {
        service_area_outlines(out, &circles, colour, width);
    }
    if carto.group_labels {
        group_outlines(out, content, frame);
    }

    let mut markers = facility_markers(out, content, view, colour);
    proposed_sites(out, content, frame, colour, &mut markers);
    if let Some(g) = view.focus {
        fade_outside(out, g, frame);
    }

    if carto.group_labels {
        group_labels(out, content, view, &markers);
    } else {
        community_labels(out, content, view, &markers);
    }
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        "<rect {rect_attrs} fill=\"none\" stroke=\"#404040\" stroke-width=\"0.3\"/>"
    );
}

/// Service areas: the translucent fill under the communities, so their fills show the
/// legend's colours exactly (the outline goes over them). Returns their path data.
fn service_areas(
    out: &mut String,
    content: &Content,
    view: &View<'_>,
    colour: &str,
) -> Vec<String> {
    let circles: Vec<String> = content
        .circles
        .iter()
        .filter(|shape| view.shows(shape.bounding_rect()))
        .map(|shape| polygon_path(&view.cut(shape), view.frame))
        .filter(|d| !d.is_empty())
        .collect();
    let _ = writeln!(
        out,
        "<g id=\"service-areas\" fill=\"{colour}\" fill-opacity=\"{}\" fill-rule=\"evenodd\">",
        style::CIRCLE_FILL_OPACITY
    );
    for d in &circles {
        let _ = writeln!(out, "<path d=\"{d}\"/>");
    }
    out.push_str("</g>\n");
    circles
}

/// The demand points within reach (a run without communities).
fn demand_points(out: &mut String, content: &Content, view: &View<'_>) {
    out.push_str("<g id=\"demand-points\" fill=\"#737373\">\n");
    for (p, _) in content
        .points
        .iter()
        .filter(|(p, covered)| *covered && view.shows_point(*p))
    {
        let p = view.frame.place(*p);
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"0.4\"/>",
            num(p.x),
            num(p.y)
        );
    }
    out.push_str("</g>\n");
}

/// The streets walked along, faint, over the share colours and under the reach.
fn streets(out: &mut String, content: &Content, view: &View<'_>) {
    let _ = writeln!(
        out,
        "<g id=\"streets\" fill=\"none\" stroke=\"{INK}\" stroke-opacity=\"0.35\" \
         stroke-width=\"0.12\" stroke-linecap=\"round\" stroke-linejoin=\"round\">"
    );
    for line in content
        .streets
        .iter()
        .filter(|l| view.shows(l.bounding_rect()))
    {
        let d = line_path(line, view.frame);
        if !d.is_empty() {
            let _ = writeln!(out, "<path d=\"{d}\"/>");
        }
    }
    out.push_str("</g>\n");
}

/// The service areas' outlines, `width` mm, over the communities.
fn service_area_outlines(out: &mut String, circles: &[String], colour: &str, width: f64) {
    let _ = writeln!(
        out,
        "<g id=\"service-area-outlines\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{}\" \
         stroke-linejoin=\"round\">",
        num(width)
    );
    for d in circles {
        let _ = writeln!(out, "<path d=\"{d}\"/>");
    }
    out.push_str("</g>\n");
}

/// The category's facilities as markers; returns the boxes they cover on the page.
fn facility_markers(
    out: &mut String,
    content: &Content,
    view: &View<'_>,
    colour: &str,
) -> Vec<Rect> {
    let carto = view.carto;
    let _ = writeln!(
        out,
        "<g id=\"facilities\" fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"{}\">",
        num(carto.marker_stroke)
    );
    let mut markers = Vec::with_capacity(content.sites.len());
    let marker_r = carto.marker_r;
    for p in content.sites.iter().filter(|p| view.shows_point(**p)) {
        let p = view.frame.place(*p);
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
            num(p.x),
            num(p.y),
            num(marker_r)
        );
        markers.push(Rect {
            x: p.x - marker_r,
            y: p.y - marker_r,
            w: 2.0 * marker_r,
            h: 2.0 * marker_r,
        });
    }
    out.push_str("</g>\n");
    markers
}

/// The communities (or demand polygons) filled by their share class, outlined as the scale
/// allows.
fn areas(out: &mut String, content: &Content, view: &View<'_>) {
    let layer = match content.kind {
        Some(AreaKind::Demand) => "demand",
        _ => "communities",
    };
    let stroke = match view.carto.outline_mm {
        Some(width) => format!(
            "stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\"",
            view.carto.outline_colour,
            num(width)
        ),
        None => "stroke=\"none\"".to_string(),
    };
    let _ = writeln!(out, "<g id=\"{layer}\" {stroke} fill-rule=\"evenodd\">");
    for a in content
        .areas
        .iter()
        .filter(|a| view.shows(a.shape.bounding_rect()))
    {
        let d = polygon_path(&view.cut(&a.shape), view.frame);
        if d.is_empty() {
            continue;
        }
        let fill = style::share_colour(Some(a.share));
        if view.carto.outline_mm.is_some() {
            let _ = writeln!(out, "<path fill=\"{fill}\" d=\"{d}\"/>");
        } else {
            // Without outlines, an edge in the fill's own colour closes the hairline seams
            // anti-aliasing leaves between neighbours.
            let _ = writeln!(
                out,
                "<path fill=\"{fill}\" stroke=\"{fill}\" stroke-width=\"{SEAM_MM}\" d=\"{d}\"/>"
            );
        }
    }
    out.push_str("</g>\n");
}

/// Width of the edge that closes the seams between unoutlined neighbours, mm.
const SEAM_MM: f64 = 0.1;

/// The gaps: at a district's scale a vermilion band inside each gap's edge (a stroke twice
/// as wide, clipped to the gap), so the fill under it keeps the legend's colour and the
/// circle's edge stays seen; at a city's scale, where bands would touch, vermilion
/// hatching over the gap.
fn gaps(out: &mut String, content: &Content, view: &View<'_>, id: &str) {
    let frame = view.frame;
    let gaps: Vec<String> = content
        .gap_areas
        .iter()
        .filter(|shape| view.shows(shape.bounding_rect()))
        .map(|shape| polygon_path(&view.cut(shape), frame))
        .filter(|d| !d.is_empty())
        .collect();
    match view.carto.gaps {
        GapDrawing::Band(band) => {
            if !gaps.is_empty() {
                out.push_str("<defs>\n");
                for (i, d) in gaps.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "<clipPath id=\"{id}-gap{i}\"><path clip-rule=\"evenodd\" d=\"{d}\"/></clipPath>"
                    );
                }
                out.push_str("</defs>\n");
            }
            let _ = writeln!(
                out,
                "<g id=\"gaps\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\">",
                style::GAP_COLOUR,
                num(2.0 * band)
            );
            for (i, d) in gaps.iter().enumerate() {
                let _ = writeln!(out, "<path clip-path=\"url(#{id}-gap{i})\" d=\"{d}\"/>");
            }
        }
        GapDrawing::Hatch => {
            hatch_pattern(out, &format!("{id}-hatch"));
            let _ = writeln!(
                out,
                "<g id=\"gaps\" fill=\"none\" stroke=\"{}\">",
                style::GAP_COLOUR
            );
            for d in &gaps {
                let _ = writeln!(
                    out,
                    "<path fill=\"url(#{id}-hatch)\" fill-rule=\"evenodd\" stroke=\"none\" d=\"{d}\"/>"
                );
            }
        }
    }
    for p in content.gap_points.iter().filter(|p| view.shows_point(**p)) {
        let p = frame.place(*p);
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"0.8\" stroke-width=\"0.5\"/>",
            num(p.x),
            num(p.y)
        );
    }
    out.push_str("</g>\n");
}

/// Spacing of the gaps' hatching, mm, and the width of its lines.
const HATCH_SPACING: f64 = 1.8;
const HATCH_WIDTH: f64 = 0.22;

/// A pattern of vermilion lines at 45°, `HATCH_SPACING` apart.
fn hatch_pattern(out: &mut String, pattern_id: &str) {
    let _ = writeln!(
        out,
        "<defs><pattern id=\"{pattern_id}\" patternUnits=\"userSpaceOnUse\" width=\"{s}\" \
         height=\"{s}\" patternTransform=\"rotate(45)\"><path d=\"M0 {h}H{s}\" stroke=\"{}\" \
         stroke-width=\"{}\"/></pattern></defs>",
        style::GAP_COLOUR,
        num(HATCH_WIDTH),
        s = num(HATCH_SPACING),
        h = num(HATCH_SPACING / 2.0),
    );
}

/// The groups' boundaries, over the share colours, on a city's map.
fn group_outlines(out: &mut String, content: &Content, frame: &Frame) {
    let _ = writeln!(
        out,
        "<g id=\"group-boundaries\" fill=\"none\" stroke=\"#404040\" stroke-width=\"0.35\" \
         stroke-linejoin=\"round\">"
    );
    for g in content.groups() {
        // The outer edges only: a lake inside a district is not a border.
        let outer = MultiPolygon(
            g.shape
                .0
                .iter()
                .map(|p| Polygon::new(p.exterior().clone(), Vec::new()))
                .collect(),
        );
        let d = polygon_path(&outer, frame);
        if !d.is_empty() {
            let _ = writeln!(out, "<path d=\"{d}\"/>");
        }
    }
    out.push_str("</g>\n");
}

/// On a group's map: everything outside the group under a white veil, and the group's
/// boundary.
fn fade_outside(out: &mut String, group: &GroupArea, frame: &Frame) {
    let r = frame.rect;
    let d = polygon_path(&group.shape, frame);
    let _ = writeln!(
        out,
        "<path id=\"faded\" fill=\"#ffffff\" fill-opacity=\"{FADE}\" fill-rule=\"evenodd\" \
         d=\"M{} {}H{}V{}H{}Z{d}\"/>",
        num(r.x),
        num(r.y),
        num(r.right()),
        num(r.bottom()),
        num(r.x),
    );
    let _ = writeln!(
        out,
        "<path id=\"focus\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"0.5\" \
         stroke-linejoin=\"round\" d=\"{d}\"/>"
    );
}

/// Opacity of the white veil over what lies outside a group's map's group.
const FADE: f64 = 0.65;

/// The proposed sites: black-outlined stars in the category's colour with their rank, over
/// a dashed circle of their reach when reach is a straight-line circle.
fn proposed_sites(
    out: &mut String,
    content: &Content,
    frame: &Frame,
    colour: &str,
    markers: &mut Vec<Rect>,
) {
    if content.proposed.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<g id=\"proposed-sites\" stroke=\"{INK}\" stroke-width=\"0.3\">"
    );
    if let Some(r) = content.proposed_radius_m {
        for p in &content.proposed {
            let c = frame.place(*p);
            let _ = writeln!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"none\" stroke=\"{colour}\" \
                 stroke-width=\"0.5\" stroke-dasharray=\"1.6 1\"/>",
                num(c.x),
                num(c.y),
                num(r * frame.mm_per_m())
            );
        }
    }
    for (i, p) in content.proposed.iter().enumerate() {
        let c = frame.place(*p);
        let _ = writeln!(
            out,
            "<path fill=\"{colour}\" d=\"{}\"/>",
            star(c.x, c.y, STAR_R)
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"2.6\" font-weight=\"bold\" fill=\"{INK}\" \
             stroke=\"#ffffff\" stroke-width=\"0.5\" paint-order=\"stroke\">{}</text>",
            num(c.x + STAR_R + 0.3),
            num(c.y - STAR_R * 0.4),
            i + 1
        );
        markers.push(Rect {
            x: c.x - STAR_R,
            y: c.y - STAR_R,
            w: 2.0 * STAR_R + 3.0,
            h: 2.0 * STAR_R,
        });
    }
    out.push_str("</g>\n");
}

/// Outer radius of a proposed site's star, mm.
const STAR_R: f64 = 2.2;

/// A five-pointed star of outer radius `r` around (`cx`, `cy`), point up, as path data.
fn star(cx: f64, cy: f64, r: f64) -> String {
    let mut d = String::new();
    for k in 0..10 {
        let radius = if k % 2 == 0 { r } else { r * 0.45 };
        let angle = std::f64::consts::PI * (k as f64) / 5.0;
        let (x, y) = (cx + radius * angle.sin(), cy - radius * angle.cos());
        d.push_str(&format!(
            "{}{} {} ",
            if k == 0 { 'M' } else { 'L' },
            num(x),
            num(y)
        ));
    }
    d.push('Z');
    d
}

fn community_labels(out: &mut String, content: &Content, view: &View<'_>, markers: &[Rect]) {
    let frame = view.frame;
    let mut order: Vec<&super::Area> = content
        .areas
        .iter()
        .filter(|a| a.name.is_some() && a.anchor.is_some() && view.labels(a))
        .collect();
    // Larger communities first; ties in input order (the sort is stable).
    order.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    let requests: Vec<Request> = order
        .iter()
        .filter_map(|a| {
            let name = a.name.as_ref()?;
            let anchor = frame.place(a.anchor?);
            let mut lines = vec![Line {
                text: name.clone(),
                size: LABEL,
                bold: true,
            }];
            if a.share.is_finite() {
                lines.push(Line {
                    text: label_pct(a.share),
                    size: LABEL_SHARE,
                    bold: false,
                });
            }
            Some(Request {
                lines,
                anchor,
                area: on_page(&a.shape, frame),
            })
        })
        .collect();
    let placed = labels::place(&requests, markers, frame.rect.grown(-0.5));
    draw_labels(out, &placed);
}

/// On a city's map, each group's name and this category's coverage there, in place of the
/// communities' labels.
fn group_labels(out: &mut String, content: &Content, view: &View<'_>, markers: &[Rect]) {
    let frame = view.frame;
    let mut order: Vec<&GroupArea> = content
        .groups()
        .iter()
        .filter(|g| g.anchor.is_some())
        .collect();
    // Larger groups first.
    order.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    let requests: Vec<Request> = order
        .iter()
        .filter_map(|g| {
            let mut lines = vec![Line {
                text: view.groups.get(g.group)?.group.clone(),
                size: LABEL,
                bold: true,
            }];
            let share = view.group_share(g.group);
            if share.is_finite() {
                lines.push(Line {
                    text: label_pct(share),
                    size: LABEL_SHARE,
                    bold: false,
                });
            }
            Some(Request {
                lines,
                anchor: frame.place(g.anchor?),
                area: on_page(&g.shape, frame),
            })
        })
        .collect();
    let placed = labels::place(&requests, markers, frame.rect.grown(-0.5));
    draw_labels(out, &placed);
}

/// Labels as placed: white halos under every label, then the text.
fn draw_labels(out: &mut String, placed: &[labels::Placed]) {
    if placed.is_empty() {
        return;
    }
    // Halos first, under every label, then the text.
    for (halo, fill) in [(true, HALO), (false, INK)] {
        let _ = writeln!(
            out,
            "<g id=\"labels{}\" text-anchor=\"middle\" fill=\"{fill}\"{}>",
            if halo { "-halo" } else { "" },
            if halo {
                format!(
                    " stroke=\"{HALO}\" stroke-width=\"0.7\" stroke-linejoin=\"round\" stroke-opacity=\"0.9\""
                )
            } else {
                String::new()
            }
        );
        for p in placed {
            let cx = p.rect.x + p.rect.w / 2.0;
            let mut top = p.rect.y;
            for l in &p.lines {
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{}>{}</text>",
                    num(cx),
                    num(top + l.size * (PITCH - 1.0) / 2.0 + l.size * 0.88),
                    num(l.size),
                    if l.bold { " font-weight=\"bold\"" } else { "" },
                    escape(&l.text)
                );
                top += l.size * PITCH;
            }
        }
        out.push_str("</g>\n");
    }
}

/// The legend band from `top`: the share classes, the symbols, the scale bar and north.
/// Returns its height.
fn legend(
    out: &mut String,
    content: &Content,
    s: &CategorySummary,
    view: &View<'_>,
    colour: &str,
    lang: Lang,
    top: f64,
) -> f64 {
    let w = words::words(lang);
    let radius = distance(s.radius_m, lang);
    out.push_str("<g id=\"legend\">\n");
    // Column 1: the fill.
    let y1 = fill_column(out, content, view, lang, &radius, top);
    // Column 2: the symbols.
    let y2 = symbols_column(out, content, s, view, colour, lang, top);
    // Column 3: scale and north.
    let x3 = MARGIN + 142.0;
    let y3 = scale_bar(out, view.frame, w, lang, x3, top);
    north_arrow(out, content.north_deg, PAGE_W - MARGIN - 3.5, top + 0.5);
    out.push_str("</g>\n");
    (y1.max(y2).max(y3) - top).max(0.0)
}

/// A legend symbol: a 7 x 4 mm box at (`x`, `y`) with these attributes.
fn swatch(out: &mut String, x: f64, y: f64, attrs: &str) {
    let _ = writeln!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"7\" height=\"4\" {attrs}/>",
        num(x),
        num(y)
    );
}

/// A legend row: a symbol 7 x 4 mm (drawn by the caller), the label beside it; returns the
/// row's height.
fn legend_row(out: &mut String, x: f64, y: f64, width: f64, label: &str) -> f64 {
    let lines = wrap(label, LEGEND, false, width - 9.0);
    let h = lines.len() as f64 * LEGEND * LEADING;
    // Centre the first line on the symbol.
    let first = y + 2.0 - LEGEND * LEADING / 2.0;
    paragraph(out, x + 9.0, first, &lines, style(LEGEND, false, INK));
    (h + (2.0 - LEGEND * LEADING / 2.0)).max(4.0) + 1.2
}

/// Left edge and width of the legend's first column (the fill), mm.
const FILL_X: f64 = MARGIN;
const FILL_W: f64 = 60.0;
/// Left edge and width of the legend's second column (the symbols), mm.
const SYMBOLS_X: f64 = MARGIN + 64.0;
const SYMBOLS_W: f64 = 74.0;

/// The legend's first column from `top`: the share classes of the fill, or the demand
/// points' symbol; returns the y below it.
fn fill_column(
    out: &mut String,
    content: &Content,
    view: &View<'_>,
    lang: Lang,
    radius: &str,
    top: f64,
) -> f64 {
    let w = words::words(lang);
    match content.kind {
        Some(kind) => share_classes(out, content, view, kind, lang, radius, top),
        None if !content.points.is_empty() => {
            let y1 = paragraph(
                out,
                FILL_X,
                top,
                &wrap(w.symbols_heading, HEADING, true, FILL_W),
                style(HEADING, true, INK),
            ) + 0.8;
            let _ = writeln!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"0.6\" fill=\"#737373\"/>",
                num(FILL_X + 3.5),
                num(y1 + 2.0)
            );
            y1 + legend_row(out, FILL_X, y1, FILL_W, w.demand_point)
        }
        None => top,
    }
}

/// The share classes of the fill from `top`, each with how many areas fall in it; returns
/// the y below them.
fn share_classes(
    out: &mut String,
    content: &Content,
    view: &View<'_>,
    kind: AreaKind,
    lang: Lang,
    radius: &str,
    top: f64,
) -> f64 {
    let w = words::words(lang);
    let heading = match kind {
        AreaKind::Communities => w.share_heading,
        AreaKind::Demand => w.demand_share_heading,
    }
    .replace("{r}", radius);
    let mut y1 = paragraph(
        out,
        FILL_X,
        top,
        &wrap(&heading, HEADING, true, FILL_W),
        style(HEADING, true, INK),
    ) + 0.8;
    let counts = share_class_counts(content, view);
    for (i, fill) in style::SHARE_COLOURS.iter().enumerate() {
        let label = share_class_label(i, kind, lang, counts[i]);
        swatch(
            out,
            FILL_X,
            y1,
            &format!(
                "fill=\"{fill}\" stroke=\"{}\" stroke-width=\"0.2\"",
                style::COMMUNITY_OUTLINE
            ),
        );
        y1 += legend_row(out, FILL_X, y1, FILL_W, &label);
    }
    y1
}

/// How many areas with a share fall in each share class (on a group's map, the group's).
fn share_class_counts(content: &Content, view: &View<'_>) -> [usize; 5] {
    let mut counts = [0usize; 5];
    let counted = |a: &&super::Area| match view.focus {
        Some(g) => a.group == Some(g.group),
        None => true,
    };
    for a in content
        .areas
        .iter()
        .filter(counted)
        .filter(|a| a.share.is_finite())
    {
        counts[style::share_class(a.share)] += 1;
    }
    counts
}

/// The `i`-th share class's label: its range and how many areas fall in it.
fn share_class_label(i: usize, kind: AreaKind, lang: Lang, count: usize) -> String {
    let from = if i == 0 {
        0.0
    } else {
        style::SHARE_BREAKS[i - 1]
    };
    format!(
        "{}–{}%{}{}",
        (from * 100.0).round(),
        (style::SHARE_BREAKS[i] * 100.0).round(),
        if lang == Lang::Zh { "" } else { " " },
        match (kind, lang, thousands(count as f64)) {
            (AreaKind::Communities, Lang::En, n) if n == "1" => {
                "(1 community)".to_string()
            }
            (AreaKind::Communities, Lang::En, n) => format!("({n} communities)"),
            (AreaKind::Communities, Lang::Zh, n) => format!("（{n} 个社区）"),
            (AreaKind::Demand, Lang::En, n) => format!("({n})"),
            (AreaKind::Demand, Lang::Zh, n) => format!("（{n} 处）"),
        }
    )
}

/// The legend's second column from `top`: the facilities, the proposed sites, the reach,
/// the gaps and the boundaries; returns the y below it.
fn symbols_column(
    out: &mut String,
    content: &Content,
    s: &CategorySummary,
    view: &View<'_>,
    colour: &str,
    lang: Lang,
    top: f64,
) -> f64 {
    let w = words::words(lang);
    let mut y2 = paragraph(
        out,
        SYMBOLS_X,
        top,
        &wrap(w.symbols_heading, HEADING, true, SYMBOLS_W),
        style(HEADING, true, INK),
    ) + 0.8;
    y2 = facility_rows(out, content, s, view, colour, lang, y2);
    y2 = reach_row(out, s, view, colour, lang, y2);
    y2 = gap_row(out, content, s, view, lang, y2);
    boundary_rows(out, content, view, lang, y2)
}

/// The rows of the facilities and of the proposed sites (if any) from `top`; returns the y
/// below them.
fn facility_rows(
    out: &mut String,
    content: &Content,
    s: &CategorySummary,
    view: &View<'_>,
    colour: &str,
    lang: Lang,
    top: f64,
) -> f64 {
    let (x2, w2) = (SYMBOLS_X, SYMBOLS_W);
    let w = words::words(lang);
    let carto = view.carto;
    let mut y2 = top;
    let _ = writeln!(
        out,
        "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"{}\"/>",
        num(x2 + 3.5),
        num(y2 + 2.0),
        num(carto.marker_r),
        num(carto.marker_stroke)
    );
    let mut facilities = w.facilities.replace("{n}", &thousands(s.facilities as f64));
    // A group's map shows the facilities around it, so "outside the group" says nothing.
    if s.facilities_outside > 0 && view.focus.is_none() {
        facilities = format!(
            "{facilities}{}{}",
            if lang == Lang::Zh { "，" } else { ", " },
            w.outside
                .replace("{k}", &thousands(s.facilities_outside as f64))
        );
    }
    y2 += legend_row(out, x2, y2, w2, &facilities);
    if !content.proposed.is_empty() {
        let _ = writeln!(
            out,
            "<path fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"0.3\" d=\"{}\"/>",
            star(x2 + 3.5, y2 + 2.0, STAR_R)
        );
        let proposed = w
            .proposed
            .replace("{n}", &thousands(content.proposed.len() as f64));
        y2 += legend_row(out, x2, y2, w2, &proposed);
    }
    y2
}

/// The row of the service areas (the reach and how it is measured) at `top`; returns the y
/// below it.
fn reach_row(
    out: &mut String,
    s: &CategorySummary,
    view: &View<'_>,
    colour: &str,
    lang: Lang,
    top: f64,
) -> f64 {
    let w = words::words(lang);
    let radius = distance(s.radius_m, lang);
    swatch(
        out,
        SYMBOLS_X,
        top,
        &match view.carto.circle_stroke {
            Some(width) => format!(
                "fill=\"{colour}\" fill-opacity=\"{}\" stroke=\"{colour}\" stroke-width=\"{}\"",
                style::CIRCLE_FILL_OPACITY,
                num(width)
            ),
            None => format!(
                "fill=\"{colour}\" fill-opacity=\"{}\" stroke=\"none\"",
                style::CIRCLE_FILL_OPACITY
            ),
        },
    );
    let model = words::distance_model(&s.distance_model, lang);
    top + legend_row(
        out,
        SYMBOLS_X,
        top,
        SYMBOLS_W,
        &w.circles.replace("{r}", &radius).replace("{model}", &model),
    )
}

/// The row of the gaps at `top`, drawn as the map draws them; returns the y below it.
fn gap_row(
    out: &mut String,
    content: &Content,
    s: &CategorySummary,
    view: &View<'_>,
    lang: Lang,
    top: f64,
) -> f64 {
    let (x2, y2) = (SYMBOLS_X, top);
    let w = words::words(lang);
    let gap = style::GAP_COLOUR;
    if content.gap_points.is_empty() || !content.gap_areas.is_empty() {
        match view.carto.gaps {
            GapDrawing::Band(band) => {
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" stroke=\"{gap}\" stroke-width=\"{}\"/>",
                    num(x2 + band / 2.0),
                    num(y2 + band / 2.0),
                    num(7.0 - band),
                    num(4.0 - band),
                    num(band)
                );
            }
            GapDrawing::Hatch => {
                hatch_pattern(out, "legend-hatch");
                swatch(
                    out,
                    x2,
                    y2,
                    &format!("fill=\"url(#legend-hatch)\" stroke=\"{gap}\" stroke-width=\"0.15\""),
                );
            }
        }
    } else {
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"0.8\" fill=\"none\" stroke=\"{gap}\" stroke-width=\"0.5\"/>",
            num(x2 + 3.5),
            num(y2 + 2.0)
        );
    }
    let gaps = if s.gaps == 0 {
        w.no_gaps.to_string()
    } else {
        w.gaps.replace("{n}", &thousands(s.gaps as f64))
    };
    y2 + legend_row(out, x2, y2, SYMBOLS_W, &gaps)
}

/// The rows of the boundaries from `top`: the communities', the groups' and, on a group's
/// map, the veil outside it; returns the y below them.
fn boundary_rows(
    out: &mut String,
    content: &Content,
    view: &View<'_>,
    lang: Lang,
    top: f64,
) -> f64 {
    let (x2, w2) = (SYMBOLS_X, SYMBOLS_W);
    let w = words::words(lang);
    let carto = view.carto;
    let mut y2 = top;
    if content.kind == Some(AreaKind::Communities) {
        match carto.outline_mm {
            Some(width) => {
                swatch(
                    out,
                    x2,
                    y2,
                    &format!(
                        "fill=\"#ffffff\" stroke=\"{}\" stroke-width=\"{}\"",
                        carto.outline_colour,
                        num(width)
                    ),
                );
                y2 += legend_row(out, x2, y2, w2, w.boundary);
            }
            None => y2 += legend_row(out, x2, y2, w2, w.boundary_not_drawn),
        }
    }
    if carto.group_labels {
        swatch(
            out,
            x2,
            y2,
            "fill=\"#ffffff\" stroke=\"#404040\" stroke-width=\"0.35\"",
        );
        let label = w.group_boundary.replace("{group}", view.group_title);
        y2 += legend_row(out, x2, y2, w2, &label);
    }
    if let Some(name) = view.focus_name() {
        swatch(
            out,
            x2,
            y2,
            &format!(
                "fill=\"{}\" stroke=\"{INK}\" stroke-width=\"0.5\"",
                style::SHARE_COLOURS[2]
            ),
        );
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"3.5\" height=\"4\" fill=\"#ffffff\" fill-opacity=\"{FADE}\"/>",
            num(x2 + 3.5),
            num(y2)
        );
        y2 += legend_row(out, x2, y2, w2, &w.faded.replace("{name}", name));
    }
    y2
}

/// The scale bar and the ratio scale from `top`; returns the y below them.
fn scale_bar(out: &mut String, frame: &Frame, w: &Words, lang: Lang, x: f64, top: f64) -> f64 {
    let mut y = paragraph(
        out,
        x,
        top,
        &[w.scale.to_string()],
        style(HEADING, true, INK),
    ) + 0.8;
    // At most 32 mm, so the end label stays clear of the north arrow.
    let bar = ScaleBar::fitting(frame.mm_per_m(), 32.0);
    let km = bar.metres >= 1000.0;
    let value = |m: f64| {
        let v = if km { m / 1000.0 } else { m };
        crate::input::config::fmt_num(v)
    };
    let unit = match (km, lang) {
        (true, Lang::En) => "km",
        (false, Lang::En) => "m",
        (true, Lang::Zh) => "千米",
        (false, Lang::Zh) => "米",
    };
    // Tick labels above the bar: 0, the middle (four segments), the end with its unit.
    let label_base = y + LEGEND * 0.95;
    let ticks: Vec<f64> = if bar.segments == 4 {
        vec![0.0, 0.5, 1.0]
    } else {
        vec![0.0, 1.0]
    };
    for t in ticks {
        let tx = x + t * bar.mm;
        let label = value(t * bar.metres);
        text(
            out,
            Coord {
                x: tx,
                y: label_base,
            },
            TextStyle {
                size: LEGEND,
                bold: false,
                fill: INK,
                anchor: "middle",
            },
            &label,
        );
        if t == 1.0 {
            text(
                out,
                Coord {
                    x: tx + super::words::text_width(&label, LEGEND, false) / 2.0 + 0.8,
                    y: label_base,
                },
                style(LEGEND, false, INK),
                unit,
            );
        }
    }
    y += LEGEND * LEADING + 0.4;
    let seg = bar.mm / bar.segments as f64;
    let _ = writeln!(
        out,
        "<g id=\"scale-bar\" data-metres=\"{}\" stroke=\"{INK}\" stroke-width=\"0.2\">",
        crate::input::config::fmt_num(bar.metres)
    );
    for i in 0..bar.segments {
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"1.6\" fill=\"{}\"/>",
            num(x + i as f64 * seg),
            num(y),
            num(seg),
            if i % 2 == 0 { INK } else { "#ffffff" }
        );
    }
    out.push_str("</g>\n");
    y += 1.6 + 1.0;
    paragraph(
        out,
        x,
        y,
        &[w.ratio
            .replace("{n}", &thousands(round_scale(frame.scale_denominator())))],
        style(LEGEND, false, GREY),
    )
}

/// A north arrow turned to true north, 10 mm tall from `top`, centred on `cx`: the "N",
/// then a dart, half black, half white.
fn north_arrow(out: &mut String, rotation_deg: f64, cx: f64, top: f64) {
    text(
        out,
        Coord {
            x: cx,
            y: top + 2.9,
        },
        TextStyle {
            size: HEADING,
            bold: true,
            fill: INK,
            anchor: "middle",
        },
        "N",
    );
    let (tip, notch, base) = (num(top + 3.6), num(top + 8.4), num(top + 10.0));
    let (x, left, right) = (num(cx), num(cx - 2.2), num(cx + 2.2));
    let turn = format!("{:.2}", rotation_deg);
    let _ = writeln!(
        out,
        "<g id=\"north\" transform=\"rotate({turn} {x} {})\" stroke=\"{INK}\" stroke-width=\"0.2\" \
         stroke-linejoin=\"round\">\n\
         <path d=\"M{x} {tip}L{right} {base}L{x} {notch}Z\" fill=\"{INK}\"/>\n\
         <path d=\"M{x} {tip}L{left} {base}L{x} {notch}Z\" fill=\"#ffffff\"/>\n</g>",
        num(top + 6.8),
    );
}

/// The sources notes: attribution, distance model, projection, this tool.
pub(super) fn footer(
    analysis: &Analysis,
    s: &CategorySummary,
    products: &Products,
    w: &Words,
) -> Vec<String> {
    let lang = products.lang;
    let radius = distance(s.radius_m, lang);
    let basis = words::radius_basis(&s.radius_basis, lang);
    let mut model = w
        .model
        .replace("{model}", &words::distance_model(&s.distance_model, lang))
        .replace("{r}", &radius);
    // A radius given in metres needs no "(1,000 m)" after it.
    if s.radius_basis == format!("{} m", crate::input::config::fmt_num(s.radius_m)) {
        model = model.replace(" ({basis})", "").replace("（{basis}）", "");
    }
    let model = model.replace("{basis}", &basis);
    let mut notes = Vec::new();
    if let Some(a) = products
        .attribution
        .as_deref()
        .filter(|a| !a.trim().is_empty())
    {
        notes.push(a.trim().to_string());
    }
    notes.push(model);
    notes.push(
        w.projection
            .replace("{crs}", &analysis.work_crs.to_string()),
    );
    notes.push(w.credit.to_string());
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_percentages_only_read_100_when_full() {
        assert_eq!(label_pct(1.0), "100%");
        assert_eq!(label_pct(0.996), "99%");
        assert_eq!(label_pct(0.29), "29%");
        assert_eq!(label_pct(0.0), "0%");
    }

    #[test]
    fn ids_are_xml_names() {
        assert_eq!(id_prefix("elderly_care"), "lc-elderly_care");
        assert_eq!(id_prefix("菜 市场"), "lc-____");
    }
}
