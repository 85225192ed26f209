//! The map layers of a run, in one form that every writer reads: the GeoJSON files, the
//! GeoPackage and the maps. Geometry is WGS 84 longitude/latitude; properties are JSON values
//! (numbers rounded for reading: shares to 6 decimals, metres and people to 0.1, areas to
//! 0.01 m2).

use std::collections::BTreeSet;

use geo::{Coord, Polygon, Rect};
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::analysis::summary::round6;
use crate::input::config::DemandKind;
use crate::input::load::DemandShape;
use crate::pipeline::{Analysis, GapShape, Owner};

/// What a layer holds; styles and map symbols are chosen by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// Community boundaries with their coverage columns.
    Communities,
    /// Where people live: weighted points or polygons.
    Demand,
    /// Facilities with their category.
    Facilities,
    /// Dissolved service areas of the category at this position in the analysis.
    Circles(usize),
    /// Uncovered places of the category at this position in the analysis.
    Gaps(usize),
    /// Proposed sites of the siting at this position in the analysis.
    Sites(usize),
}

/// The one geometry type of a layer's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    /// Polygons (written as Polygon or MultiPolygon).
    Polygon,
    /// Points (a facility with several entrances is a MultiPoint).
    Point,
}

/// A feature's geometry, WGS 84 lon/lat.
#[derive(Debug, Clone)]
pub enum Shape<'a> {
    /// An area: the polygons of a (multi)polygon.
    Area(&'a [Polygon<f64>]),
    /// One point.
    Point(Coord<f64>),
    /// Several points of one feature (a facility's entrances).
    Points(&'a [Coord<f64>]),
}

/// One feature of an output layer.
#[derive(Debug, Clone)]
pub struct Feature<'a> {
    /// Its id, if it has one.
    pub id: Option<&'a str>,
    /// Its attributes, in column order.
    pub properties: Map<String, Value>,
    /// Its geometry.
    pub shape: Shape<'a>,
}

/// One output layer: `communities`, `demand`, `facilities`, `circles_<category>`,
/// `gaps_<category>`.
#[derive(Debug, Clone)]
pub struct OutputLayer<'a> {
    /// Its name: the GeoJSON file's stem and the GeoPackage table.
    pub name: String,
    /// What it holds.
    pub kind: LayerKind,
    /// Its geometry type.
    pub geometry: GeometryKind,
    /// Its features, in output order.
    pub features: Vec<Feature<'a>>,
    /// What styles and the QGIS project ask of the features, kept when they are dropped
    /// ([`OutputLayer::head`]); `None` while the features are there.
    pub kept: Option<Kept>,
}

/// What styles and the QGIS project ask of a layer's features.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kept {
    count: usize,
    drawn: Option<GeometryKind>,
    fields: BTreeSet<String>,
    numeric: BTreeSet<String>,
    shapes: ShapeKinds,
    extent: Option<Rect<f64>>,
}

/// Which kinds of shape a layer's features have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShapeKinds {
    /// Areas.
    pub areas: bool,
    /// Single points.
    pub points: bool,
    /// Several points in one feature.
    pub multi: bool,
}

impl OutputLayer<'_> {
    /// The layer without its features, keeping their count, the first one's geometry, the
    /// fields they have and their extent: what the styles and the QGIS project ask, once
    /// the layer has been written.
    pub fn head(&self) -> OutputLayer<'static> {
        OutputLayer {
            name: self.name.clone(),
            kind: self.kind,
            geometry: self.geometry,
            features: Vec::new(),
            kept: Some(Kept {
                count: self.len(),
                drawn: self.first_geometry(),
                fields: self
                    .features
                    .iter()
                    .flat_map(|f| f.properties.keys().cloned())
                    .collect(),
                numeric: self
                    .features
                    .iter()
                    .flat_map(|f| {
                        f.properties
                            .iter()
                            .filter(|(_, v)| v.is_number())
                            .map(|(k, _)| k.clone())
                    })
                    .collect(),
                shapes: self.shape_kinds(),
                extent: self.extent(),
            }),
        }
    }

    /// Its number of features.
    pub fn len(&self) -> usize {
        self.kept.as_ref().map_or(self.features.len(), |k| k.count)
    }

    /// Whether it has no feature.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The geometry its features have (a point layer of facility entrances is points
    /// too): the first feature's, else the layer's.
    pub fn drawn_geometry(&self) -> GeometryKind {
        self.first_geometry().unwrap_or(self.geometry)
    }

    fn first_geometry(&self) -> Option<GeometryKind> {
        if let Some(k) = &self.kept {
            return k.drawn;
        }
        self.features.first().map(|f| match f.shape {
            Shape::Area(_) => GeometryKind::Polygon,
            Shape::Point(_) | Shape::Points(_) => GeometryKind::Point,
        })
    }

    /// Whether some feature has the field `name`.
    pub fn has_field(&self, name: &str) -> bool {
        if name.is_empty() {
            return false;
        }
        match &self.kept {
            Some(k) => k.fields.contains(name),
            None => self
                .features
                .iter()
                .any(|f| f.properties.contains_key(name)),
        }
    }

    /// Whether some feature has a number in the field `name`.
    pub fn has_number(&self, name: &str) -> bool {
        match &self.kept {
            Some(k) => k.numeric.contains(name),
            None => self
                .features
                .iter()
                .any(|f| f.properties.get(name).is_some_and(Value::is_number)),
        }
    }

    /// Which kinds of shape its features have.
    pub fn shape_kinds(&self) -> ShapeKinds {
        if let Some(k) = &self.kept {
            return k.shapes;
        }
        let mut kinds = ShapeKinds::default();
        for f in &self.features {
            match f.shape {
                Shape::Area(_) => kinds.areas = true,
                Shape::Point(_) => kinds.points = true,
                Shape::Points(_) => kinds.multi = true,
            }
        }
        kinds
    }

    /// The bounding box of its features (exteriors and points), lon/lat.
    pub fn extent(&self) -> Option<Rect<f64>> {
        if let Some(k) = &self.kept {
            return k.extent;
        }
        let mut bounds: Option<Rect<f64>> = None;
        let mut add = |c: Coord<f64>| {
            bounds = Some(match bounds {
                None => Rect::new(c, c),
                Some(r) => Rect::new(
                    Coord {
                        x: r.min().x.min(c.x),
                        y: r.min().y.min(c.y),
                    },
                    Coord {
                        x: r.max().x.max(c.x),
                        y: r.max().y.max(c.y),
                    },
                ),
            });
        };
        for f in &self.features {
            match &f.shape {
                Shape::Area(polys) => polys
                    .iter()
                    .flat_map(|p| p.exterior().coords())
                    .for_each(|c| add(*c)),
                Shape::Point(c) => add(*c),
                Shape::Points(cs) => cs.iter().for_each(|c| add(*c)),
            }
        }
        bounds
    }
}

/// The layers a run writes, in the order they are written and drawn (bottom first): the
/// translucent service areas under the communities, so that they do not tint the
/// covered-share colours, then the communities and the demand, the gaps outlined above them,
/// and the facilities on top. QGIS stacks the layers of `results.gpkg` in this order when
/// they are added together.
pub fn kinds(analysis: &Analysis) -> Vec<LayerKind> {
    let categories = 0..analysis.categories.len();
    let mut out: Vec<LayerKind> = categories.clone().map(LayerKind::Circles).collect();
    if analysis.inputs.communities.is_some() {
        out.push(LayerKind::Communities);
    }
    if analysis.inputs.demand.is_some() {
        out.push(LayerKind::Demand);
    }
    out.extend(categories.map(LayerKind::Gaps));
    out.push(LayerKind::Facilities);
    out.extend((0..analysis.siting.len()).map(LayerKind::Sites));
    out
}

/// The name of the `s`-th siting's layer: `sites_<category>`, numbered when a category is
/// sited more than once (`sites_market_2`).
pub fn sites_name(analysis: &Analysis, s: usize) -> String {
    let category = &analysis.siting[s].category;
    let before = analysis.siting[..s]
        .iter()
        .filter(|x| &x.category == category)
        .count();
    if before == 0 {
        format!("sites_{category}")
    } else {
        format!("sites_{category}_{}", before + 1)
    }
}

/// The proposed sites of the `s`-th siting, in rank order.
pub fn sites(analysis: &Analysis, s: usize) -> OutputLayer<'_> {
    let siting = &analysis.siting[s];
    let features = siting
        .added
        .iter()
        .map(|a| {
            let mut props = Map::new();
            props.insert("rank".into(), Value::from(a.rank));
            props.insert("id".into(), Value::from(a.id.clone()));
            props.insert("category".into(), Value::from(siting.category.clone()));
            props.insert(
                "group".into(),
                siting.group.clone().map(Value::from).unwrap_or(Value::Null),
            );
            props.insert("population_added".into(), people(Some(a.population_added)));
            props.insert("coverage".into(), number(round6(a.coverage)));
            Feature {
                id: Some(&a.id),
                properties: props,
                shape: Shape::Point(a.lonlat),
            }
        })
        .collect();
    OutputLayer {
        name: sites_name(analysis, s),
        kind: LayerKind::Sites(s),
        geometry: GeometryKind::Point,
        features,
        kept: None,
    }
}

/// Builds one layer.
pub fn build(analysis: &Analysis, kind: LayerKind) -> OutputLayer<'_> {
    match kind {
        LayerKind::Communities => communities(analysis),
        LayerKind::Demand => demand(analysis),
        LayerKind::Facilities => facilities(analysis),
        LayerKind::Circles(c) => circles(analysis, c),
        LayerKind::Gaps(c) => gaps(analysis, c),
        LayerKind::Sites(s) => sites(analysis, s),
    }
}

/// The facilities with their id and category (empty when no rule or field gave one).
pub fn facilities(analysis: &Analysis) -> OutputLayer<'_> {
    let features = analysis
        .facilities
        .iter()
        .map(|f| {
            let mut props = Map::new();
            props.insert("id".into(), Value::from(f.id.clone()));
            props.insert(
                "category".into(),
                f.category.clone().map(Value::from).unwrap_or(Value::Null),
            );
            props.insert("sites".into(), Value::from(f.sites.len()));
            let shape = match f.sites.as_slice() {
                [one] => Shape::Point(*one),
                many => Shape::Points(many),
            };
            Feature {
                id: Some(&f.id),
                properties: props,
                shape,
            }
        })
        .collect();
    OutputLayer {
        name: "facilities".into(),
        kind: LayerKind::Facilities,
        geometry: GeometryKind::Point,
        features,
        kept: None,
    }
}

/// The communities with their input properties and per-category, per-level and
/// per-indicator columns.
pub fn communities(analysis: &Analysis) -> OutputLayer<'_> {
    let with_demand = analysis.inputs.demand.is_some();
    let features = analysis
        .communities
        .par_iter()
        .enumerate()
        .map(|(k, community)| {
            let mut props = community.properties.clone();
            for cat in &analysis.categories {
                let name = &cat.summary.name;
                let cov = &cat.communities[k];
                props.insert(format!("{name}_share"), number(round6(cov.share)));
                props.insert(format!("{name}_nearest_m"), metres(cov.nearest_m));
                props.insert(format!("{name}_count"), Value::from(cov.count));
                props.insert(format!("{name}_meets"), Value::Bool(cov.meets));
                if with_demand {
                    props.insert(
                        format!("{name}_population_covered"),
                        people(cov.population_covered),
                    );
                }
            }
            if with_demand {
                let population = analysis
                    .categories
                    .first()
                    .and_then(|c| c.communities[k].population);
                props.insert("demand_population".into(), people(population));
            }
            for level in &analysis.levels {
                let name = &level.summary.name;
                let at = &level.communities[k];
                props.insert(format!("{name}_within"), Value::from(at.score()));
                props.insert(format!("{name}_required"), Value::from(at.within.len()));
                props.insert(
                    format!("{name}_missing"),
                    Value::from(at.missing(&level.summary.categories).join(", ")),
                );
                props.insert(format!("{name}_complete"), Value::Bool(at.complete()));
                props.insert(
                    format!("{name}_complete_share"),
                    number(round6(at.complete_share)),
                );
            }
            for ind in &analysis.indicators {
                let name = &ind.summary.name;
                let at = &ind.communities[k];
                props.insert(
                    format!("{name}_value"),
                    at.value.map(|v| number(round6(v))).unwrap_or(Value::Null),
                );
                props.insert(
                    format!("{name}_meets"),
                    at.meets.map(Value::Bool).unwrap_or(Value::Null),
                );
            }
            Feature {
                id: Some(&community.id),
                properties: props,
                shape: Shape::Area(&community.boundary.0),
            }
        })
        .collect();
    OutputLayer {
        name: "communities".into(),
        kind: LayerKind::Communities,
        geometry: GeometryKind::Polygon,
        features,
        kept: None,
    }
}

/// The demand features with their id, weight and per-category nearest distance and covered
/// share (and per-level completeness).
pub fn demand(analysis: &Analysis) -> OutputLayer<'_> {
    let weight_field = analysis
        .inputs
        .demand
        .as_ref()
        .map(|d| d.weight_field.clone())
        .unwrap_or_else(|| "weight".into());
    let features = analysis
        .demand
        .par_iter()
        .enumerate()
        .map(|(i, d)| {
            let mut props = Map::new();
            props.insert("id".into(), Value::from(d.id.clone()));
            props.insert(weight_field.clone(), number(d.weight));
            if let (Some(field), Some(group)) = (&analysis.group_field, &d.group) {
                props.insert(field.clone(), Value::from(group.clone()));
            }
            for cat in &analysis.categories {
                let name = &cat.summary.name;
                let cov = &cat.demand[i];
                props.insert(format!("{name}_nearest_m"), metres(cov.nearest_m));
                props.insert(format!("{name}_covered"), number(round6(cov.covered)));
            }
            for level in &analysis.levels {
                let name = &level.summary.name;
                let at = &level.demand[i];
                props.insert(format!("{name}_within"), Value::from(at.score()));
                props.insert(
                    format!("{name}_missing"),
                    Value::from(at.missing(&level.summary.categories).join(", ")),
                );
                props.insert(
                    format!("{name}_complete_share"),
                    number(round6(at.complete_share)),
                );
            }
            let shape = match &d.shape {
                DemandShape::Point(c) => Shape::Point(*c),
                DemandShape::Area(b) => Shape::Area(&b.0),
            };
            Feature {
                id: Some(&d.id),
                properties: props,
                shape,
            }
        })
        .collect();
    let geometry = match analysis.inputs.demand.as_ref().map(|d| d.kind) {
        Some(DemandKind::Polygons) => GeometryKind::Polygon,
        _ => GeometryKind::Point,
    };
    OutputLayer {
        name: "demand".into(),
        kind: LayerKind::Demand,
        geometry,
        features,
        kept: None,
    }
}

fn metres(d: Option<f64>) -> Value {
    d.map(|d| number((d * 10.0).round() / 10.0))
        .unwrap_or(Value::Null)
}

fn people(p: Option<f64>) -> Value {
    p.map(|p| number((p * 10.0).round() / 10.0))
        .unwrap_or(Value::Null)
}

/// `gaps_<category>`: the uncovered places of the `c`-th category, largest first: parts of
/// communities, or (without communities) parts of demand polygons or uncovered demand points.
pub fn gaps(analysis: &Analysis, c: usize) -> OutputLayer<'_> {
    let cat = &analysis.categories[c];
    let features = cat
        .gaps
        .par_iter()
        .enumerate()
        .map(|(rank, gap)| {
            let mut props = Map::new();
            props.insert("rank".into(), Value::from(rank + 1));
            match gap.owner {
                Owner::Community(k) => {
                    let community = &analysis.communities[k];
                    props.insert("community_id".into(), Value::from(community.id.clone()));
                    props.insert(
                        "community_name".into(),
                        community
                            .name
                            .clone()
                            .map(Value::from)
                            .unwrap_or(Value::Null),
                    );
                }
                Owner::Demand(i) => {
                    props.insert(
                        "demand_id".into(),
                        Value::from(analysis.demand[i].id.clone()),
                    );
                }
            }
            props.insert("category".into(), Value::from(cat.summary.name.clone()));
            props.insert(
                "area_m2".into(),
                gap.area_m2
                    .map(|a| number((a * 100.0).round() / 100.0))
                    .unwrap_or(Value::Null),
            );
            props.insert("population".into(), people(gap.population));
            let shape = match &gap.shape {
                GapShape::Area(p) => Shape::Area(std::slice::from_ref(p)),
                GapShape::Point(c) => Shape::Point(*c),
            };
            Feature {
                id: None,
                properties: props,
                shape,
            }
        })
        .collect();
    let geometry = match cat.gaps.first().map(|g| &g.shape) {
        Some(GapShape::Point(_)) => GeometryKind::Point,
        Some(GapShape::Area(_)) => GeometryKind::Polygon,
        None if analysis.communities.is_empty()
            && analysis.inputs.demand.as_ref().map(|d| d.kind) == Some(DemandKind::Points) =>
        {
            GeometryKind::Point
        }
        None => GeometryKind::Polygon,
    };
    OutputLayer {
        name: format!("gaps_{}", cat.summary.name),
        kind: LayerKind::Gaps(c),
        geometry,
        features,
        kept: None,
    }
}

/// `circles_<category>`: the dissolved service areas of the `c`-th category.
pub fn circles(analysis: &Analysis, c: usize) -> OutputLayer<'_> {
    let cat = &analysis.categories[c];
    let mut features = Vec::with_capacity(cat.service_areas.len());
    for area in &cat.service_areas {
        let mut props = Map::new();
        props.insert("category".into(), Value::from(cat.summary.name.clone()));
        props.insert("radius_m".into(), number(cat.summary.radius_m));
        props.insert("facilities".into(), Value::from(area.facilities));
        props.insert(
            "area_m2".into(),
            number((area.area_m2 * 100.0).round() / 100.0),
        );
        features.push(Feature {
            id: None,
            properties: props,
            shape: Shape::Area(&area.shape.0),
        });
    }
    OutputLayer {
        name: format!("circles_{}", cat.summary.name),
        kind: LayerKind::Circles(c),
        geometry: GeometryKind::Polygon,
        features,
        kept: None,
    }
}

/// A JSON number, or null for NaN and infinity.
pub fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}
