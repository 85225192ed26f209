//! Reading and checking the input layers: communities and facilities from GeoJSON.
//!
//! Every feature is accounted for: it becomes a [`Community`] or a [`Facility`], or the load
//! fails with an error naming the file, the feature (index and id) and what is wrong.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use geo::{Coord, InteriorPoint, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use crate::error::{Error, FeatureProblem, Result};
use crate::input::config::{
    CategoryRule, CommunityLayer, DemandKind, DemandLayer, FacilityLayer, MatchValue, TableColumns,
};
use crate::input::crs::Crs;
use crate::warning::LayerNote;

/// A residential community (社区): a boundary with the people living in it.
#[derive(Debug, Clone)]
pub struct Community {
    /// Position in the input file.
    pub index: usize,
    /// Unique id.
    pub id: String,
    /// Name, if the layer has one.
    pub name: Option<String>,
    /// Residents, if known.
    pub population: Option<f64>,
    /// Households, if known.
    pub households: Option<f64>,
    /// Boundary, in the layer's CRS until projected.
    pub boundary: MultiPolygon<f64>,
    /// All input properties, kept for the output layer.
    pub properties: Map<String, Value>,
    /// Defects found in the text and mended on reading (3D positions, unclosed rings).
    pub defects: Vec<crate::warning::Defect>,
    /// Group (district, street), if a group field is configured.
    pub group: Option<String>,
}

/// A facility: a market, a clinic, a sports ground.
#[derive(Debug, Clone)]
pub struct Facility {
    /// Position in the input file.
    pub index: usize,
    /// Id (from the id field, the feature id, or `#<index>`).
    pub id: String,
    /// Category, from the rules or the category field; `None` if neither gives one.
    pub category: Option<String>,
    /// Where it can be reached from: one point, several for a MultiPoint (entrances), or a
    /// point inside a polygon.
    pub sites: Vec<Coord<f64>>,
    /// Id of the community it is assigned to, if the layer names one.
    pub community: Option<String>,
    /// The values of the layer's kept numeric fields (`FacilityLayer::value_fields`).
    pub values: Vec<Option<f64>>,
}

/// Where people are: a weighted point or a polygon of known population.
#[derive(Debug, Clone)]
pub struct Demand {
    /// Position in the input file.
    pub index: usize,
    /// Id (from the id field, the feature id, or `#<index>`).
    pub id: String,
    /// Residents (or households) it stands for.
    pub weight: f64,
    /// Where they are.
    pub shape: DemandShape,
    /// Group, if the demand layer carries one.
    pub group: Option<String>,
    /// Defects found in the text and mended on reading.
    pub defects: Vec<crate::warning::Defect>,
}

/// The shape of a demand feature.
#[derive(Debug, Clone)]
pub enum DemandShape {
    /// A point: everyone there is covered or not.
    Point(Coord<f64>),
    /// An area: people are spread evenly over it.
    Area(MultiPolygon<f64>),
}

impl DemandShape {
    /// The kind of layer a feature of this shape belongs to.
    pub fn kind(&self) -> DemandKind {
        match self {
            DemandShape::Point(_) => DemandKind::Points,
            DemandShape::Area(_) => DemandKind::Polygons,
        }
    }
}

/// A loaded layer: its features and the CRS they are in.
#[derive(Debug, Clone)]
pub struct Layer<T> {
    /// The file read.
    pub path: PathBuf,
    /// The CRS the file's coordinates are in (kept after the features are converted).
    pub crs: Crs,
    /// How the CRS was known.
    pub crs_source: CrsSource,
    /// What reading the file decided that the user should hear: how a table's text was
    /// decoded and why (when it was not plain UTF-8), what an OSM extract gave.
    pub note: Option<crate::warning::LayerNote>,
    /// The features, in file order.
    pub features: Vec<T>,
}

/// How a layer's CRS was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrsSource {
    /// Declared by the user (flag or config).
    Declared,
    /// Read from the file's legacy `crs` member (GeoJSON) or its CRS table (GeoPackage).
    File,
    /// Read from the shapefile's `.prj`.
    Prj,
    /// RFC 7946 default: WGS 84.
    Default,
}

impl CrsSource {
    /// A word for the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            CrsSource::Declared => "declared",
            CrsSource::File => "crs member of the file",
            CrsSource::Prj => "the .prj beside the shapefile",
            CrsSource::Default => "RFC 7946 default",
        }
    }
}

mod encoding;
mod geopackage;
pub(crate) mod osm;
mod read;
mod shapefile;
mod table;
use read::{read_features_from, Parsed};

/// Reads a layer in the format its file name says (`.shp`: a shapefile set; `.csv`: a table
/// of points or WKT; `.gpkg`: a GeoPackage feature layer; any other: GeoJSON), passing each feature to `sink`; returns its CRS, how that was known, and
/// how a table's text was decoded.
fn read_layer(
    path: &Path,
    reader: impl Read,
    declared: Option<&Crs>,
    id_field: &str,
    table: &TableColumns,
    osm: Option<&OsmSelect<'_>>,
    sink: &mut dyn FnMut(Parsed) -> Result<()>,
) -> Result<(Crs, CrsSource, Option<LayerNote>)> {
    let is_pbf = has_extension(path, "pbf");
    if is_pbf {
        drop(reader);
        let Some(select) = osm else {
            return Err(Error::NotGeoJson {
                path: path.to_path_buf(),
                message: "an OpenStreetMap extract is read as facilities (through the rules) \
                          or as the street network, not as this layer"
                    .into(),
            });
        };
        return osm::read_osm_features(path, select.keys.as_ref(), select.keep, sink);
    }
    let is_csv = has_extension(path, "csv");
    let is_gpkg = has_extension(path, "gpkg");
    let is_shp = has_extension(path, "shp");
    if is_shp {
        drop(reader);
        shapefile::read_shapefile(path, declared, table.encoding.as_deref(), sink)
    } else if is_csv {
        table::read_table(path, reader, declared, table, sink)
    } else if is_gpkg {
        let (crs, source) =
            geopackage::read_geopackage(path, table.layer.as_deref(), declared, sink)?;
        Ok((crs, source, None))
    } else {
        let (crs, source) = read_features_from(
            path,
            BufReader::with_capacity(1 << 16, reader),
            declared,
            id_field,
            sink,
        )?;
        Ok((crs, source, None))
    }
}

/// Whether the file name ends in `.ext` (any case).
fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Which elements of an OpenStreetMap extract a layer takes: those with one of `keys`
/// (all tagged ones when `None`) whose tags `keep` takes.
pub(crate) struct OsmSelect<'a> {
    keys: Option<HashSet<String>>,
    keep: &'a dyn Fn(&Map<String, Value>) -> bool,
}

/// A JSON id (string or number) as text.
pub(crate) fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn feature_id(p: &Parsed, field: &str) -> Option<String> {
    p.properties
        .get(field)
        .and_then(id_text)
        .or_else(|| p.feature_id.as_ref().and_then(id_text))
}

/// Reads a numeric field: `Ok(None)` when missing or null.
fn number_field(
    props: &Map<String, Value>,
    field: &str,
) -> std::result::Result<Option<f64>, FeatureProblem> {
    match props.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            Some(v) => Err(FeatureProblem::Negative {
                field: field.to_string(),
                value: v,
            }),
            None => Err(FeatureProblem::NotANumber {
                field: field.to_string(),
                found: n.to_string(),
            }),
        },
        Some(other) => Err(FeatureProblem::NotANumber {
            field: field.to_string(),
            found: other.to_string(),
        }),
    }
}

/// Loads the community layer: polygons with ids, and populations when given.
pub fn load_communities(spec: &CommunityLayer) -> Result<Layer<Community>> {
    read_communities(open(&spec.path)?, spec)
}

/// Reads a community layer from `reader` (GeoJSON text); `spec.path` names it in messages.
pub fn read_communities(reader: impl Read, spec: &CommunityLayer) -> Result<Layer<Community>> {
    let mut reading = CommunityReading::default();
    let (crs, crs_source, note) = read_layer(
        &spec.path,
        reader,
        spec.crs.as_ref(),
        &spec.id_field,
        &spec.table,
        None,
        &mut |p| reading.take(spec, p),
    )?;
    let mut layer = reading.finish(spec, crs, crs_source)?;
    layer.note = note;
    Ok(layer)
}

/// Communities read so far, and the ids seen.
#[derive(Default)]
struct CommunityReading {
    seen: HashMap<String, usize>,
    features: Vec<Community>,
}

impl CommunityReading {
    /// Checks one parsed feature and keeps it as a community.
    fn take(&mut self, spec: &CommunityLayer, p: Parsed) -> Result<()> {
        let id = feature_id(&p, &spec.id_field);
        let fail = |problem: FeatureProblem| Error::Feature {
            path: spec.path.clone(),
            index: p.index,
            id: id.clone(),
            problem,
        };
        let Some(id_str) = id.clone() else {
            return Err(fail(FeatureProblem::MissingId {
                field: spec.id_field.clone(),
            }));
        };
        if let Some(&first_index) = self.seen.get(&id_str) {
            return Err(fail(FeatureProblem::DuplicateId {
                id: id_str,
                first_index,
            }));
        }
        self.seen.insert(id_str.clone(), p.index);
        let boundary = match &p.geometry {
            None => return Err(fail(FeatureProblem::NoGeometry)),
            Some(geo::Geometry::Polygon(poly)) => MultiPolygon(vec![poly.clone()]),
            Some(geo::Geometry::MultiPolygon(mp)) => mp.clone(),
            Some(other) => {
                return Err(fail(FeatureProblem::WrongGeometry {
                    found: geometry_type(other).to_string(),
                    expected: "Polygon or MultiPolygon",
                }))
            }
        };
        // An empty boundary has no area; other zero-area shapes are caught after repair (a
        // bow-tie's lobes cancel in the signed area but not once repaired).
        if boundary.0.is_empty() {
            return Err(fail(FeatureProblem::ZeroArea));
        }
        let population = number_field(&p.properties, &spec.population_field).map_err(&fail)?;
        if population.is_none() && spec.population_required {
            return Err(fail(FeatureProblem::MissingField {
                field: spec.population_field.clone(),
                why:
                    "the population field is named in the configuration or with --population-field",
            }));
        }
        let households = number_field(&p.properties, &spec.households_field).map_err(&fail)?;
        if households.is_none() && spec.households_required {
            return Err(fail(FeatureProblem::MissingField {
                field: spec.households_field.clone(),
                why:
                    "the households field is named in the configuration or with --households-field",
            }));
        }
        let name = match p.properties.get(&spec.name_field) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let group = match &spec.group_field {
            None => None,
            Some(field) => Some(group_value(&p.properties, field).ok_or_else(|| {
                fail(FeatureProblem::MissingField {
                    field: field.clone(),
                    why: "the group field is named in the configuration or with --group-field",
                })
            })?),
        };
        self.features.push(Community {
            index: p.index,
            id: id_str,
            name,
            population,
            households,
            boundary,
            properties: p.properties,
            defects: p.defects,
            group,
        });
        Ok(())
    }

    /// Checks the layer as a whole.
    fn finish(
        self,
        spec: &CommunityLayer,
        crs: Crs,
        crs_source: CrsSource,
    ) -> Result<Layer<Community>> {
        let path = &spec.path;
        let features = self.features;
        if features.is_empty() {
            return Err(Error::NotGeoJson {
                path: path.clone(),
                message:
                    "the FeatureCollection has no features: there are no communities to measure"
                        .into(),
            });
        }
        // Populations are all or nothing: a coverage figure on a partial population would lie.
        let with = features.iter().filter(|c| c.population.is_some()).count();
        if with > 0 && with < features.len() {
            if let Some(c) = features.iter().find(|c| c.population.is_none()) {
                return Err(Error::Feature {
                    path: path.clone(),
                    index: c.index,
                    id: Some(c.id.clone()),
                    problem: FeatureProblem::MissingField {
                        field: spec.population_field.clone(),
                        why: "other communities have a population; give 0 where nobody lives",
                    },
                });
            }
        }
        Ok(Layer {
            path: path.clone(),
            crs,
            crs_source,
            note: None,
            features,
        })
    }
}

/// Reads a layer of lines (a street network) from `path`, passing each feature's index, id
/// and geometry to `sink`; returns the CRS its coordinates are in.
pub(crate) fn read_lines(
    path: &Path,
    declared: Option<&Crs>,
    table: &TableColumns,
    sink: &mut dyn FnMut(usize, Option<String>, Option<geo::Geometry<f64>>) -> Result<()>,
) -> Result<(Crs, CrsSource, Option<LayerNote>)> {
    read_layer(path, open(path)?, declared, "id", table, None, &mut |p| {
        let id = feature_id(&p, "id");
        sink(p.index, id, p.geometry)
    })
}

/// Loads the facility layer, giving each facility its category.
pub fn load_facilities(spec: &FacilityLayer) -> Result<Layer<Facility>> {
    read_facilities(open(&spec.path)?, spec)
}

fn open(path: &std::path::Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a facility layer from `reader` (GeoJSON text); `spec.path` names it in messages.
pub fn read_facilities(reader: impl Read, spec: &FacilityLayer) -> Result<Layer<Facility>> {
    let mut features = Vec::new();
    let (crs, crs_source, note) = read_layer(
        &spec.path,
        reader,
        spec.crs.as_ref(),
        &spec.id_field,
        &spec.table,
        Some(&OsmSelect {
            keys: osm_keys(spec),
            keep: &|tags| category_of(tags, &spec.rules, &spec.category_field).is_some(),
        }),
        &mut |p| facility_from(spec, p).map(|f| features.push(f)),
    )?;
    Ok(Layer {
        path: spec.path.clone(),
        crs,
        crs_source,
        note,
        features,
    })
}

/// The tag keys an OSM element needs one of to be a facility: the rules' keys and the
/// category field; `None` (every tagged element) when a rule matches everything.
fn osm_keys(spec: &FacilityLayer) -> Option<HashSet<String>> {
    if spec.rules.iter().any(|r| r.when.is_empty()) {
        return None;
    }
    Some(
        spec.rules
            .iter()
            .flat_map(|r| r.when.keys().cloned())
            .chain([spec.category_field.clone()])
            .collect(),
    )
}

/// One facility from a parsed feature; its properties are dropped once the category is
/// known, so a large layer costs its points, not its text.
fn facility_from(spec: &FacilityLayer, p: Parsed) -> Result<Facility> {
    let id = feature_id(&p, &spec.id_field);
    let fail = |problem: FeatureProblem| Error::Feature {
        path: spec.path.clone(),
        index: p.index,
        id: id.clone(),
        problem,
    };
    let sites = match &p.geometry {
        None => return Err(fail(FeatureProblem::NoGeometry)),
        Some(geo::Geometry::Point(pt)) => vec![pt.0],
        Some(geo::Geometry::MultiPoint(mp)) if mp.0.is_empty() => {
            return Err(fail(FeatureProblem::EmptyGeometry("MultiPoint")))
        }
        Some(geo::Geometry::MultiPoint(mp)) => mp.0.iter().map(|p| p.0).collect(),
        Some(geo::Geometry::Polygon(poly)) => {
            vec![polygon_site(poly).ok_or_else(|| fail(FeatureProblem::ZeroArea))?]
        }
        Some(geo::Geometry::MultiPolygon(mp)) => {
            let site = mp.interior_point().map(|p| p.0);
            vec![site.ok_or_else(|| fail(FeatureProblem::ZeroArea))?]
        }
        Some(other) => {
            return Err(fail(FeatureProblem::WrongGeometry {
                found: geometry_type(other).to_string(),
                expected: "Point, MultiPoint, Polygon or MultiPolygon",
            }))
        }
    };
    let category = category_of(&p.properties, &spec.rules, &spec.category_field);
    let community = spec
        .community_field
        .as_ref()
        .and_then(|f| p.properties.get(f))
        .and_then(id_text);
    let values = spec
        .value_fields
        .iter()
        .map(|f| number_field(&p.properties, f))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(&fail)?;
    Ok(Facility {
        index: p.index,
        id: id.unwrap_or_else(|| format!("#{}", p.index)),
        category,
        sites,
        community,
        values,
    })
}

/// A group value: text, or a number as text; `None` if missing, null or blank.
fn group_value(props: &Map<String, Value>, field: &str) -> Option<String> {
    match props.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Loads the demand layer: weighted points or polygons of known population.
pub fn load_demand(spec: &DemandLayer) -> Result<Layer<Demand>> {
    read_demand(open(&spec.path)?, spec)
}

/// Reads a demand layer from `reader` (GeoJSON text); `spec.path` names it in messages.
pub fn read_demand(reader: impl Read, spec: &DemandLayer) -> Result<Layer<Demand>> {
    let mut features: Vec<Demand> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let (crs, crs_source, note) = read_layer(
        &spec.path,
        reader,
        spec.crs.as_ref(),
        &spec.id_field,
        &spec.table,
        None,
        &mut |p| {
            let d = demand_from(spec, p, features.first())?;
            if let Some(&first_index) = seen.get(&d.id) {
                return Err(Error::Feature {
                    path: spec.path.clone(),
                    index: d.index,
                    id: Some(d.id.clone()),
                    problem: FeatureProblem::DuplicateId {
                        id: d.id,
                        first_index,
                    },
                });
            }
            seen.insert(d.id.clone(), d.index);
            features.push(d);
            Ok(())
        },
    )?;
    if features.is_empty() {
        return Err(Error::NotGeoJson {
            path: spec.path.clone(),
            message: "the FeatureCollection has no features: there is no demand to measure".into(),
        });
    }
    Ok(Layer {
        path: spec.path.clone(),
        crs,
        crs_source,
        note,
        features,
    })
}

/// One demand feature; every feature of a layer must be of the kind of the first (or of
/// the kind declared).
fn demand_from(spec: &DemandLayer, p: Parsed, first: Option<&Demand>) -> Result<Demand> {
    let id = feature_id(&p, &spec.id_field);
    let fail = |problem: FeatureProblem| Error::Feature {
        path: spec.path.clone(),
        index: p.index,
        id: id.clone(),
        problem,
    };
    let shape = match &p.geometry {
        None => return Err(fail(FeatureProblem::NoGeometry)),
        Some(geo::Geometry::Point(pt)) => DemandShape::Point(pt.0),
        Some(geo::Geometry::Polygon(poly)) => DemandShape::Area(MultiPolygon(vec![poly.clone()])),
        Some(geo::Geometry::MultiPolygon(mp)) if mp.0.is_empty() => {
            return Err(fail(FeatureProblem::ZeroArea))
        }
        Some(geo::Geometry::MultiPolygon(mp)) => DemandShape::Area(mp.clone()),
        Some(other) => {
            return Err(fail(FeatureProblem::WrongGeometry {
                found: geometry_type(other).to_string(),
                expected: "Point (weighted people) or Polygon / MultiPolygon (of known \
                           population); split a MultiPoint into one point per address",
            }))
        }
    };
    let kind = shape.kind();
    let expected = spec.kind.or(first.map(|f| f.shape.kind()));
    if let Some(expected) = expected.filter(|&e| e != kind) {
        return Err(fail(FeatureProblem::WrongGeometry {
            found: p
                .geometry
                .as_ref()
                .map(geometry_type)
                .unwrap_or("none")
                .to_string(),
            expected: match (expected, spec.kind.is_some()) {
                (DemandKind::Points, true) => "Point (the demand layer is declared kind = \"points\")",
                (DemandKind::Polygons, true) => {
                    "Polygon or MultiPolygon (the demand layer is declared kind = \"polygons\")"
                }
                (DemandKind::Points, false) => {
                    "Point, as the layer's first feature: a demand layer holds points or polygons, not both"
                }
                (DemandKind::Polygons, false) => {
                    "Polygon or MultiPolygon, as the layer's first feature: a demand layer holds points or polygons, not both"
                }
            },
        }));
    }
    let weight = number_field(&p.properties, &spec.weight_field)
        .map_err(&fail)?
        .ok_or_else(|| {
            fail(FeatureProblem::MissingField {
                field: spec.weight_field.clone(),
                why: "every demand feature needs a weight (residents or households); give 0 \
                      where nobody lives",
            })
        })?;
    let group = match &spec.group_field {
        None => None,
        Some(field) => Some(group_value(&p.properties, field).ok_or_else(|| {
            fail(FeatureProblem::MissingField {
                field: field.clone(),
                why: "the group field is named in the configuration",
            })
        })?),
    };
    Ok(Demand {
        index: p.index,
        id: id.unwrap_or_else(|| format!("#{}", p.index)),
        weight,
        shape,
        group,
        defects: p.defects,
    })
}

/// A park or sports ground is reached at a point inside it (geo's `InteriorPoint`).
fn polygon_site(poly: &Polygon<f64>) -> Option<Coord<f64>> {
    poly.interior_point().map(|p| p.0)
}

/// The category of a facility: the first rule that matches, else the category field.
pub fn category_of(
    props: &Map<String, Value>,
    rules: &[CategoryRule],
    field: &str,
) -> Option<String> {
    let matches = |key: &String, want: &MatchValue| {
        let Some(have) = props.get(key).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }) else {
            return false;
        };
        match want {
            MatchValue::One(w) => w == "*" || *w == have,
            MatchValue::Any(ws) => ws.iter().any(|w| w == "*" || *w == have),
        }
    };
    rules
        .iter()
        .find(|r| r.when.iter().all(|(k, v)| matches(k, v)))
        .map(|r| r.category.clone())
        .or_else(|| match props.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
}

pub(crate) fn geometry_type(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::Polygon(_) | geo::Geometry::Rect(_) | geo::Geometry::Triangle(_) => {
            "Polygon"
        }
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn props(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn rules_match_osm_tags_before_the_field() {
        let rules = vec![
            CategoryRule {
                category: "market".into(),
                when: BTreeMap::from([(
                    "shop".to_string(),
                    MatchValue::Any(vec!["supermarket".into(), "greengrocer".into()]),
                )]),
            },
            CategoryRule {
                category: "market".into(),
                when: BTreeMap::from([(
                    "amenity".to_string(),
                    MatchValue::One("marketplace".into()),
                )]),
            },
        ];
        let p = props(serde_json::json!({"shop": "supermarket", "category": "x"}));
        assert_eq!(
            category_of(&p, &rules, "category").as_deref(),
            Some("market")
        );
        let p = props(serde_json::json!({"amenity": "marketplace"}));
        assert_eq!(
            category_of(&p, &rules, "category").as_deref(),
            Some("market")
        );
        let p = props(serde_json::json!({"amenity": "clinic", "category": "health"}));
        assert_eq!(
            category_of(&p, &rules, "category").as_deref(),
            Some("health")
        );
        let p = props(serde_json::json!({"amenity": "bench"}));
        assert_eq!(category_of(&p, &rules, "category"), None);
    }

    #[test]
    fn numbers_as_text_are_refused_with_what_was_found() {
        let p = props(serde_json::json!({"population": "1,234"}));
        let err = number_field(&p, "population").unwrap_err();
        assert_eq!(
            err.to_string(),
            "population is \"1,234\", expected a number"
        );
        let p = props(serde_json::json!({"population": -5}));
        assert!(number_field(&p, "population").is_err());
        let p = props(serde_json::json!({"population": null}));
        assert_eq!(number_field(&p, "population").unwrap(), None);
    }
}
