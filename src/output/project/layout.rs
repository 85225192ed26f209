//! One print layout per category, A4 landscape, ready to export: the title and the
//! category's result, the map following the category's theme, its legend, a scale bar, a
//! north arrow and the sources line the PNG maps carry.
//!
//! ```text
//!  ┌──────────────────────────────────────────────────────────────┐
//!  │ Title                                                        │
//!  │ Category: 85.2% of residents within 1,000 m (target 95% ...) │
//!  │ ┌──────────────────────────────────────┐  Legend             │
//!  │ │                                 north│  Proposed sites     │
//!  │ │          map (theme)                 │  Facilities         │
//!  │ │                                      │  Gaps ...           │
//!  │ └──────────────────────────────────────┘                     │
//!  │ scale bar                                                    │
//!  │ sources · distance model and radius · projection · credit    │
//!  └──────────────────────────────────────────────────────────────┘
//! ```

use geo::{Coord, Rect};

use super::{custom_properties, rect_attrs, tree_layer, Context, ProjectCrs};
use crate::input::config::Lang;
use crate::output::layers::{GeometryKind, LayerKind};
use crate::output::qml::LABEL_FONTS;
use crate::output::text::{category_title, colon, distance_in, headline, thousands};
use crate::output::xml::Element;

/// The page, mm (A4 landscape).
const PAGE: (f64, f64) = (297.0, 210.0);
/// Margin, mm.
const MARGIN: f64 = 10.0;
/// The map frame: left, top, width, height, mm.
const MAP: (f64, f64, f64, f64) = (MARGIN, 26.0, 195.0, 160.0);
/// Room kept around the study area inside the frame, as a share of its size.
const PADDING: f64 = 0.03;
/// A scale bar segment is about this long on paper, mm.
const SEGMENT_MM: f64 = 20.0;

/// Item types of QGIS's layout registry (`QgsLayoutItemRegistry`).
const PAGE_ITEM: &str = "65638";
const MAP_ITEM: &str = "65639";
const PICTURE_ITEM: &str = "65640";
const LABEL_ITEM: &str = "65641";
const LEGEND_ITEM: &str = "65642";
const SCALE_BAR_ITEM: &str = "65646";

/// The print layout of the `c`-th category, named after its theme.
pub(crate) fn print_layout(
    ctx: &Context<'_>,
    c: usize,
    theme: &str,
    crs: &ProjectCrs,
    view: Rect<f64>,
) -> Element {
    let lang = ctx.products.lang;
    let s = &ctx.analysis.categories[c].summary;
    let uuid = |item: u32| format!("{{6c1fe000-0000-4000-8000-{c:06x}{item:06x}}}");
    let map_uuid = uuid(1);
    let extent = fitted(view, MAP.2 / MAP.3);
    let ground_width = ground_width(extent, crs);
    let result = format!("{}{}{}", category_title(s), colon(lang), headline(s, lang));
    let sources = crate::output::map::sources(ctx.analysis, c, ctx.products)
        .join(crate::output::map::words::words(lang).sep);
    let width = PAGE.0 - 2.0 * MARGIN;
    Element::new("Layout")
        .attr("name", theme)
        .attr("units", "mm")
        .attr("printResolution", "300")
        .attr("worldFileMap", "")
        .child(page(uuid(0)))
        .child(
            label(
                "title",
                uuid(2),
                &ctx.products.title,
                16.0,
                true,
                (MARGIN, 8.0, width, 10.0),
            )
            .attr("zValue", "2"),
        )
        .child(
            label(
                "result",
                uuid(3),
                &result,
                10.0,
                false,
                (MARGIN, 18.0, width, 7.0),
            )
            .attr("zValue", "3"),
        )
        .child(map(&map_uuid, theme, extent))
        .child(north_arrow(uuid(4), &map_uuid))
        .child(legend(ctx, c, uuid(5), &map_uuid))
        .child(scale_bar(uuid(6), &map_uuid, ground_width, lang))
        .child(
            label(
                "sources",
                uuid(7),
                &sources,
                7.0,
                false,
                (MARGIN, 197.0, width, 8.0),
            )
            .attr("zValue", "7"),
        )
}

/// The common attributes of a layout item at `(x, y)` mm, `w` x `h` mm.
/// `id` is the name the layout's item list shows.
fn item(kind: &str, id: &str, uuid: &str, (x, y, w, h): (f64, f64, f64, f64)) -> Element {
    Element::new("LayoutItem")
        .attr("type", kind)
        .attr("uuid", uuid)
        .attr("templateUuid", uuid)
        .attr("id", id)
        .attr("position", &format!("{x},{y},mm"))
        .attr("positionOnPage", &format!("{x},{y},mm"))
        .attr("size", &format!("{w},{h},mm"))
        .attr("referencePoint", "0")
        .attr("positionLock", "false")
        .attr("itemRotation", "0")
        .attr("visibility", "1")
        .attr("opacity", "1")
        .attr("blendMode", "0")
        .attr("excludeFromExports", "0")
        .attr("groupUuid", "")
        .attr("outlineWidthM", "0.3,mm")
        .attr("frameJoinStyle", "miter")
}

fn colour(name: &'static str, r: u8, g: u8, b: u8) -> Element {
    Element::new(name)
        .attr("red", &r.to_string())
        .attr("green", &g.to_string())
        .attr("blue", &b.to_string())
        .attr("alpha", "255")
}

fn frame_colours(el: Element) -> Element {
    el.child(colour("FrameColor", 0, 0, 0))
        .child(colour("BackgroundColor", 255, 255, 255))
}

/// A font as QGIS stores one (`QFont::toString`): the first CJK font of the styles, so
/// Chinese text renders wherever the project is opened.
fn font(size: f64, bold: bool) -> String {
    format!(
        "{},{size},-1,5,{},0,0,0,0,0",
        LABEL_FONTS[0],
        if bold { 75 } else { 50 }
    )
}

fn page(uuid: String) -> Element {
    let page = frame_colours(
        item(PAGE_ITEM, "", &uuid, (0.0, 0.0, PAGE.0, PAGE.1))
            .attr("zValue", "0")
            .attr("frame", "false")
            .attr("background", "true"),
    );
    Element::new("PageCollection")
        .child(page)
        .child(Element::new("GuideCollection").attr("visible", "1"))
}

fn label(
    id: &str,
    uuid: String,
    text: &str,
    size: f64,
    bold: bool,
    at: (f64, f64, f64, f64),
) -> Element {
    frame_colours(
        item(LABEL_ITEM, id, &uuid, at)
            .attr("labelText", text)
            .attr("htmlState", "0")
            .attr("halign", "1")
            .attr("valign", "32")
            .attr("marginX", "0")
            .attr("marginY", "0")
            .attr("frame", "false")
            .attr("background", "false"),
    )
    .child(
        Element::new("LabelFont")
            .attr("description", &font(size, bold))
            .attr("style", ""),
    )
    .child(colour("FontColor", 0, 0, 0))
}

fn map(uuid: &str, theme: &str, extent: Rect<f64>) -> Element {
    frame_colours(
        item(MAP_ITEM, "map", uuid, MAP)
            .attr("zValue", "1")
            .attr("frame", "true")
            .attr("background", "true")
            .attr("followPreset", "true")
            .attr("followPresetName", theme)
            .attr("keepLayerSet", "false")
            .attr("drawCanvasItems", "true")
            .attr("mapRotation", "0")
            .attr("labelMargin", "0,mm")
            .attr("isTemporal", "0")
            .attr("mapFlags", "0"),
    )
    .child(rect_attrs(Element::new("Extent"), extent))
    .child(Element::new("LayerSet"))
    .child(
        Element::new("AtlasMap")
            .attr("atlasDriven", "0")
            .attr("scalingMode", "2")
            .attr("margin", "0.1"),
    )
}

/// QGIS's default north arrow, in the map's top right corner, pointing to grid north.
fn north_arrow(uuid: String, map_uuid: &str) -> Element {
    let (w, h) = (9.0, 13.0);
    let at = (MAP.0 + MAP.2 - w - 3.0, MAP.1 + 3.0, w, h);
    frame_colours(
        item(PICTURE_ITEM, "north arrow", &uuid, at)
            .attr("zValue", "4")
            .attr("frame", "false")
            .attr("background", "false")
            .attr(
                "file",
                ":/images/north_arrows/layout_default_north_arrow.svg",
            )
            .attr("mode", "0")
            .attr("resizeMode", "0")
            .attr("anchorPoint", "0")
            .attr("pictureWidth", &w.to_string())
            .attr("pictureHeight", &h.to_string())
            .attr("pictureRotation", "0")
            .attr("northMode", "0")
            .attr("northOffset", "0")
            .attr("mapUuid", map_uuid)
            .attr("svgFillColor", "255,255,255,255")
            .attr("svgBorderColor", "0,0,0,255")
            .attr("svgBorderWidth", "0.2"),
    )
}

/// The legend of the category's theme: its layers, top first, the communities named by
/// what their colours mean; filtered to what the map shows.
fn legend(ctx: &Context<'_>, c: usize, uuid: String, map_uuid: &str) -> Element {
    let lang = ctx.products.lang;
    let words = crate::output::map::words::words(lang);
    let r = distance_in(ctx.analysis.categories[c].summary.radius_m, lang);
    let mut tree = Element::new("layer-tree-group").child(custom_properties());
    for layer in ctx.top_first() {
        if ctx.in_theme(layer, c).is_none() {
            continue;
        }
        let name = match layer.kind {
            LayerKind::Communities => words.share_heading.replace("{r}", &r),
            LayerKind::Demand if layer.geometry == GeometryKind::Point => {
                format!("{} ({r})", words.demand_point)
            }
            LayerKind::Demand => words.demand_share_heading.replace("{r}", &r),
            LayerKind::Gaps(c) => {
                let gaps = ctx.analysis.categories[c].summary.gaps;
                if gaps == 0 {
                    words.no_gaps.to_string()
                } else {
                    words.gaps.replace("{n}", &thousands(gaps as f64))
                }
            }
            _ => ctx.short_title(layer),
        };
        tree = tree.child(tree_layer(layer, true, &name, legend_label(&name)));
    }
    let style = |name: &str, size: f64, bold: bool, top: f64| {
        Element::new("style")
            .attr("name", name)
            .attr("alignment", "1")
            .attr("indent", "0")
            .attr("marginTop", &top.to_string())
            .child(
                Element::new("styleFont")
                    .attr("description", &font(size, bold))
                    .attr("style", ""),
            )
    };
    let styles = Element::new("styles")
        .child(style("title", 11.0, true, 0.0).attr("marginBottom", "3"))
        .child(style("group", 9.0, true, 2.0))
        .child(style("subgroup", 8.0, false, 2.0))
        .child(style("symbol", 8.0, false, 1.5))
        .child(style("symbolLabel", 8.0, false, 1.5).attr("marginLeft", "2"));
    let at = (
        MAP.0 + MAP.2 + 5.0,
        MAP.1,
        PAGE.0 - MARGIN - (MAP.0 + MAP.2 + 5.0),
        MAP.3,
    );
    frame_colours(
        item(LEGEND_ITEM, "legend", &uuid, at)
            .attr("zValue", "5")
            .attr("frame", "false")
            .attr("background", "true")
            .attr("title", if lang == Lang::Zh { "图例" } else { "Legend" })
            .attr("map_uuid", map_uuid)
            .attr("legendFilterByMap", "1")
            .attr("legendFilterByAtlas", "0")
            .attr("resizeToContents", "0")
            .attr("columnCount", "1")
            .attr("splitLayer", "0")
            .attr("equalColumnWidth", "0")
            .attr("symbolWidth", "7")
            .attr("symbolHeight", "4")
            .attr("wrapChar", "")
            .attr("titleAlignment", "1")
            .attr("symbolAlignment", "1")
            .attr("boxSpace", "2")
            .attr("columnSpace", "2")
            .attr("lineSpacing", "1")
            .attr("fontColor", "#000000")
            .attr("rasterBorder", "1")
            .attr("rasterBorderColor", "0,0,0,255")
            .attr("rasterBorderWidth", "0")
            .attr("wmsLegendWidth", "50")
            .attr("wmsLegendHeight", "25")
            .attr("minSymbolSize", "0")
            .attr("maxSymbolSize", "0"),
    )
    .child(styles)
    .child(tree)
}

/// A legend entry's own label (the tree node's name gives way to the layer's).
fn legend_label(label: &str) -> Element {
    Element::new("customproperties").child(
        Element::new("Option").attr("type", "Map").child(
            Element::new("Option")
                .attr("type", "QString")
                .attr("name", "legend/title-label")
                .attr("value", label),
        ),
    )
}

/// A scale bar under the map: two segments of a round length about [`SEGMENT_MM`] long.
fn scale_bar(uuid: String, map_uuid: &str, ground_width_m: f64, lang: Lang) -> Element {
    let metres_per_mm = ground_width_m / MAP.2;
    let segment_m = round_length(metres_per_mm * SEGMENT_MM);
    let (unit, per_unit, label, segment) = if segment_m >= 1000.0 {
        (
            // QGIS's own unit codes (QgsUnitTypes::encodeUnit): "meters", "km".
            "km",
            1000.0,
            if lang == Lang::Zh { "千米" } else { "km" },
            segment_m / 1000.0,
        )
    } else {
        (
            "meters",
            1.0,
            if lang == Lang::Zh { "米" } else { "m" },
            segment_m,
        )
    };
    let text_style = Element::new("text-style")
        .attr("fontFamily", LABEL_FONTS[0])
        .attr("fontSize", "8")
        .attr("fontSizeUnit", "Point")
        .attr("fontWeight", "50")
        .attr("textColor", "0,0,0,255")
        .attr("textOpacity", "1")
        .attr("multilineHeight", "1")
        .child(Element::new("families"))
        .child(Element::new("text-buffer").attr("bufferDraw", "0"))
        .child(Element::new("text-mask").attr("maskEnabled", "0"))
        .child(Element::new("background").attr("shapeDraw", "0"))
        .child(Element::new("shadow").attr("shadowDraw", "0"));
    frame_colours(
        item(
            SCALE_BAR_ITEM,
            "scale bar",
            &uuid,
            (MARGIN, MAP.1 + MAP.3 + 2.0, 80.0, 9.0),
        )
        .attr("zValue", "6")
        .attr("frame", "false")
        .attr("background", "false")
        .attr("mapUuid", map_uuid)
        .attr("style", "Single Box")
        .attr("unitType", unit)
        .attr("numMapUnitsPerScaleBarUnit", &per_unit.to_string())
        .attr("unitLabel", label)
        .attr("numUnitsPerSegment", &segment.to_string())
        .attr("segmentSizeMode", "0")
        .attr("numSegments", "2")
        .attr("numSegmentsLeft", "0")
        .attr("numSubdivisions", "1")
        .attr("subdivisionsHeight", "1.5")
        .attr("height", "2")
        .attr("labelBarSpace", "2")
        .attr("boxContentSpace", "1")
        .attr("alignment", "0")
        .attr("minBarWidth", "50")
        .attr("maxBarWidth", "150")
        .attr("labelVerticalPlacement", "0")
        .attr("labelHorizontalPlacement", "0"),
    )
    .child(text_style)
}

/// `view` grown to the map frame's aspect (`width / height`), with [`PADDING`].
fn fitted(view: Rect<f64>, aspect: f64) -> Rect<f64> {
    // A study area of one point (one facility, no communities) still gets a readable map:
    // at least a hundredth of its largest coordinate (a few km in metres, degrees in WGS 84).
    let least = 1e-2 * view.max().x.abs().max(view.max().y.abs()).max(1.0).sqrt();
    let (w, h) = (view.width().max(least), view.height().max(least));
    let (w, h) = (w * (1.0 + 2.0 * PADDING), h * (1.0 + 2.0 * PADDING));
    let (w, h) = if w / h > aspect {
        (w, w / aspect)
    } else {
        (h * aspect, h)
    };
    let centre = view.center();
    Rect::new(
        Coord {
            x: centre.x - w / 2.0,
            y: centre.y - h / 2.0,
        },
        Coord {
            x: centre.x + w / 2.0,
            y: centre.y + h / 2.0,
        },
    )
}

/// The ground width of a map extent, m: its width in metres, or in degrees of longitude at
/// its middle latitude (spherical, enough to choose a scale bar's round length).
fn ground_width(extent: Rect<f64>, crs: &ProjectCrs) -> f64 {
    if crs.metric() {
        extent.width()
    } else {
        extent.width() * 111_320.0 * extent.center().y.to_radians().cos()
    }
}

/// The round length (1, 2 or 5 times a power of ten) nearest below `m`.
fn round_length(m: f64) -> f64 {
    if !(m.is_finite() && m > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(m.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * power)
        .find(|&v| v <= m)
        .unwrap_or(power)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_lengths_are_round() {
        assert_eq!(round_length(137.0), 100.0);
        assert_eq!(round_length(260.0), 200.0);
        assert_eq!(round_length(5_400.0), 5_000.0);
        assert_eq!(round_length(1.0), 1.0);
        assert_eq!(round_length(0.0), 1.0);
    }

    #[test]
    fn scale_bars_say_their_unit_as_qgis_codes_it() {
        let unit = |ground_m: f64, lang: Lang| {
            let bar = scale_bar("u".into(), "m", ground_m, lang);
            (
                bar.get("unitType").unwrap().to_string(),
                bar.get("unitLabel").unwrap().to_string(),
                bar.get("numUnitsPerSegment").unwrap().to_string(),
                bar.get("numMapUnitsPerScaleBarUnit").unwrap().to_string(),
            )
        };
        // 1,950 m across 195 mm: 10 m a mm, a 200 m segment.
        assert_eq!(
            unit(1_950.0, Lang::En),
            ("meters".into(), "m".into(), "200".into(), "1".into())
        );
        // 20 km across: 2 km segments, in kilometres.
        assert_eq!(
            unit(20_000.0, Lang::En),
            ("km".into(), "km".into(), "2".into(), "1000".into())
        );
        assert_eq!(unit(20_000.0, Lang::Zh).1, "千米");
    }

    #[test]
    fn a_single_point_gets_a_map_around_it() {
        let p = Coord {
            x: 500_000.0,
            y: 4_300_000.0,
        };
        let fit = fitted(Rect::new(p, p), 195.0 / 160.0);
        assert!(fit.height() > 10.0 && fit.width() > fit.height(), "{fit:?}");
        assert_eq!(fit.center(), p);
    }

    #[test]
    fn the_study_area_is_fitted_to_the_frame() {
        let view = Rect::new(
            Coord { x: 0.0, y: 0.0 },
            Coord {
                x: 1000.0,
                y: 2000.0,
            },
        );
        let fit = fitted(view, 195.0 / 160.0);
        assert!((fit.width() / fit.height() - 195.0 / 160.0).abs() < 1e-9);
        assert!((fit.height() - 2000.0 * 1.06).abs() < 1e-9);
        assert_eq!(fit.center(), view.center());
    }
}
