//! The QGIS project of a run: `results.gpkg` opened as a planner would set it up by hand.
//!
//! One project document (QGIS 3.22's `.qgs` format), written twice: beside the GeoPackage
//! as `<title>.qgs`, and inside it as a `.qgz` in QGIS's `qgis_projects` table (Project >
//! Open From > GeoPackage). Its layers point at `./results.gpkg`, relative, so the folder
//! can be moved or zipped.
//!
//! - The layer tree: one group per category (its proposed sites, gaps and service areas),
//!   then the communities, the demand and the facilities. Layers are drawn in the order of
//!   [`crate::output::layers::kinds`] (a custom layer order), whatever the tree's order.
//! - One map theme per category: its group shown and the others hidden, the communities and
//!   the demand coloured by its shares and only its facilities drawn (named styles of those
//!   layers). The first category's theme is what the project opens on.
//! - One print layout per category, A4 landscape ([`layout`]), its map following the
//!   category's theme.
//!
//! Layer ids, item ids and every value are derived from the analysis, so the same analysis
//! gives the same bytes.

mod archive;
mod layout;

use geo::{BoundingRect, Coord, LineString, Rect};
use proj::Proj;

use crate::analysis::summary::CategorySummary;
use crate::error::{Error, Result};
use crate::input::config::{Lang, Products};
use crate::input::crs::{Crs, WorkCrs};
use crate::output::layers::{GeometryKind, LayerKind, OutputLayer};
use crate::output::qml::{self, QGIS_VERSION};
use crate::output::text::{category_title, distance_in};
use crate::output::xml::Element;
use crate::pipeline::Analysis;

/// The GeoPackage the project's layers read, relative to the project.
pub const GEOPACKAGE: &str = "./results.gpkg";

/// A run's QGIS project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Its name: the file stem of the `.qgs` and its name in `qgis_projects`.
    pub name: String,
    /// The `.qgs` document.
    pub qgs: String,
}

impl Project {
    /// The `.qgs` file's name.
    pub fn file_name(&self) -> String {
        format!("{}.qgs", self.name)
    }

    /// The project as QGIS stores it in a GeoPackage: a `.qgz` archive.
    pub fn qgz(&self) -> Vec<u8> {
        archive::zip_one(&self.file_name(), self.qgs.as_bytes())
    }
}

/// The project of `analysis` over `layers`, the GeoPackage's feature tables in drawing
/// order (bottom first, as [`crate::output::layers::kinds`] gives them).
pub fn build(
    analysis: &Analysis,
    products: &Products,
    layers: &[OutputLayer<'_>],
) -> Result<Project> {
    // "Area: title" reads better as a file name as "Area - title" than "Area_ title".
    let title = products.title.replace(": ", " - ");
    let name = crate::output::map::group_file_stems(std::iter::once(title.as_str()))
        .pop()
        .unwrap_or_default();
    let crs = ProjectCrs::of(&analysis.work_crs)?;
    let view = study_extent(layers).map(|r| crs.extent_of(r)).transpose()?;
    let themes = unique_names(analysis, |s| category_title(s).to_string());
    let groups = unique_names(analysis, |s| {
        format!(
            "{} · {}",
            category_title(s),
            distance_in(s.radius_m, products.lang)
        )
    });
    let ctx = Context {
        analysis,
        products,
        layers,
        themes: &themes,
        groups: &groups,
    };
    let mut root = Element::new("qgis")
        .attr("version", QGIS_VERSION)
        .attr("projectname", &products.title)
        .child(Element::new("homePath").attr("path", ""))
        .child(Element::new("title").text(&products.title))
        .child(Element::new("projectCrs").child(crs.srs.clone()))
        .child(ctx.layer_tree())
        .child(ctx.project_layers()?)
        .child(ctx.layer_order())
        .child(properties())
        .child(ctx.themes_element())
        .child(ctx.metadata());
    if let Some(view) = view {
        root = root.child(map_canvas(&crs, view)).child(
            Element::new("ProjectViewSettings")
                .attr("UseProjectScales", "0")
                .attr("rotation", "0")
                .child(rect_attrs(Element::new("DefaultViewExtent"), view).child(crs.srs.clone())),
        );
        let mut layouts = Element::new("Layouts");
        for (c, theme) in themes.iter().enumerate() {
            layouts = layouts.child(layout::print_layout(&ctx, c, theme, &crs, view));
        }
        root = root.child(layouts);
    }
    Ok(Project {
        name,
        qgs: root.qgis_document(),
    })
}

/// What the parts of the project are built from.
pub(crate) struct Context<'a> {
    pub analysis: &'a Analysis,
    pub products: &'a Products,
    pub layers: &'a [OutputLayer<'a>],
    /// The map theme (and print layout) of each category.
    pub themes: &'a [String],
    /// The layer tree group of each category.
    pub groups: &'a [String],
}

impl Context<'_> {
    fn lang(&self) -> Lang {
        self.products.lang
    }

    /// The layers drawn top first: the reverse of the writing order.
    fn top_first(&self) -> impl Iterator<Item = &OutputLayer<'_>> {
        self.layers.iter().rev()
    }

    /// The category a layer belongs to, for the per-category layers.
    fn category_of(&self, kind: LayerKind) -> Option<usize> {
        match kind {
            LayerKind::Circles(c) | LayerKind::Gaps(c) => Some(c),
            LayerKind::Sites(s) => {
                let category = &self.analysis.siting.get(s)?.category;
                self.analysis
                    .categories
                    .iter()
                    .position(|cat| &cat.summary.name == category)
            }
            _ => None,
        }
    }

    /// Whether a layer is drawn in the `c`-th category's theme, and with which style.
    fn in_theme(&self, layer: &OutputLayer<'_>, c: usize) -> Option<String> {
        match self.category_of(layer.kind) {
            Some(owner) if owner == c => Some("default".to_string()),
            Some(_) => None,
            None if per_category(layer.kind) => Some(self.style_name(c)),
            None => Some("default".to_string()),
        }
    }

    /// The name of the `c`-th category's style of the communities, demand and facilities.
    fn style_name(&self, c: usize) -> String {
        self.analysis.categories[c].summary.name.clone()
    }

    /// The group of the `c`-th category in the layer tree: "Food market · 1,000 m".
    pub(crate) fn group_name(&self, c: usize) -> String {
        self.groups[c].clone()
    }

    /// A layer's name in the layer tree: its category named, as layer pickers list the
    /// layers without their group ("Gaps, market"; a category sited twice: "Proposed
    /// sites 2, market").
    pub(crate) fn layer_title(&self, layer: &OutputLayer<'_>) -> String {
        let short = self.short_title(layer);
        let Some(c) = self.category_of(layer.kind) else {
            return short;
        };
        let name = &self.analysis.categories[c].summary.name;
        let count = layer
            .name
            .strip_prefix(&format!("sites_{name}_"))
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        match self.lang() {
            Lang::Zh => format!("{name} {short}{count}"),
            Lang::En => format!("{short}{count}, {name}"),
        }
    }

    /// A layer's name in a legend, where its category is the layout's.
    pub(crate) fn short_title(&self, layer: &OutputLayer<'_>) -> String {
        let zh = self.lang() == Lang::Zh;
        match layer.kind {
            LayerKind::Circles(c) => {
                let r = distance_in(self.analysis.categories[c].summary.radius_m, self.lang());
                if zh {
                    format!("服务范围（{r}）")
                } else {
                    format!("Service areas ({r})")
                }
            }
            LayerKind::Gaps(_) if zh => "覆盖盲区".into(),
            LayerKind::Gaps(_) => "Gaps".into(),
            LayerKind::Sites(_) if zh => "拟新增设施".into(),
            LayerKind::Sites(_) => "Proposed sites".into(),
            LayerKind::Communities if zh => "社区".into(),
            LayerKind::Communities => "Communities".into(),
            LayerKind::Demand if zh => "居民分布".into(),
            LayerKind::Demand => "Residents (demand)".into(),
            LayerKind::Facilities if zh => "设施".into(),
            LayerKind::Facilities => "Facilities".into(),
        }
    }

    /// The layer tree: a group per category (checked for the first), then the shared
    /// layers; drawn in the custom order of [`crate::output::layers::kinds`].
    fn layer_tree(&self) -> Element {
        let mut root = Element::new("layer-tree-group").child(custom_properties());
        for c in 0..self.analysis.categories.len() {
            let mut group = Element::new("layer-tree-group")
                .attr("name", &self.group_name(c))
                .attr("checked", checked_state(c == 0))
                .attr("expanded", if c == 0 { "1" } else { "0" })
                .child(custom_properties());
            for layer in self.top_first() {
                if self.category_of(layer.kind) == Some(c) {
                    group = group.child(tree_layer(
                        layer,
                        true,
                        &self.layer_title(layer),
                        custom_properties(),
                    ));
                }
            }
            root = root.child(group);
        }
        for kind in [
            LayerKind::Communities,
            LayerKind::Demand,
            LayerKind::Facilities,
        ] {
            if let Some(layer) = self.layers.iter().find(|l| l.kind == kind) {
                root = root.child(tree_layer(
                    layer,
                    true,
                    &self.layer_title(layer),
                    custom_properties(),
                ));
            }
        }
        let mut order = Element::new("custom-order").attr("enabled", "1");
        for layer in self.top_first() {
            order = order.child(Element::new("item").text(&layer_id(layer)));
        }
        root.child(order)
    }

    fn layer_order(&self) -> Element {
        Element::new("layerorder").children(
            self.top_first()
                .map(|l| Element::new("layer").attr("id", &layer_id(l))),
        )
    }

    fn project_layers(&self) -> Result<Element> {
        let wgs84 = srs_element("EPSG:4326", "WGS 84", true)?;
        Ok(Element::new("projectlayers")
            .children(self.top_first().map(|layer| self.map_layer(layer, &wgs84))))
    }

    /// One layer: its source, CRS, current style and (for the layers that change with the
    /// category) one named style per category.
    fn map_layer(&self, layer: &OutputLayer<'_>, wgs84: &Element) -> Element {
        let per_category = per_category(layer.kind) && !self.analysis.categories.is_empty();
        let style = if per_category {
            qml::category_style(self.analysis, layer, 0)
        } else {
            qml::layer_style(self.analysis, layer)
        };
        let mut styles = Element::new("map-layer-style-manager");
        if per_category {
            styles = styles.attr("current", &self.style_name(0));
            for c in 0..self.analysis.categories.len() {
                let named = Element::new("map-layer-style").attr("name", &self.style_name(c));
                styles = styles.child(if c == 0 {
                    named
                } else {
                    named.child(qml::category_style(self.analysis, layer, c))
                });
            }
        } else {
            styles = styles
                .attr("current", "default")
                .child(Element::new("map-layer-style").attr("name", "default"));
        }
        let (geometry, wkb) = match (layer.geometry, crate::output::gpkg::geometry_type(layer)) {
            (GeometryKind::Point, "MULTIPOINT") => ("Point", "MultiPoint"),
            (GeometryKind::Point, _) => ("Point", "Point"),
            (GeometryKind::Polygon, _) => ("Polygon", "MultiPolygon"),
        };
        let mut el = Element::new("maplayer")
            .attr("type", "vector")
            .attr("geometry", geometry)
            .attr("wkbType", wkb)
            .attr("styleCategories", "AllStyleCategories")
            .attr("labelsEnabled", style.get("labelsEnabled").unwrap_or("0"))
            .attr("readOnly", "0")
            .child(Element::new("id").text(&layer_id(layer)))
            .child(Element::new("datasource").text(&source(layer)))
            .child(Element::new("layername").text(&self.layer_title(layer)))
            .child(Element::new("srs").child(wgs84.clone()))
            .child(
                Element::new("provider")
                    .attr("encoding", "UTF-8")
                    .text("ogr"),
            )
            .child(styles);
        // The style's own elements, without the one a QML file alone carries.
        el.children.extend(
            style
                .children
                .into_iter()
                .filter(|e| e.name != "layerGeometryType"),
        );
        el
    }

    /// One map theme per category.
    fn themes_element(&self) -> Element {
        let mut presets = Element::new("visibility-presets");
        for (c, theme) in self.themes.iter().enumerate() {
            let mut preset = Element::new("visibility-preset")
                .attr("name", theme)
                .attr("has-expanded-info", "1")
                .attr("has-checked-group-info", "1");
            for layer in self.top_first() {
                if let Some(style) = self.in_theme(layer, c) {
                    preset = preset.child(
                        Element::new("layer")
                            .attr("id", &layer_id(layer))
                            .attr("visible", "1")
                            .attr("expanded", "1")
                            .attr("style", &style),
                    );
                }
            }
            let group = self.group_name(c);
            preset = preset
                .child(
                    Element::new("checked-group-nodes")
                        .child(Element::new("checked-group-node").attr("id", &group)),
                )
                .child(
                    Element::new("expanded-group-nodes")
                        .child(Element::new("expanded-group-node").attr("id", &group)),
                );
            presets = presets.child(preset);
        }
        presets
    }

    fn metadata(&self) -> Element {
        let about = match self.lang() {
            Lang::En => {
                "Made by lifecircle: each category's service areas, gaps and \
                         coverage of the communities. One map theme and one print layout per \
                         category."
            }
            Lang::Zh => {
                "由 lifecircle 生成：各类设施的服务范围、覆盖盲区与社区覆盖比例。\
                         每类设施一个地图主题、一个打印布局。"
            }
        };
        let abstract_text = match self.products.attribution.as_deref() {
            Some(a) if !a.trim().is_empty() => format!("{about}\n{}", a.trim()),
            _ => about.to_string(),
        };
        Element::new("projectMetadata")
            .child(Element::new("identifier"))
            .child(Element::new("parentidentifier"))
            .child(Element::new("language").text(match self.lang() {
                Lang::En => "en",
                Lang::Zh => "zh",
            }))
            .child(Element::new("type"))
            .child(Element::new("title").text(&self.products.title))
            .child(Element::new("abstract").text(&abstract_text))
            .child(Element::new("links"))
            .child(Element::new("author").text("lifecircle"))
    }
}

/// Whether a layer's style follows the category shown (one named style per category).
fn per_category(kind: LayerKind) -> bool {
    matches!(
        kind,
        LayerKind::Communities | LayerKind::Demand | LayerKind::Facilities
    )
}

/// A layer's id in the project: its table's name.
pub(crate) fn layer_id(layer: &OutputLayer<'_>) -> String {
    format!("lifecircle_{}", layer.name)
}

/// A layer's data source: its table in the GeoPackage beside the project.
fn source(layer: &OutputLayer<'_>) -> String {
    format!("{GEOPACKAGE}|layername={}", layer.name)
}

/// A layer's node in a layer tree (the project's, or a legend's), with its custom
/// properties.
pub(crate) fn tree_layer(
    layer: &OutputLayer<'_>,
    checked: bool,
    title: &str,
    properties: Element,
) -> Element {
    Element::new("layer-tree-layer")
        .attr("id", &layer_id(layer))
        .attr("name", title)
        .attr("source", &source(layer))
        .attr("providerKey", "ogr")
        .attr("checked", checked_state(checked))
        .attr("expanded", "1")
        .attr("legend_exp", "")
        .attr("patch_size", "-1,-1")
        .attr("legend_split_behavior", "0")
        .child(properties)
}

fn checked_state(checked: bool) -> &'static str {
    if checked {
        "Qt::Checked"
    } else {
        "Qt::Unchecked"
    }
}

pub(crate) fn custom_properties() -> Element {
    Element::new("customproperties").child(Element::new("Option"))
}

/// A name per category (its theme, its group), made unique by the category's name where
/// two categories would share one.
fn unique_names(analysis: &Analysis, name: impl Fn(&CategorySummary) -> String) -> Vec<String> {
    let names: Vec<String> = analysis
        .categories
        .iter()
        .map(|c| name(&c.summary))
        .collect();
    analysis
        .categories
        .iter()
        .zip(&names)
        .map(|(c, n)| {
            if names.iter().filter(|m| *m == n).count() > 1 {
                format!("{n} ({})", c.summary.name)
            } else {
                n.clone()
            }
        })
        .collect()
}

/// The project's settings: relative paths, ellipsoidal measurement on WGS 84, metres.
fn properties() -> Element {
    let value = |name: &'static str, ty: &str, v: &str| Element::new(name).attr("type", ty).text(v);
    Element::new("properties")
        .child(Element::new("Paths").child(value("Absolute", "bool", "false")))
        .child(Element::new("Measure").child(value("Ellipsoid", "QString", "EPSG:7030")))
        .child(
            Element::new("Measurement")
                .child(value("DistanceUnits", "QString", "meters"))
                .child(value("AreaUnits", "QString", "m2")),
        )
        .child(Element::new("SpatialRefSys").child(value("ProjectionsEnabled", "int", "1")))
}

/// The project's CRS: the run's working CRS (metres, so scale bars and measurements read
/// true), else WGS 84.
pub(crate) struct ProjectCrs {
    /// Its `<spatialrefsys>`.
    pub srs: Element,
    /// The CRS to project lon/lat into, `None` for WGS 84.
    work: Option<Crs>,
}

impl ProjectCrs {
    fn of(work: &Crs) -> Result<ProjectCrs> {
        if let Crs::Proj(definition) = work {
            if let Ok(srs) = srs_element(definition, &work.to_string(), work.is_geographic()) {
                return Ok(ProjectCrs {
                    srs,
                    work: Some(work.clone()),
                });
            }
        }
        Ok(ProjectCrs {
            srs: srs_element("EPSG:4326", "WGS 84", true)?,
            work: None,
        })
    }

    /// Whether map units are metres.
    pub fn metric(&self) -> bool {
        self.work.is_some()
    }

    /// A lon/lat rectangle in the project CRS: the bounds of its outline, densified.
    fn extent_of(&self, r: Rect<f64>) -> Result<Rect<f64>> {
        let Some(work) = &self.work else {
            return Ok(r);
        };
        let (min, max) = (r.min(), r.max());
        let steps = 20;
        let mut ring = Vec::with_capacity(4 * steps);
        for i in 0..steps {
            let t = i as f64 / steps as f64;
            let x = min.x + t * (max.x - min.x);
            let y = min.y + t * (max.y - min.y);
            ring.push(Coord { x, y: min.y });
            ring.push(Coord { x: max.x, y });
            ring.push(Coord {
                x: max.x - (x - min.x),
                y: max.y,
            });
            ring.push(Coord {
                x: min.x,
                y: max.y - (y - min.y),
            });
        }
        let mut line = LineString::new(ring);
        WorkCrs::of(work)?
            .project(&mut line)
            .map_err(|problem| project_error(format!("cannot place the view: {problem}")))?;
        line.bounding_rect()
            .ok_or_else(|| project_error("cannot place the view: an empty extent".into()))
    }
}

/// An error writing the project (it is stored in results.gpkg).
fn project_error(message: String) -> Error {
    Error::Product {
        path: std::path::PathBuf::from("results.gpkg"),
        message: format!("the QGIS project: {message}"),
    }
}

/// A `<spatialrefsys>` QGIS reads by its WKT (QGIS's own `srsid` is not known here).
fn srs_element(definition: &str, description: &str, geographic: bool) -> Result<Element> {
    let fail =
        |message: String| project_error(format!("cannot describe the CRS {definition}: {message}"));
    let proj = Proj::new(definition).map_err(|e| fail(e.to_string()))?;
    let wkt = proj.as_wkt(None, None).map_err(|e| fail(e.to_string()))?;
    let authid =
        if definition.contains(':') && !definition.contains('[') && !definition.contains('+') {
            definition.trim().to_ascii_uppercase()
        } else {
            String::new()
        };
    Ok(Element::new("spatialrefsys")
        .child(Element::new("wkt").text(&wkt))
        .child(Element::new("proj4"))
        .child(Element::new("srsid").text("0"))
        .child(Element::new("srid").text("0"))
        .child(Element::new("authid").text(&authid))
        .child(Element::new("description").text(description))
        .child(Element::new("projectionacronym"))
        .child(Element::new("ellipsoidacronym"))
        .child(Element::new("geographicflag").text(if geographic { "true" } else { "false" })))
}

/// The lon/lat bounds of the study area: the communities', else every feature's.
fn study_extent(layers: &[OutputLayer<'_>]) -> Option<Rect<f64>> {
    let communities = layers.iter().find(|l| l.kind == LayerKind::Communities);
    let chosen: Vec<&OutputLayer<'_>> = match communities {
        Some(c) if !c.is_empty() => vec![c],
        _ => layers.iter().collect(),
    };
    chosen.iter().filter_map(|l| l.extent()).reduce(|a, b| {
        Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        )
    })
}

pub(crate) fn rect_attrs(el: Element, r: Rect<f64>) -> Element {
    el.attr("xmin", &r.min().x.to_string())
        .attr("ymin", &r.min().y.to_string())
        .attr("xmax", &r.max().x.to_string())
        .attr("ymax", &r.max().y.to_string())
}

/// The map canvas QGIS opens on: the study area, in the project CRS.
fn map_canvas(crs: &ProjectCrs, view: Rect<f64>) -> Element {
    let text = |name: &'static str, v: f64| Element::new(name).text(&v.to_string());
    Element::new("mapcanvas")
        .attr("name", "theMapCanvas")
        .attr("annotationsVisible", "1")
        .child(Element::new("units").text(if crs.metric() { "meters" } else { "degrees" }))
        .child(
            Element::new("extent")
                .child(text("xmin", view.min().x))
                .child(text("ymin", view.min().y))
                .child(text("xmax", view.max().x))
                .child(text("ymax", view.max().y)),
        )
        .child(Element::new("rotation").text("0"))
        .child(Element::new("destinationsrs").child(crs.srs.clone()))
        .child(Element::new("rendermaptile").text("0"))
        .child(Element::new("expressionContextScope"))
}
