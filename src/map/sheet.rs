//! The sheet, laid out in mm on an A4-wide page: the header, the map frame, the legend band
//! (shares, symbols, scale bar and north), and the sources.

use std::fmt::Write;

use geo::Coord;

use super::frame::{frame_height, round_scale, Frame, Rect, ScaleBar};
use super::labels::{self, Line, Request, PITCH};
use super::svg::{escape, line_path, num, polygon_path, text, TextStyle, FONT_FAMILY};
use super::words::{self, wrap, Words};
use super::{on_page, AreaKind, Content};
use crate::config::{Lang, Products};
use crate::pipeline::Analysis;
use crate::style;
use crate::summary::CategorySummary;
use crate::text::{category_title, distance_in as distance, headline, thousands};

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
pub fn draw(analysis: &Analysis, c: usize, products: &Products, content: &Content) -> String {
    let s = &analysis.categories[c].summary;
    let lang = products.lang;
    let w = words::words(lang);
    let colour = style::category_colour(c);
    let mut body = String::new();

    // Header: the title, the category with its marker, the result.
    let mut y = MARGIN;
    y = paragraph(
        &mut body,
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
    y = paragraph(
        &mut body,
        MARGIN + indent,
        y,
        &wrap(category_title(s), CATEGORY, true, CONTENT_W - indent),
        style(CATEGORY, true, INK),
    );
    y = paragraph(
        &mut body,
        MARGIN + indent,
        y,
        &wrap(&headline(s, lang), HEADLINE, false, CONTENT_W - indent),
        style(HEADLINE, false, "#333333"),
    ) + 1.5;

    // The map.
    let rect = Rect {
        x: MARGIN,
        y,
        w: CONTENT_W,
        h: frame_height(content.extent, CONTENT_W, FRAME_MIN_H, FRAME_MAX_H),
    };
    let frame = Frame::fit(content.extent, rect);
    let id = id_prefix(&s.name);
    map_body(&mut body, content, &frame, colour, &id);
    y = rect.bottom() + 5.0;

    // The legend band.
    y += legend(&mut body, content, s, &frame, colour, lang, y) + 3.0;

    // Sources.
    let _ = writeln!(
        body,
        "<path d=\"M{} {}H{}\" stroke=\"#bdbdbd\" stroke-width=\"0.2\"/>",
        num(MARGIN),
        num(y),
        num(PAGE_W - MARGIN)
    );
    y += 1.6;
    y = paragraph(
        &mut body,
        MARGIN,
        y,
        &words::wrap_notes(&footer(analysis, s, products, w), w.sep, FOOT, CONTENT_W),
        style(FOOT, false, GREY),
    );
    let page_h = y + MARGIN - 2.0;

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
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

/// The map frame and everything in it.
fn map_body(out: &mut String, content: &Content, frame: &Frame, colour: &str, id: &str) {
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

    // Service areas: the translucent fill under the communities, so their fills show the
    // legend's colours exactly; the outline over them.
    let circles: Vec<String> = content
        .circles
        .iter()
        .map(|shape| polygon_path(shape, frame))
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

    if !content.areas.is_empty() {
        let layer = match content.kind {
            Some(AreaKind::Demand) => "demand",
            _ => "communities",
        };
        let _ = writeln!(
            out,
            "<g id=\"{layer}\" stroke=\"{}\" stroke-width=\"0.25\" stroke-linejoin=\"round\" fill-rule=\"evenodd\">",
            style::COMMUNITY_OUTLINE
        );
        for a in &content.areas {
            let d = polygon_path(&a.shape, frame);
            if !d.is_empty() {
                let fill = style::share_colour(Some(a.share));
                let _ = writeln!(out, "<path fill=\"{fill}\" d=\"{d}\"/>");
            }
        }
        out.push_str("</g>\n");
    }

    if !content.points.is_empty() {
        out.push_str("<g id=\"demand-points\" fill=\"#737373\">\n");
        for (p, _) in content.points.iter().filter(|(_, covered)| *covered) {
            let p = frame.place(*p);
            let _ = writeln!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"0.4\"/>",
                num(p.x),
                num(p.y)
            );
        }
        out.push_str("</g>\n");
    }

    // Gaps: a vermilion band inside each gap's edge (a stroke twice as wide, clipped to the
    // gap), so the fill under it keeps the legend's colour and the circle's edge stays seen.
    let gaps: Vec<String> = content
        .gap_areas
        .iter()
        .map(|shape| polygon_path(shape, frame))
        .filter(|d| !d.is_empty())
        .collect();
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
        num(2.0 * gap_band(content, frame))
    );
    for (i, d) in gaps.iter().enumerate() {
        let _ = writeln!(out, "<path clip-path=\"url(#{id}-gap{i})\" d=\"{d}\"/>");
    }
    for p in &content.gap_points {
        let p = frame.place(*p);
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"0.8\" stroke-width=\"0.5\"/>",
            num(p.x),
            num(p.y)
        );
    }
    out.push_str("</g>\n");

    if !content.streets.is_empty() {
        // The streets walked along, faint, over the share colours and under the reach.
        let _ = writeln!(
            out,
            "<g id=\"streets\" fill=\"none\" stroke=\"{INK}\" stroke-opacity=\"0.35\" \
             stroke-width=\"0.12\" stroke-linecap=\"round\" stroke-linejoin=\"round\">"
        );
        for line in &content.streets {
            let d = line_path(line, frame);
            if !d.is_empty() {
                let _ = writeln!(out, "<path d=\"{d}\"/>");
            }
        }
        out.push_str("</g>\n");
    }
    let _ = writeln!(
        out,
        "<g id=\"service-area-outlines\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"0.45\" \
         stroke-linejoin=\"round\">"
    );
    for d in &circles {
        let _ = writeln!(out, "<path d=\"{d}\"/>");
    }
    out.push_str("</g>\n");

    let _ = writeln!(
        out,
        "<g id=\"facilities\" fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"0.25\">"
    );
    let mut markers = Vec::with_capacity(content.sites.len());
    for p in &content.sites {
        let p = frame.place(*p);
        let _ = writeln!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{MARKER_R}\"/>",
            num(p.x),
            num(p.y)
        );
        markers.push(Rect {
            x: p.x - MARKER_R,
            y: p.y - MARKER_R,
            w: 2.0 * MARKER_R,
            h: 2.0 * MARKER_R,
        });
    }
    out.push_str("</g>\n");
    proposed_sites(out, content, frame, colour, &mut markers);

    community_labels(out, content, frame, &markers);
    out.push_str("</g>\n");
    let _ = writeln!(
        out,
        "<rect {rect_attrs} fill=\"none\" stroke=\"#404040\" stroke-width=\"0.3\"/>"
    );
}

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

/// Width of the band inside a gap's edge, mm: a twentieth of a typical area's side on the
/// page, from 0.25 mm (a city of small blocks) to 0.6 mm (a district).
fn gap_band(content: &Content, frame: &Frame) -> f64 {
    let mut sides: Vec<f64> = content
        .areas
        .iter()
        .map(|a| a.area_m2.sqrt() * frame.mm_per_m())
        .filter(|s| s.is_finite())
        .collect();
    if sides.is_empty() {
        return 0.6;
    }
    sides.sort_by(f64::total_cmp);
    (sides[sides.len() / 2] / 20.0).clamp(0.25, 0.6)
}

/// Radius of a facility marker, mm.
const MARKER_R: f64 = 1.25;

fn community_labels(out: &mut String, content: &Content, frame: &Frame, markers: &[Rect]) {
    let mut order: Vec<&super::Area> = content
        .areas
        .iter()
        .filter(|a| a.name.is_some() && a.anchor.is_some())
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
        for p in &placed {
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
    frame: &Frame,
    colour: &str,
    lang: Lang,
    top: f64,
) -> f64 {
    let w = words::words(lang);
    let radius = distance(s.radius_m, lang);
    let swatch = |out: &mut String, x: f64, y: f64, attrs: &str| {
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"7\" height=\"4\" {attrs}/>",
            num(x),
            num(y)
        );
    };
    // A row: a symbol 7 x 4 mm, the label beside it; returns the row's height.
    let row = |out: &mut String, x: f64, y: f64, width: f64, label: &str| -> f64 {
        let lines = wrap(label, LEGEND, false, width - 9.0);
        let h = lines.len() as f64 * LEGEND * LEADING;
        // Centre the first line on the symbol.
        let first = y + 2.0 - LEGEND * LEADING / 2.0;
        paragraph(out, x + 9.0, first, &lines, style(LEGEND, false, INK));
        (h + (2.0 - LEGEND * LEADING / 2.0)).max(4.0) + 1.2
    };

    out.push_str("<g id=\"legend\">\n");
    // Column 1: the fill.
    let (x1, w1) = (MARGIN, 60.0);
    let mut y1 = top;
    match content.kind {
        Some(kind) => {
            let heading = match kind {
                AreaKind::Communities => w.share_heading,
                AreaKind::Demand => w.demand_share_heading,
            }
            .replace("{r}", &radius);
            y1 = paragraph(
                out,
                x1,
                y1,
                &wrap(&heading, HEADING, true, w1),
                style(HEADING, true, INK),
            ) + 0.8;
            let mut counts = [0usize; 5];
            for a in content.areas.iter().filter(|a| a.share.is_finite()) {
                counts[style::share_class(a.share)] += 1;
            }
            for (i, fill) in style::SHARE_COLOURS.iter().enumerate() {
                let from = if i == 0 {
                    0.0
                } else {
                    style::SHARE_BREAKS[i - 1]
                };
                let label = format!(
                    "{}–{}%{}{}",
                    (from * 100.0).round(),
                    (style::SHARE_BREAKS[i] * 100.0).round(),
                    if lang == Lang::Zh { "" } else { " " },
                    match (kind, lang, thousands(counts[i] as f64)) {
                        (AreaKind::Communities, Lang::En, n) if n == "1" => {
                            "(1 community)".to_string()
                        }
                        (AreaKind::Communities, Lang::En, n) => format!("({n} communities)"),
                        (AreaKind::Communities, Lang::Zh, n) => format!("（{n} 个社区）"),
                        (AreaKind::Demand, Lang::En, n) => format!("({n})"),
                        (AreaKind::Demand, Lang::Zh, n) => format!("（{n} 处）"),
                    }
                );
                swatch(
                    out,
                    x1,
                    y1,
                    &format!(
                        "fill=\"{fill}\" stroke=\"{}\" stroke-width=\"0.2\"",
                        style::COMMUNITY_OUTLINE
                    ),
                );
                y1 += row(out, x1, y1, w1, &label);
            }
        }
        None if !content.points.is_empty() => {
            y1 = paragraph(
                out,
                x1,
                y1,
                &wrap(w.symbols_heading, HEADING, true, w1),
                style(HEADING, true, INK),
            ) + 0.8;
            let _ = writeln!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"0.6\" fill=\"#737373\"/>",
                num(x1 + 3.5),
                num(y1 + 2.0)
            );
            y1 += row(out, x1, y1, w1, w.demand_point);
        }
        None => {}
    }

    // Column 2: the symbols.
    let (x2, w2) = (MARGIN + 64.0, 74.0);
    let mut y2 = paragraph(
        out,
        x2,
        top,
        &wrap(w.symbols_heading, HEADING, true, w2),
        style(HEADING, true, INK),
    ) + 0.8;
    let _ = writeln!(
        out,
        "<circle cx=\"{}\" cy=\"{}\" r=\"{MARKER_R}\" fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"0.25\"/>",
        num(x2 + 3.5),
        num(y2 + 2.0)
    );
    let mut facilities = w.facilities.replace("{n}", &thousands(s.facilities as f64));
    if s.facilities_outside > 0 {
        facilities = format!(
            "{facilities}{}{}",
            if lang == Lang::Zh { "，" } else { ", " },
            w.outside
                .replace("{k}", &thousands(s.facilities_outside as f64))
        );
    }
    y2 += row(out, x2, y2, w2, &facilities);
    if !content.proposed.is_empty() {
        let _ = writeln!(
            out,
            "<path fill=\"{colour}\" stroke=\"{INK}\" stroke-width=\"0.3\" d=\"{}\"/>",
            star(x2 + 3.5, y2 + 2.0, STAR_R)
        );
        let proposed = w
            .proposed
            .replace("{n}", &thousands(content.proposed.len() as f64));
        y2 += row(out, x2, y2, w2, &proposed);
    }
    swatch(
        out,
        x2,
        y2,
        &format!(
            "fill=\"{colour}\" fill-opacity=\"{}\" stroke=\"{colour}\" stroke-width=\"0.45\"",
            style::CIRCLE_FILL_OPACITY
        ),
    );
    let model = words::distance_model(&s.distance_model, lang);
    y2 += row(
        out,
        x2,
        y2,
        w2,
        &w.circles.replace("{r}", &radius).replace("{model}", &model),
    );
    let gap = style::GAP_COLOUR;
    if content.gap_points.is_empty() || !content.gap_areas.is_empty() {
        let band = gap_band(content, frame);
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" stroke=\"{gap}\" stroke-width=\"{}\"/>",
            num(x2 + band / 2.0),
            num(y2 + band / 2.0),
            num(7.0 - band),
            num(4.0 - band),
            num(band)
        );
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
    y2 += row(out, x2, y2, w2, &gaps);
    if content.kind == Some(AreaKind::Communities) {
        swatch(
            out,
            x2,
            y2,
            &format!(
                "fill=\"#ffffff\" stroke=\"{}\" stroke-width=\"0.25\"",
                style::COMMUNITY_OUTLINE
            ),
        );
        y2 += row(out, x2, y2, w2, w.boundary);
    }

    // Column 3: scale and north.
    let x3 = MARGIN + 142.0;
    let y3 = scale_bar(out, frame, w, lang, x3, top);
    north_arrow(out, content.north_deg, PAGE_W - MARGIN - 3.5, top + 0.5);
    out.push_str("</g>\n");
    (y1.max(y2).max(y3) - top).max(0.0)
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
        crate::config::fmt_num(v)
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
        crate::config::fmt_num(bar.metres)
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
fn footer(analysis: &Analysis, s: &CategorySummary, products: &Products, w: &Words) -> Vec<String> {
    let lang = products.lang;
    let radius = distance(s.radius_m, lang);
    let basis = words::radius_basis(&s.radius_basis, lang);
    let mut model = w
        .model
        .replace("{model}", &words::distance_model(&s.distance_model, lang))
        .replace("{r}", &radius);
    // A radius given in metres needs no "(1,000 m)" after it.
    if s.radius_basis == format!("{} m", crate::config::fmt_num(s.radius_m)) {
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
