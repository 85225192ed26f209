//! QGIS styles (QML) for the output layers, in the colours and classes of [`crate::output::style`].
//!
//! The documents are in the form QGIS 3.22 writes: symbol layer properties both as an
//! `<Option type="Map">` (what QGIS 3.22 and later read) and as the older `<prop k v>`
//! elements (what QGIS before 3.22 read), so one file opens the same in QGIS 3.x up to
//! 3.40.
//!
//! - communities: graduated on `<first category>_share` in the five share classes, a grey
//!   fill where the share is missing, labelled with the community name over the share;
//! - demand: the same classes on `<first category>_covered`;
//! - facilities: categorized on `category`, one colour per configured category, grey for the
//!   rest;
//! - circles: a translucent fill and a thin outline in the category's colour;
//! - gaps: a strong vermilion outline (points: vermilion markers), labelled with the people
//!   living there when known.
//!
//! Share classes are listed highest first: QGIS puts a value on a class boundary into the
//! first class that holds it, so 0.2 falls in 20-40% as it does on the maps.

use crate::output::layers::{GeometryKind, LayerKind, OutputLayer};
use crate::output::style::{
    category_colour, CIRCLE_FILL_OPACITY, COMMUNITY_OUTLINE, GAP_COLOUR, NO_DATA_COLOUR,
    SHARE_BREAKS, SHARE_COLOURS,
};
use crate::output::xml::Element;
use crate::pipeline::Analysis;

/// The QGIS version whose format the documents follow.
pub const QGIS_VERSION: &str = "3.22.16-Białowieża";

/// The value standing for a missing share in the graduated renderers.
pub const NO_DATA_VALUE: f64 = -1.0;

/// Label fonts, first found wins: CJK fonts of Linux, Windows and macOS, so Chinese
/// community names render wherever the planner opens the layers.
pub const LABEL_FONTS: [&str; 6] = [
    "Noto Sans CJK SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "SimHei",
];

/// Fill of facilities whose category is not one analysed.
pub const OTHER_FACILITY_COLOUR: &str = "#969696";

/// The style of one output layer.
pub fn layer_qml(analysis: &Analysis, layer: &OutputLayer<'_>) -> String {
    layer_style(analysis, layer).qgis_document()
}

/// The style of one output layer, as the `<qgis>` element of its QML.
pub fn layer_style(analysis: &Analysis, layer: &OutputLayer<'_>) -> Element {
    match layer.kind {
        LayerKind::Communities => communities_style(analysis, layer, 0),
        LayerKind::Demand => demand_style(analysis, layer, 0),
        LayerKind::Facilities => facilities_style(analysis, None),
        LayerKind::Circles(c) => circles_style(c),
        LayerKind::Gaps(_) => gaps_style(layer, ScaleRules::of(analysis).as_ref()),
        LayerKind::Sites(s) => sites_style(analysis, s),
    }
}

/// The style of a layer that changes with the category shown (communities, demand,
/// facilities) for the `c`-th category: shares of that category, only its facilities.
/// Other layers keep their one style.
pub fn category_style(analysis: &Analysis, layer: &OutputLayer<'_>, c: usize) -> Element {
    match layer.kind {
        LayerKind::Communities => communities_style(analysis, layer, c),
        LayerKind::Demand => demand_style(analysis, layer, c),
        LayerKind::Facilities => facilities_style(analysis, Some(c)),
        _ => layer_style(analysis, layer),
    }
}

/// Proposed sites: stars in the category's colour, outlined in black so they stand apart
/// from the existing facilities' dots, labelled with their rank.
fn sites_style(analysis: &Analysis, s: usize) -> Element {
    let c = analysis
        .siting
        .get(s)
        .and_then(|site| {
            analysis
                .categories
                .iter()
                .position(|cat| cat.summary.name == site.category)
        })
        .unwrap_or(0);
    let symbol = shaped_marker("0", "star", category_colour(c), 5.0, "#000000", 0.4);
    let labels = labeling("\"rank\"", true, GeometryKind::Point, "0,0,0,255");
    document(single(symbol), Some(labels), GeometryKind::Point)
}

/// The communities coloured by the covered share of the `c`-th category
/// (`<category>_share`), labelled with their name (when the layer has the name field) over
/// the share as a percentage, as on the maps.
pub fn communities_qml(analysis: &Analysis, layer: &OutputLayer<'_>, c: usize) -> String {
    communities_style(analysis, layer, c).qgis_document()
}

fn communities_style(analysis: &Analysis, layer: &OutputLayer<'_>, c: usize) -> Element {
    let field = analysis
        .categories
        .get(c)
        .map(|cat| format!("{}_share", cat.summary.name))
        .unwrap_or_default();
    let rules = ScaleRules::of(analysis);
    let renderer = share_renderer(&field, GeometryKind::Polygon, rules.as_ref());
    let share = quote_field(&field);
    // Floored, as on the maps: 99.6% is not shown as full.
    let percent = format!("format_number(floor({share} * 100), 0) || '%'");
    let name = analysis
        .inputs
        .communities
        .as_ref()
        .map(|c| c.name_field.as_str())
        .filter(|name| layer.has_field(name));
    let text = match name {
        Some(name) => format!(
            "{} || if({share} IS NULL, '', '\\n' || {percent})",
            quote_field(name)
        ),
        None => percent,
    };
    let labels = labeling_at(
        &text,
        true,
        GeometryKind::Polygon,
        "50,50,50,255",
        Spot::Centre,
        rules.map(|r| r.labels_below),
    );
    document(renderer, Some(labels), GeometryKind::Polygon)
}

/// What a layer's default style shows, for the style list of QGIS.
pub fn description(analysis: &Analysis, layer: &OutputLayer<'_>) -> String {
    let name = |c: usize| {
        analysis
            .categories
            .get(c)
            .map(|cat| cat.summary.name.as_str())
            .unwrap_or("")
    };
    match layer.kind {
        LayerKind::Communities => share_description(analysis, 0),
        LayerKind::Demand => format!(
            "Demand coloured by the covered share of {} (no data in grey)",
            name(0)
        ),
        LayerKind::Facilities => "Facilities by category (others in grey)".into(),
        LayerKind::Circles(c) => format!("Service areas of {}", name(c)),
        LayerKind::Gaps(c) => format!("Gaps in {} coverage, vermilion outline", name(c)),
        LayerKind::Sites(s) => format!(
            "Proposed {} sites, black-outlined stars labelled with their rank",
            analysis.siting.get(s).map_or("", |x| x.category.as_str())
        ),
    }
}

/// What the communities style of the `c`-th category shows.
pub fn share_description(analysis: &Analysis, c: usize) -> String {
    let name = analysis
        .categories
        .get(c)
        .map(|cat| cat.summary.name.as_str())
        .unwrap_or("");
    format!("Communities coloured by the covered share of {name} (no data in grey)")
}

fn demand_style(analysis: &Analysis, layer: &OutputLayer<'_>, c: usize) -> Element {
    let field = analysis
        .categories
        .get(c)
        .map(|cat| format!("{}_covered", cat.summary.name))
        .unwrap_or_default();
    let geometry = layer.drawn_geometry();
    document(share_renderer(&field, geometry, None), None, geometry)
}

/// Facilities by category; with `shown`, only that category's: the others (and the
/// catch-all) are not listed, so not drawn, and a map theme that checks every legend item
/// cannot bring them back.
fn facilities_style(analysis: &Analysis, shown: Option<usize>) -> Element {
    let mut entries: Vec<(String, String, &str, f64, f64)> = analysis
        .categories
        .iter()
        .enumerate()
        .map(|(i, cat)| {
            let name = cat.summary.name.clone();
            (name.clone(), name, category_colour(i), 3.0, 0.4)
        })
        .collect();
    entries.push((
        String::new(),
        "other".into(),
        OTHER_FACILITY_COLOUR,
        2.0,
        0.3,
    ));
    if let Some(c) = shown {
        entries = entries.into_iter().skip(c).take(1).collect();
    }
    let categories = entries
        .into_iter()
        .enumerate()
        .map(|(i, (value, label, colour, size, outline))| {
            let symbol = marker(&i.to_string(), colour, size, "#ffffff", outline);
            (value, label, symbol)
        })
        .collect();
    let source = marker("0", OTHER_FACILITY_COLOUR, 2.0, "#ffffff", 0.3);
    document(
        categorized("category", categories, source),
        None,
        GeometryKind::Point,
    )
}

fn circles_style(c: usize) -> Element {
    let colour = category_colour(c);
    let symbol = fill("0", Some((colour, CIRCLE_FILL_OPACITY)), colour, 1.0, 0.3);
    document(single(symbol), None, GeometryKind::Polygon)
}

fn gaps_style(layer: &OutputLayer<'_>, rules: Option<&ScaleRules>) -> Element {
    let geometry = layer.drawn_geometry();
    // Thinner where the communities are small on screen, as on the maps.
    let width = rules.map(|r| {
        (
            "outlineWidth",
            format!(
                "CASE WHEN @map_scale > {} THEN 0.2 ELSE 0.8 END",
                num(r.thin_above)
            ),
        )
    });
    let symbol = match geometry {
        GeometryKind::Polygon => fill_with(
            "0",
            Some((GAP_COLOUR, 0.1)),
            (GAP_COLOUR, 1.0, 0.8),
            width.as_slice(),
        ),
        GeometryKind::Point => marker("0", GAP_COLOUR, 2.4, "#ffffff", 0.3),
    };
    let with_population = layer.has_number("population");
    let labels = with_population.then(|| {
        labeling_at(
            "if(\"population\" > 0, format_number(\"population\", 0), '')",
            true,
            geometry,
            "140,50,0,255",
            Spot::Inside,
            None,
        )
    });
    document(single(symbol), labels, geometry)
}

/// A field name in a QGIS expression.
fn quote_field(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Map scales at which the communities' cartography changes, as on the maps
/// ([`crate::output::map`]), from the median community's side `S` (metres): outlines thin to 0.1 mm
/// below 6 mm on screen (scales smaller than 1:`S`/6 mm) and go below 2.5 mm; names show
/// from 10 mm (1:`S`/10 mm and larger). Scales are rounded to two figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleRules {
    /// Outlines thin above this scale denominator.
    pub thin_above: f64,
    /// Outlines go above this one.
    pub drop_above: f64,
    /// Labels show below this one.
    pub labels_below: f64,
}

impl ScaleRules {
    /// The rules for the run's communities; none without communities.
    pub fn of(analysis: &Analysis) -> Option<ScaleRules> {
        use geo::ChamberlainDuquetteArea;
        let mut sides: Vec<f64> = analysis
            .communities
            .iter()
            .map(|c| c.boundary.chamberlain_duquette_unsigned_area().sqrt())
            .filter(|s| s.is_finite() && *s > 0.0)
            .collect();
        if sides.is_empty() {
            return None;
        }
        sides.sort_by(f64::total_cmp);
        let side_mm = sides[sides.len() / 2] * 1000.0;
        Some(ScaleRules {
            thin_above: two_figures(side_mm / 6.0),
            drop_above: two_figures(side_mm / 2.5),
            labels_below: two_figures(side_mm / 10.0),
        })
    }

    /// The communities' outline as data-defined width and style.
    fn outline(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "outlineWidth",
                format!(
                    "CASE WHEN @map_scale > {} THEN 0.1 ELSE 0.26 END",
                    num(self.thin_above)
                ),
            ),
            (
                "outlineStyle",
                format!(
                    "CASE WHEN @map_scale > {} THEN 'no' ELSE 'solid' END",
                    num(self.drop_above)
                ),
            ),
        ]
    }
}

/// `v` rounded to two significant figures.
fn two_figures(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return v;
    }
    let step = 10f64.powf(v.log10().floor() - 1.0);
    (v / step).round() * step
}

/// The share classes, highest first, each `(lower, upper, label, colour)`.
pub fn share_classes() -> Vec<(f64, f64, String, &'static str)> {
    let mut out: Vec<(f64, f64, String, &'static str)> = SHARE_BREAKS
        .iter()
        .enumerate()
        .map(|(i, &upper)| {
            let lower = if i == 0 { 0.0 } else { SHARE_BREAKS[i - 1] };
            let label = format!("{:.0}-{:.0}%", lower * 100.0, upper * 100.0);
            (lower, upper, label, SHARE_COLOURS[i])
        })
        .collect();
    out.reverse();
    out
}

/// A graduated renderer on `field` in the share classes, with a grey class for features
/// without a value.
fn share_renderer(field: &str, geometry: GeometryKind, rules: Option<&ScaleRules>) -> Element {
    let outline = rules.map(ScaleRules::outline).unwrap_or_default();
    let symbol = |name: &str, colour: &str| match geometry {
        GeometryKind::Polygon => fill_with(
            name,
            Some((colour, 1.0)),
            (COMMUNITY_OUTLINE, 1.0, 0.26),
            &outline,
        ),
        GeometryKind::Point => marker(name, colour, 1.8, COMMUNITY_OUTLINE, 0.15),
    };
    let mut ranges = Vec::new();
    for (i, (lower, upper, label, colour)) in share_classes().into_iter().enumerate() {
        ranges.push((lower, upper, label, symbol(&i.to_string(), colour)));
    }
    let n = ranges.len();
    ranges.push((
        NO_DATA_VALUE,
        NO_DATA_VALUE,
        "no data".into(),
        symbol(&n.to_string(), NO_DATA_COLOUR),
    ));
    let expression = format!("coalesce({}, {})", quote_field(field), NO_DATA_VALUE);
    graduated(&expression, ranges, symbol("0", SHARE_COLOURS[0]))
}

// ---------------------------------------------------------------------------------------
// The QML document.
// ---------------------------------------------------------------------------------------

fn document(renderer: Element, labels: Option<Element>, geometry: GeometryKind) -> Element {
    let labelled = labels.is_some();
    let mut root = Element::new("qgis")
        .attr("version", QGIS_VERSION)
        .attr("styleCategories", "Symbology|Labeling")
        .attr("labelsEnabled", if labelled { "1" } else { "0" })
        .child(renderer);
    if let Some(labels) = labels {
        root = root.child(labels);
    }
    let geometry_type = match geometry {
        GeometryKind::Point => "0",
        GeometryKind::Polygon => "2",
    };
    root = root
        .child(Element::new("blendMode").text("0"))
        .child(Element::new("featureBlendMode").text("0"))
        .child(Element::new("layerOpacity").text("1"))
        .child(Element::new("layerGeometryType").text(geometry_type));
    root
}

fn graduated(
    expression: &str,
    ranges: Vec<(f64, f64, String, Element)>,
    source: Element,
) -> Element {
    let mut range_list = Element::new("ranges");
    let mut symbols = Element::new("symbols");
    for (i, (lower, upper, label, symbol)) in ranges.into_iter().enumerate() {
        range_list = range_list.child(
            Element::new("range")
                .attr("lower", &format!("{lower:.15}"))
                .attr("upper", &format!("{upper:.15}"))
                .attr("symbol", &i.to_string())
                .attr("label", &label)
                .attr("render", "true"),
        );
        symbols = symbols.child(symbol);
    }
    renderer("graduatedSymbol")
        .attr("attr", expression)
        .attr("graduatedMethod", "GraduatedColor")
        .child(range_list)
        .child(symbols)
        .child(Element::new("source-symbol").child(source))
        .child(share_ramp())
        .child(
            Element::new("classificationMethod")
                .attr("id", "Custom")
                .child(
                    Element::new("symmetricMode")
                        .attr("enabled", "0")
                        .attr("symmetrypoint", "0")
                        .attr("astride", "0"),
                )
                .child(
                    Element::new("labelFormat")
                        .attr("format", "%1 - %2")
                        .attr("labelprecision", "2")
                        .attr("trimtrailingzeroes", "1"),
                )
                .child(Element::new("parameters").child(Element::new("Option")))
                .child(Element::new("extraInformation")),
        )
        .child(Element::new("rotation"))
        .child(Element::new("sizescale"))
}

/// The share colours as a colour ramp, so reclassifying in QGIS keeps them.
fn share_ramp() -> Element {
    let n = SHARE_COLOURS.len();
    let stops: Vec<String> = SHARE_COLOURS[1..n - 1]
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{};{}", (i + 1) as f64 / (n - 1) as f64, rgba(c, 1.0)))
        .collect();
    let props = vec![
        ("color1", rgba(SHARE_COLOURS[0], 1.0)),
        ("color2", rgba(SHARE_COLOURS[n - 1], 1.0)),
        ("discrete", "0".into()),
        ("rampType", "gradient".into()),
        ("stops", stops.join(":")),
    ];
    with_props(
        Element::new("colorramp")
            .attr("type", "gradient")
            .attr("name", "[source]"),
        &props,
    )
}

fn categorized(
    field: &str,
    categories: Vec<(String, String, Element)>,
    source: Element,
) -> Element {
    let mut list = Element::new("categories");
    let mut symbols = Element::new("symbols");
    for (i, (value, label, symbol)) in categories.into_iter().enumerate() {
        list = list.child(
            Element::new("category")
                .attr("value", &value)
                .attr("symbol", &i.to_string())
                .attr("label", &label)
                .attr("render", "true")
                .attr("type", "string"),
        );
        symbols = symbols.child(symbol);
    }
    renderer("categorizedSymbol")
        .attr("attr", field)
        .child(list)
        .child(symbols)
        .child(Element::new("source-symbol").child(source))
        .child(Element::new("rotation"))
        .child(Element::new("sizescale"))
}

fn single(symbol: Element) -> Element {
    renderer("singleSymbol")
        .child(Element::new("symbols").child(symbol))
        .child(Element::new("rotation"))
        .child(Element::new("sizescale"))
}

fn renderer(kind: &str) -> Element {
    Element::new("renderer-v2")
        .attr("type", kind)
        .attr("forceraster", "0")
        .attr("symbollevels", "0")
        .attr("enableorderby", "0")
        .attr("referencescale", "-1")
}

/// A `#rrggbb` colour as QGIS writes it, `r,g,b,a`, with `opacity` in 0..1.
pub fn rgba(hex: &str, opacity: f64) -> String {
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    let alpha = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    format!("{},{},{},{alpha}", channel(1), channel(3), channel(5))
}

fn symbol(kind: &str, name: &str, layer: Element) -> Element {
    Element::new("symbol")
        .attr("type", kind)
        .attr("name", name)
        .attr("alpha", "1")
        .attr("clip_to_extent", "1")
        .attr("force_rhr", "0")
        .child(data_defined())
        .child(layer)
}

/// A fill symbol: `fill` colour and opacity (none for no fill), outline colour, opacity and
/// width in mm.
fn fill(
    name: &str,
    fill: Option<(&str, f64)>,
    outline: &str,
    outline_opacity: f64,
    width_mm: f64,
) -> Element {
    fill_with(name, fill, (outline, outline_opacity, width_mm), &[])
}

/// [`fill`] with data-defined properties: `outline` is (colour, opacity, width in mm).
fn fill_with(
    name: &str,
    fill: Option<(&str, f64)>,
    outline: (&str, f64, f64),
    expressions: &[(&str, String)],
) -> Element {
    let (outline, outline_opacity, width_mm) = outline;
    let (colour, style) = match fill {
        Some((c, opacity)) => (rgba(c, opacity), "solid"),
        None => (rgba("#ffffff", 0.0), "no"),
    };
    let props = vec![
        ("border_width_map_unit_scale", "3x:0,0,0,0,0,0".to_string()),
        ("color", colour),
        ("joinstyle", "round".into()),
        ("offset", "0,0".into()),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("offset_unit", "MM".into()),
        ("outline_color", rgba(outline, outline_opacity)),
        ("outline_style", "solid".into()),
        ("outline_width", num(width_mm)),
        ("outline_width_unit", "MM".into()),
        ("style", style.into()),
    ];
    symbol(
        "fill",
        name,
        symbol_layer_with("SimpleFill", &props, expressions),
    )
}

/// A circle marker of `size_mm` in `colour` with an outline.
fn marker(name: &str, colour: &str, size_mm: f64, outline: &str, outline_mm: f64) -> Element {
    shaped_marker(name, "circle", colour, size_mm, outline, outline_mm)
}

fn shaped_marker(
    name: &str,
    shape: &str,
    colour: &str,
    size_mm: f64,
    outline: &str,
    outline_mm: f64,
) -> Element {
    let props = vec![
        ("angle", "0".to_string()),
        ("cap_style", "square".into()),
        ("color", rgba(colour, 1.0)),
        ("horizontal_anchor_point", "1".into()),
        ("joinstyle", "bevel".into()),
        ("name", shape.into()),
        ("offset", "0,0".into()),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("offset_unit", "MM".into()),
        ("outline_color", rgba(outline, 1.0)),
        ("outline_style", "solid".into()),
        ("outline_width", num(outline_mm)),
        ("outline_width_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("outline_width_unit", "MM".into()),
        ("scale_method", "diameter".into()),
        ("size", num(size_mm)),
        ("size_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("size_unit", "MM".into()),
        ("vertical_anchor_point", "1".into()),
    ];
    symbol("marker", name, symbol_layer("SimpleMarker", &props))
}

fn symbol_layer(class: &str, props: &[(&'static str, String)]) -> Element {
    symbol_layer_with(class, props, &[])
}

/// A symbol layer with data-defined properties (see [`data_defined_with`]).
fn symbol_layer_with(
    class: &str,
    props: &[(&'static str, String)],
    expressions: &[(&str, String)],
) -> Element {
    let layer = Element::new("layer")
        .attr("class", class)
        .attr("enabled", "1")
        .attr("locked", "0")
        .attr("pass", "0");
    with_props(layer, props).child(data_defined_with(expressions))
}

/// Properties as QGIS 3.22 writes them: an `<Option type="Map">` and the same as `<prop>`s.
fn with_props(mut el: Element, props: &[(&'static str, String)]) -> Element {
    let mut map = Element::new("Option").attr("type", "Map");
    for (k, v) in props {
        map = map.child(
            Element::new("Option")
                .attr("type", "QString")
                .attr("name", k)
                .attr("value", v),
        );
    }
    el = el.child(map);
    for (k, v) in props {
        el = el.child(Element::new("prop").attr("k", k).attr("v", v));
    }
    el
}

fn data_defined() -> Element {
    data_defined_with(&[])
}

/// Data-defined properties: `(property, QGIS expression)`, e.g. `("outlineWidth", ...)`.
fn data_defined_with(expressions: &[(&str, String)]) -> Element {
    let mut properties = Element::new("Option").attr("name", "properties");
    if !expressions.is_empty() {
        properties = properties.attr("type", "Map");
    }
    for (property, expression) in expressions {
        properties = properties.child(
            Element::new("Option")
                .attr("type", "Map")
                .attr("name", property)
                .child(
                    Element::new("Option")
                        .attr("type", "bool")
                        .attr("name", "active")
                        .attr("value", "true"),
                )
                .child(
                    Element::new("Option")
                        .attr("type", "QString")
                        .attr("name", "expression")
                        .attr("value", expression),
                )
                .child(
                    Element::new("Option")
                        .attr("type", "int")
                        .attr("name", "type")
                        .attr("value", "3"),
                ),
        );
    }
    Element::new("data_defined_properties").child(
        Element::new("Option")
            .attr("type", "Map")
            .child(
                Element::new("Option")
                    .attr("type", "QString")
                    .attr("name", "name")
                    .attr("value", ""),
            )
            .child(properties)
            .child(
                Element::new("Option")
                    .attr("type", "QString")
                    .attr("name", "type")
                    .attr("value", "collection"),
            ),
    )
}

/// Simple labels from `text` (a field name, or an expression) in a CJK-capable font
/// with a white halo; polygons labelled inside, points beside.
fn labeling(text: &str, is_expression: bool, geometry: GeometryKind, colour: &str) -> Element {
    labeling_at(text, is_expression, geometry, colour, Spot::Centre, None)
}

/// Where a polygon's label goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spot {
    /// On a point inside it, near its centre; placed first (community names).
    Centre,
    /// Anywhere inside it that is free, after the centred labels (a gap's figure, which
    /// must not push its community's name off the map).
    Inside,
}

/// Labels; with `visible_below`, drawn only at map scales of 1:`visible_below` and larger.
fn labeling_at(
    text: &str,
    is_expression: bool,
    geometry: GeometryKind,
    colour: &str,
    spot: Spot,
    visible_below: Option<f64>,
) -> Element {
    // QGIS placements: 1 = over a point (inside the polygon), 4 = horizontal, anywhere
    // inside; a higher priority is placed first.
    let (placement, inside_only, priority) = match spot {
        Spot::Centre => ("1", "0", "7"),
        Spot::Inside => ("4", "1", "4"),
    };
    let mut families = Element::new("families");
    for f in LABEL_FONTS {
        families = families.child(Element::new("family").attr("name", f));
    }
    let style = Element::new("text-style")
        .attr("fieldName", text)
        .attr("isExpression", if is_expression { "1" } else { "0" })
        .attr("fontFamily", LABEL_FONTS[0])
        .attr("namedStyle", "Regular")
        .attr("fontSize", "8")
        .attr("fontSizeUnit", "Point")
        .attr("fontWeight", "50")
        .attr("fontItalic", "0")
        .attr("textColor", colour)
        .attr("textOpacity", "1")
        .attr("multilineHeight", "1")
        .attr("allowHtml", "0")
        .attr("textOrientation", "horizontal")
        .attr("capitalization", "0")
        .attr("blendMode", "0")
        .attr("previewBkgrdColor", "255,255,255,255")
        .child(families)
        .child(
            Element::new("text-buffer")
                .attr("bufferDraw", "1")
                .attr("bufferSize", "0.8")
                .attr("bufferSizeUnits", "MM")
                .attr("bufferColor", "255,255,255,255")
                .attr("bufferOpacity", "0.85")
                .attr("bufferNoFill", "1")
                .attr("bufferJoinStyle", "128")
                .attr("bufferBlendMode", "0"),
        );
    let placement = match geometry {
        GeometryKind::Polygon => Element::new("placement")
            .attr("placement", placement)
            .attr("centroidInside", "1")
            .attr("centroidWhole", "0")
            .attr("fitInPolygonOnly", inside_only)
            .attr("quadOffset", "4")
            .attr("priority", priority),
        // AroundPoint, 1 mm off.
        GeometryKind::Point => Element::new("placement")
            .attr("placement", "0")
            .attr("dist", "1")
            .attr("distUnits", "MM")
            .attr("priority", priority),
    };
    let settings = Element::new("settings")
        .attr("calloutType", "simple")
        .child(style)
        .child(
            Element::new("text-format")
                .attr("wrapChar", "")
                .attr("multilineAlign", "3")
                .attr("formatNumbers", "0")
                .attr("decimals", "3")
                .attr("plussign", "0"),
        )
        .child(placement)
        .child(
            Element::new("rendering")
                .attr("drawLabels", "1")
                .attr("obstacle", "1")
                .attr("obstacleType", "1")
                .attr("displayAll", "0")
                .attr("upsidedownLabels", "0")
                .attr(
                    "scaleVisibility",
                    if visible_below.is_some() { "1" } else { "0" },
                )
                // QGIS writes its minimum scale (the most zoomed out) as scaleMax.
                .attr("scaleMax", &visible_below.map(num).unwrap_or("0".into()))
                .attr("scaleMin", "0")
                .attr("fontLimitPixelSize", "0")
                .attr("labelPerPart", "0")
                .attr("zIndex", "0"),
        );
    Element::new("labeling")
        .attr("type", "simple")
        .child(settings)
}

/// A number in a style property: no trailing zeros.
fn num(v: f64) -> String {
    crate::output::text::trimmed(v, 3)
}

/// Text safe inside an XML attribute or element.
pub use crate::output::text::escape_xml as escape;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_written_as_qgis_reads_them() {
        assert_eq!(rgba("#d55e00", 1.0), "213,94,0,255");
        assert_eq!(rgba("#ffffcc", CIRCLE_FILL_OPACITY), "255,255,204,46");
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(escape("A&B <\"x\">"), "A&amp;B &lt;&quot;x&quot;&gt;");
        assert_eq!(escape("泰达 'a'\u{1}"), "泰达 &#39;a&#39;");
    }

    #[test]
    fn share_classes_run_highest_first_from_one_to_zero() {
        let classes = share_classes();
        assert_eq!(classes.len(), 5);
        assert_eq!(classes[0].0, 0.8);
        assert_eq!(classes[0].1, 1.0);
        assert_eq!(classes[0].2, "80-100%");
        assert_eq!(classes[0].3, "#253494");
        assert_eq!(classes[4].0, 0.0);
        assert_eq!(classes[4].2, "0-20%");
        assert_eq!(classes[4].3, "#ffffcc");
        // The first class holding a boundary value is the one style::share_class names.
        for v in [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 0.35] {
            let first = classes.iter().position(|c| c.0 <= v && v <= c.1).unwrap();
            assert_eq!(
                classes[first].3,
                crate::output::style::share_colour(Some(v)),
                "{v}"
            );
        }
    }
}
