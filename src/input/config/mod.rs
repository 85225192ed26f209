//! What a run is: the layers, the categories with their radii and targets, the output.
//!
//! [`Config`] is the TOML file (or the `cover` flags) as written; [`Job`] is the same after
//! checking, with paths resolved and defaults filled in. Nothing downstream sees a `Config`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::input::crs::Crs;
use crate::input::validate::InvalidPolicy;

pub mod siting;
mod text;

pub use text::{InLang, LocalText};

/// Default walking speed, km/h: 15 minutes at 4 km/h is 1,000 m.
pub const DEFAULT_WALKING_SPEED_KMH: f64 = 4.0;
/// Default share of a community's area that must be covered for it to count as served.
pub const DEFAULT_SERVED_THRESHOLD: f64 = 0.5;
/// Default area under which a gap polygon is a sliver and left out of the gap layer.
pub const DEFAULT_MIN_GAP_AREA_M2: f64 = 100.0;

/// A run as written in a TOML file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The community boundaries; optional when a demand layer is given.
    pub communities: Option<CommunitiesConfig>,
    /// The facility points.
    pub facilities: FacilitiesConfig,
    /// Where people live: weighted points or polygons of known population.
    pub demand: Option<DemandConfig>,
    /// The street network walking distances are measured along (default: straight-line
    /// circles).
    pub network: Option<NetworkConfig>,
    /// Settings that apply to every category.
    #[serde(default)]
    pub analysis: AnalysisConfig,
    /// The facility categories to measure, each with its radius and target.
    #[serde(default, rename = "category")]
    pub categories: Vec<CategoryConfig>,
    /// Life-circle levels: a radius and the categories each must hold.
    #[serde(default, rename = "level")]
    pub levels: Vec<LevelConfig>,
    /// Ratio indicators per community (m2 per 100 households, workers per 10,000 residents).
    #[serde(default, rename = "indicator")]
    pub indicators: Vec<IndicatorConfig>,
    /// Coverage against radius.
    #[serde(default)]
    pub curve: CurveConfig,
    /// Where to add facilities: one entry per category (and group) to site.
    #[serde(default)]
    pub siting: Vec<SitingConfig>,
    /// Where and what to write.
    #[serde(default)]
    pub output: OutputConfig,
}

/// `[communities]`: the polygon layer and its field names.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommunitiesConfig {
    /// GeoJSON file of Polygon / MultiPolygon features.
    pub path: PathBuf,
    /// Declared CRS, overriding the file's (default WGS 84, as RFC 7946 says).
    pub crs: Option<String>,
    /// Field holding the community id (default `id`, then the feature id).
    pub id: Option<String>,
    /// Field holding the community name (default `name`).
    pub name: Option<String>,
    /// Field holding the number of residents (default `population`; required when named).
    pub population: Option<String>,
    /// Field holding the number of households (default `households`; required when named).
    pub households: Option<String>,
    /// What to do with an invalid boundary: repair (default), skip or fail.
    pub on_invalid: Option<InvalidPolicy>,
    /// Field holding the group (district, street) every figure is also given for.
    pub group: Option<String>,
    /// What a group is, for readers (e.g. `{ en = "street", zh = "街道" }`; default the
    /// group field's name).
    pub group_label: Option<LocalText>,
    /// CSV: the column holding longitude or x (default `lon`, `lng`, `longitude` or `x`).
    pub x: Option<String>,
    /// CSV: the column holding latitude or y (default `lat`, `latitude` or `y`).
    pub y: Option<String>,
    /// CSV: the column holding a WKT geometry (default `wkt`).
    pub wkt: Option<String>,
    /// Text encoding of a CSV file (default: UTF-8 if the whole file is, else GB18030).
    pub encoding: Option<String>,
    /// GeoPackage: the feature layer to read (required when the file holds several).
    pub layer: Option<String>,
}

/// `[demand]`: where people are, finer than the communities.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DemandConfig {
    /// GeoJSON file of Point features (weighted) or Polygon / MultiPolygon features (of
    /// known population).
    pub path: PathBuf,
    /// Declared CRS, overriding the file's.
    pub crs: Option<String>,
    /// Field holding the feature id (default `id`, then the feature id, then its position).
    pub id: Option<String>,
    /// Field holding the weight: residents or households (default `population`).
    pub weight: Option<String>,
    /// `points` or `polygons`; checked against the file when given.
    pub kind: Option<DemandKind>,
    /// Field holding the group, when there is no community layer to take it from.
    pub group: Option<String>,
    /// What a group is, for readers (plain, or per language; default the field's name).
    pub group_label: Option<LocalText>,
    /// What to do with an invalid polygon: repair (default), skip or fail.
    pub on_invalid: Option<InvalidPolicy>,
    /// CSV: the column holding longitude or x (default `lon`, `lng`, `longitude` or `x`).
    pub x: Option<String>,
    /// CSV: the column holding latitude or y (default `lat`, `latitude` or `y`).
    pub y: Option<String>,
    /// CSV: the column holding a WKT geometry (default `wkt`).
    pub wkt: Option<String>,
    /// Text encoding of a CSV file (default: UTF-8 if the whole file is, else GB18030).
    pub encoding: Option<String>,
    /// GeoPackage: the feature layer to read (required when the file holds several).
    pub layer: Option<String>,
}

/// What a demand layer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DemandKind {
    /// Weighted points: building entrances, address points, census centroids.
    Points,
    /// Polygons of known population: a population grid, census blocks.
    Polygons,
}

impl fmt::Display for DemandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DemandKind::Points => "points",
            DemandKind::Polygons => "polygons",
        })
    }
}

/// `[[level]]`: a life circle of the standard (5, 10 or 15 minutes) and what it must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LevelConfig {
    /// Level name, used in column names (e.g. `15min`).
    pub name: String,
    /// A readable title (plain, or `{ en = "...", zh = "..." }`).
    pub label: Option<LocalText>,
    /// Radius in metres.
    pub radius_m: Option<f64>,
    /// Radius as minutes of walking.
    pub minutes: Option<f64>,
    /// Facility categories every place must reach within the radius.
    pub categories: Vec<String>,
    /// Target share of residents living in a complete circle, 0..1.
    pub target: Option<f64>,
    /// Where the radius and the list come from.
    pub source: Option<LocalText>,
}

/// `[[indicator]]`: a ratio per community, judged against a target.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorConfig {
    /// Indicator name, used in column names.
    pub name: String,
    /// A readable title (plain, or `{ en = "...", zh = "..." }`).
    pub label: Option<LocalText>,
    /// What is counted or summed.
    pub numerator: NumeratorConfig,
    /// A community field to divide by (households, population); none divides by 1.
    pub denominator: Option<String>,
    /// The ratio is numerator / denominator x scale (100 for "per 100 households").
    pub scale: Option<f64>,
    /// The community meets it at or above this value.
    pub at_least: Option<f64>,
    /// The community meets it at or below this value.
    pub at_most: Option<f64>,
    /// Only communities meeting this condition (or all of these conditions) are judged.
    pub when: Option<OneOrMany<ConditionConfig>>,
    /// Share of judged communities that must meet it for a pass (default 1: all).
    pub target_share: Option<f64>,
    /// Where the indicator comes from.
    pub source: Option<LocalText>,
}

/// An indicator's numerator: one of `field`, `count`, or `sum` with `category`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NumeratorConfig {
    /// A community field (e.g. `workers`).
    pub field: Option<String>,
    /// The number of facilities of this category in the community.
    pub count: Option<String>,
    /// A facility field summed over the facilities of `category` in the community.
    pub sum: Option<String>,
    /// The category `sum` is taken over.
    pub category: Option<String>,
}

/// One value or a list of them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
}

/// `when = { field = "households", at_least = 500 }`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionConfig {
    /// A community field.
    pub field: String,
    /// Holds when the field is at least this.
    pub at_least: Option<f64>,
    /// Holds when the field is at most this.
    pub at_most: Option<f64>,
}

/// `[curve]`: coverage against radius, from every demand feature's nearest distance.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CurveConfig {
    /// First radius, m (default 100).
    pub from_m: Option<f64>,
    /// Last radius, m (default 3,000).
    pub to_m: Option<f64>,
    /// Step, m (default 100).
    pub step_m: Option<f64>,
    /// Set to false to skip the curve.
    pub enabled: Option<bool>,
}

/// `[facilities]`: the point layer and how its categories are found.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FacilitiesConfig {
    /// GeoJSON file of Point / MultiPoint (or Polygon) features.
    pub path: PathBuf,
    /// Declared CRS, overriding the file's (e.g. `GCJ-02` for web-map data).
    pub crs: Option<String>,
    /// Field holding the facility id (default `id`, then the feature id, then its position).
    pub id: Option<String>,
    /// Field holding the category (default `category`).
    pub category: Option<String>,
    /// Rules that give a category from other properties (e.g. OSM tags); first match wins.
    #[serde(default, rename = "rule")]
    pub rules: Vec<CategoryRule>,
    /// Field holding the id of the community a facility is assigned to, for indicators
    /// (default: the community the facility lies in).
    pub community: Option<String>,
    /// CSV: the column holding longitude or x (default `lon`, `lng`, `longitude` or `x`).
    pub x: Option<String>,
    /// CSV: the column holding latitude or y (default `lat`, `latitude` or `y`).
    pub y: Option<String>,
    /// CSV: the column holding a WKT geometry (default `wkt`).
    pub wkt: Option<String>,
    /// Text encoding of a CSV file (default: UTF-8 if the whole file is, else GB18030).
    pub encoding: Option<String>,
    /// GeoPackage: the feature layer to read (required when the file holds several).
    pub layer: Option<String>,
}

/// How a CSV table holds its geometry and its text encoding, and which layer of a
/// GeoPackage is read (GeoJSON ignores them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableColumns {
    /// The column holding longitude or x.
    pub x: Option<String>,
    /// The column holding latitude or y.
    pub y: Option<String>,
    /// The column holding a WKT geometry.
    pub wkt: Option<String>,
    /// The declared text encoding.
    pub encoding: Option<String>,
    /// A GeoPackage's feature layer.
    pub layer: Option<String>,
}

/// `[network]`: the walkable streets, a line layer or an OpenStreetMap `.osm.pbf` extract.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// GeoJSON of LineString / MultiLineString features, or an `.osm.pbf` file.
    pub path: PathBuf,
    /// Declared CRS of a line layer, overriding the file's (e.g. `GCJ-02`).
    pub crs: Option<String>,
    /// Components with fewer nodes are dropped (default 40).
    pub min_component_nodes: Option<usize>,
    /// Points farther than this from every street are unreachable, metres (default 100).
    pub snap_max_m: Option<f64>,
    /// Side of the grid cells areas are sampled on, metres (default 20).
    pub cell_m: Option<f64>,
    /// OSM `highway` values to leave out, besides the default ones.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// OSM `highway` values to keep although left out by default (e.g. `construction`).
    #[serde(default)]
    pub include: Vec<String>,
    /// CSV: the column holding each street's WKT geometry (default `wkt`).
    pub wkt: Option<String>,
    /// Text encoding of a CSV file (default: UTF-8 if the whole file is, else GB18030).
    pub encoding: Option<String>,
    /// GeoPackage: the feature layer to read (required when the file holds several).
    pub layer: Option<String>,
}

/// How a category's reach is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReachKind {
    /// Along the street network when one is given, else straight-line circles.
    #[default]
    Network,
    /// Straight-line circles, even when a network is given.
    Circle,
}

/// `[[facilities.rule]]`: facilities whose properties all match get this category.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CategoryRule {
    /// The category given.
    pub category: String,
    /// Property name to wanted value(s); `"*"` matches any non-null value. An empty (or
    /// absent) match takes every facility.
    #[serde(rename = "match", default)]
    pub when: BTreeMap<String, MatchValue>,
}

/// One wanted value or a list of them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum MatchValue {
    /// Exactly this value.
    One(String),
    /// Any of these values.
    Any(Vec<String>),
}

/// `[[siting]]`: where to add facilities of a category, after measuring it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SitingConfig {
    /// The category.
    pub category: String,
    /// `"gaps"` (the uncovered demand points), `"grid:SPACING"` (cell centres in the gaps)
    /// or a point layer of candidate sites, relative to the configuration file.
    pub candidates: String,
    /// Declared CRS of a candidate layer.
    pub candidates_crs: Option<String>,
    /// Id field of a candidate layer (default `id`).
    pub candidates_id: Option<String>,
    /// The K new sites that reach the most people.
    pub add: Option<usize>,
    /// The fewest new sites that bring coverage to this share (0..1; default: the
    /// category's target).
    pub target: Option<f64>,
    /// Only this group's people count (a district, a street); default the whole study.
    pub group: Option<String>,
}

/// `[analysis]`: settings shared by every category.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Metric CRS for distances and areas (default: UTM zone of the study area's centre).
    pub work_crs: Option<String>,
    /// Walking speed for radii given in minutes, km/h (default 4).
    pub walking_speed_kmh: Option<f64>,
    /// Covered share from which a community counts as served (default 0.5).
    pub served_threshold: Option<f64>,
}

/// `[[category]]`: one facility category, its reach and its target.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryConfig {
    /// Category name as the facilities carry it; also used in column and file names.
    pub name: String,
    /// A readable title, e.g. "15-minute fitness circle" (plain, or per language).
    pub label: Option<LocalText>,
    /// Radius in metres.
    pub radius_m: Option<f64>,
    /// Radius as minutes of walking (at `walking_speed_kmh`).
    pub minutes: Option<f64>,
    /// Target coverage, a fraction 0..1 (0.95 for 95%).
    pub target: Option<f64>,
    /// What the target is judged on (default population when populations are given, else area).
    pub basis: Option<Basis>,
    /// Served threshold for this category, overriding `[analysis]`.
    pub served_threshold: Option<f64>,
    /// Where the radius and target come from (a plan, a standard); printed in the summary.
    pub source: Option<LocalText>,
    /// `circle` keeps straight-line circles for this category when a network is given.
    pub reach: Option<ReachKind>,
}

/// `[output]`: where results go.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Output folder (default `out`, beside the config file).
    pub dir: Option<PathBuf>,
    /// Gap polygons smaller than this, m2, are dropped from the gap layer and counted (default 100).
    pub min_gap_area_m2: Option<f64>,
    /// Language of the report and the maps: `en` (default) or `zh`.
    pub lang: Option<Lang>,
    /// Title of the report and the maps (default "15-minute life circles", in Chinese
    /// "15分钟生活圈"; plain, or per language).
    pub title: Option<LocalText>,
    /// Where the data come from, printed on every map and in the report
    /// (e.g. "Boundaries: city planning bureau 2024; facilities: © OpenStreetMap contributors";
    /// plain, or per language).
    pub attribution: Option<LocalText>,
    /// Write the GeoJSON layers (communities, facilities, demand, gaps_*, circles_*) and
    /// their `.qml` styles (default true).
    pub layers: Option<bool>,
    /// Write `results.gpkg` (default true).
    pub geopackage: Option<bool>,
    /// Store a QGIS project in `results.gpkg` and write it beside as `<title>.qgs`: layers
    /// grouped by category, one map theme and one print layout per category (default true;
    /// needs the GeoPackage).
    pub qgis_project: Option<bool>,
    /// Write `maps/<category>.svg` and `.png` (default true).
    pub maps: Option<bool>,
    /// Resolution of the PNG maps, dots per inch at A4 width (default 150; 300 for print).
    pub map_dpi: Option<f64>,
    /// Also draw one map per group (`[communities] group`) and category,
    /// `maps/<category>/<group>.svg` and `.png`, each framed on its group (default false).
    pub maps_per_group: Option<bool>,
    /// Write `report.html` and `report.md` (default true).
    pub report: Option<bool>,
}

/// Language of the report and the maps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        })
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Lang, String> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            other => Err(format!(
                "\"{other}\" is not a report language; expected en or zh"
            )),
        }
    }
}

/// Default PNG map resolution, dots per inch at A4 width.
pub const DEFAULT_MAP_DPI: f64 = 150.0;

/// Default report and map title.
pub const DEFAULT_TITLE: &str = "15-minute life circles";

/// The default title in `lang`.
pub fn default_title(lang: Lang) -> &'static str {
    match lang {
        Lang::En => DEFAULT_TITLE,
        Lang::Zh => "15分钟生活圈",
    }
}

/// The finished products a run writes beside its data layers: the GeoPackage, the maps and
/// the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Products {
    /// Write the GeoJSON layers and their `.qml` styles.
    pub layers: bool,
    /// Write `results.gpkg`.
    pub geopackage: bool,
    /// Store the QGIS project in `results.gpkg` and write `<title>.qgs` beside it (only
    /// with the GeoPackage).
    pub qgis_project: bool,
    /// Write `maps/<category>.svg|png`.
    pub maps: bool,
    /// PNG resolution, dots per inch at A4 width (210 mm).
    pub map_dpi: f64,
    /// Also draw `maps/<category>/<group>.svg|png`, one map per group and category.
    pub maps_per_group: bool,
    /// Write `report.html` and `report.md`.
    pub report: bool,
    /// Language of the report and the maps. The configuration's texts (titles, labels,
    /// sources) are resolved in it by [`Job::from_config`]: set `[output] lang` before,
    /// not this field after.
    pub lang: Lang,
    /// Title of the report and the maps.
    pub title: String,
    /// Data sources, printed on every map and in the report.
    pub attribution: Option<String>,
}

impl Products {
    /// Whether any product shows gaps and service areas (the dissolved circles): the
    /// layers, the GeoPackage, the maps or the report. Without one, service areas are not
    /// dissolved and gaps are only counted.
    pub fn shows_areas(&self) -> bool {
        self.layers || self.geopackage || self.maps || self.report
    }
}

impl Default for Products {
    fn default() -> Products {
        Products {
            layers: true,
            geopackage: true,
            qgis_project: true,
            maps: true,
            map_dpi: DEFAULT_MAP_DPI,
            maps_per_group: false,
            report: true,
            lang: Lang::En,
            title: DEFAULT_TITLE.to_string(),
            attribution: None,
        }
    }
}

/// What a coverage figure is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Share of residents living inside the circles (people spread evenly in each community).
    Population,
    /// Share of the communities' area inside the circles.
    Area,
    /// Share of communities served (covered share at or above the threshold).
    Communities,
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Basis::Population => "population",
            Basis::Area => "area",
            Basis::Communities => "communities",
        })
    }
}

impl std::str::FromStr for Basis {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "population" => Ok(Basis::Population),
            "area" => Ok(Basis::Area),
            "communities" => Ok(Basis::Communities),
            other => Err(format!(
                "unknown basis \"{other}\": expected population, area or communities"
            )),
        }
    }
}

impl Config {
    /// Reads and parses a TOML configuration file.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text, path)
    }

    /// Parses TOML text; `path` is only used in messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config> {
        toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: suggest_field(e.to_string().trim_end()),
        })
    }
}

/// A checked run: what the pipeline executes.
#[derive(Debug, Clone)]
pub struct Job {
    /// The community layer; `None` when only a demand layer is given.
    pub communities: Option<CommunityLayer>,
    /// The facility layer.
    pub facilities: FacilityLayer,
    /// The demand layer, if any.
    pub demand: Option<DemandLayer>,
    /// The street network, if any.
    pub network: Option<NetworkLayer>,
    /// The categories, in the order given.
    pub categories: Vec<CategorySpec>,
    /// The life-circle levels, in the order given.
    pub levels: Vec<LevelSpec>,
    /// The ratio indicators, in the order given.
    pub indicators: Vec<IndicatorSpec>,
    /// Radii of the coverage curve, ascending; empty when the curve is off.
    pub curve_radii_m: Vec<f64>,
    /// Covered share from which a community counts as served (levels use it).
    pub served_threshold: f64,
    /// Metric working CRS; `None` picks the UTM zone of the study area's centre.
    pub work_crs: Option<Crs>,
    /// Output folder.
    pub out_dir: PathBuf,
    /// Gap polygons below this area (m2) are dropped from the gap layer and counted.
    pub min_gap_area_m2: f64,
    /// The GeoPackage, maps and report to write.
    pub products: Products,
    /// Where to add facilities, in the order given.
    pub siting: Vec<siting::SitingSpec>,
    /// The readers' texts given only in the other language than the run's (named as in
    /// the configuration, e.g. `category "market" label`): shown in that language.
    pub not_in_lang: Vec<String>,
}

/// Where the community layer is and which fields mean what.
#[derive(Debug, Clone)]
pub struct CommunityLayer {
    /// The GeoJSON file.
    pub path: PathBuf,
    /// Declared CRS, overriding the file's.
    pub crs: Option<Crs>,
    /// Id field.
    pub id_field: String,
    /// Name field.
    pub name_field: String,
    /// Population field.
    pub population_field: String,
    /// Whether every community must have a population (the field was named explicitly).
    pub population_required: bool,
    /// Households field.
    pub households_field: String,
    /// Whether every community must have households (the field was named explicitly).
    pub households_required: bool,
    /// What to do with an invalid boundary.
    pub on_invalid: InvalidPolicy,
    /// Group field, if figures are also wanted per group.
    pub group_field: Option<String>,
    /// What a group is, for readers, in the run's language (default the field's name).
    pub group_label: Option<String>,
    /// CSV columns and encoding.
    pub table: TableColumns,
}

/// Where the demand layer is and which fields mean what.
#[derive(Debug, Clone)]
pub struct DemandLayer {
    /// The GeoJSON file.
    pub path: PathBuf,
    /// Declared CRS, overriding the file's.
    pub crs: Option<Crs>,
    /// Id field.
    pub id_field: String,
    /// Weight field (residents or households).
    pub weight_field: String,
    /// The kind the user declared, checked against the file.
    pub kind: Option<DemandKind>,
    /// Group field, used when there is no community layer.
    pub group_field: Option<String>,
    /// What a group is, for readers, in the run's language.
    pub group_label: Option<String>,
    /// What to do with an invalid polygon.
    pub on_invalid: InvalidPolicy,
    /// CSV columns and encoding.
    pub table: TableColumns,
}

/// A life-circle level.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSpec {
    /// Level name.
    pub name: String,
    /// Readable title.
    pub label: Option<String>,
    /// Reach in metres.
    pub radius_m: f64,
    /// How the radius was given.
    pub radius_basis: String,
    /// Categories a complete circle holds.
    pub categories: Vec<String>,
    /// Target share of residents in a complete circle.
    pub target: Option<f64>,
    /// Where the numbers come from.
    pub source: Option<String>,
}

/// A ratio indicator per community.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorSpec {
    /// Indicator name.
    pub name: String,
    /// Readable title.
    pub label: Option<String>,
    /// What is counted or summed.
    pub numerator: Numerator,
    /// Community field divided by, if any.
    pub denominator: Option<String>,
    /// Multiplier of the ratio.
    pub scale: f64,
    /// The comparison that makes a community meet it.
    pub compare: Compare,
    /// Communities judged (all conditions hold); others are "not applicable".
    pub when: Vec<Condition>,
    /// Share of judged communities that must meet it.
    pub target_share: f64,
    /// Where it comes from.
    pub source: Option<String>,
}

/// An indicator's numerator.
#[derive(Debug, Clone, PartialEq)]
pub enum Numerator {
    /// A community field.
    Field(String),
    /// The number of facilities of a category in the community.
    Count(String),
    /// A facility field summed over a category's facilities in the community.
    Sum {
        /// The facility field.
        field: String,
        /// The category.
        category: String,
    },
}

/// At least or at most a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Compare {
    /// Value >= the bound.
    AtLeast(f64),
    /// Value <= the bound.
    AtMost(f64),
}

impl Compare {
    /// Whether `value` meets the bound (compared at 6 decimals, as reported).
    pub fn holds(self, value: f64) -> bool {
        let r = |v: f64| (v * 1e6).round() / 1e6;
        match self {
            Compare::AtLeast(b) => r(value) >= r(b),
            Compare::AtMost(b) => r(value) <= r(b),
        }
    }
}

impl fmt::Display for Compare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compare::AtLeast(b) => write!(f, ">= {}", fmt_num(*b)),
            Compare::AtMost(b) => write!(f, "<= {}", fmt_num(*b)),
        }
    }
}

/// A condition on a community field.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field.
    pub field: String,
    /// The comparison.
    pub compare: Compare,
}

/// Where the facility layer is and how categories are found.
#[derive(Debug, Clone)]
pub struct FacilityLayer {
    /// The GeoJSON file.
    pub path: PathBuf,
    /// Declared CRS, overriding the file's.
    pub crs: Option<Crs>,
    /// Id field.
    pub id_field: String,
    /// Category field.
    pub category_field: String,
    /// Category rules, tried in order before the category field.
    pub rules: Vec<CategoryRule>,
    /// Field naming the community a facility is assigned to (for indicators).
    pub community_field: Option<String>,
    /// Numeric fields kept for indicators (summed per community).
    pub value_fields: Vec<String>,
    /// CSV columns and encoding.
    pub table: TableColumns,
}

/// The street network and how it is read and used.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkLayer {
    /// The line layer or `.osm.pbf` file.
    pub path: PathBuf,
    /// Declared CRS of a line layer.
    pub crs: Option<Crs>,
    /// Components with fewer nodes are dropped.
    pub min_component_nodes: usize,
    /// Snapping distance, metres.
    pub snap_max_m: f64,
    /// Grid cell side for areas, metres.
    pub cell_m: f64,
    /// OSM `highway` values left out.
    pub excluded_highways: Vec<String>,
    /// CSV column and encoding of a line table.
    pub table: TableColumns,
}

/// OSM `highway` values a walking network leaves out by default: roads closed to people on
/// foot (motorways), ways that do not exist yet or any more, and tracks for other vehicles.
pub const DEFAULT_EXCLUDED_HIGHWAYS: [&str; 7] = [
    "motorway",
    "motorway_link",
    "construction",
    "proposed",
    "abandoned",
    "raceway",
    "bus_guideway",
];

impl NetworkLayer {
    /// Checks `[network]`; `path` is already resolved.
    pub fn from_config(n: &NetworkConfig, path: PathBuf) -> Result<NetworkLayer> {
        let min_component_nodes = n.min_component_nodes.unwrap_or(40);
        let snap_max_m = n.snap_max_m.unwrap_or(100.0);
        if !(snap_max_m.is_finite() && snap_max_m >= 0.0) {
            return Err(setting(
                "network snap_max_m",
                &format!("is {snap_max_m}, expected a distance of 0 m or more"),
            ));
        }
        let cell_m = n.cell_m.unwrap_or(20.0);
        if !(cell_m.is_finite() && cell_m >= 1.0) {
            return Err(setting(
                "network cell_m",
                &format!("is {cell_m}, expected a cell side of at least 1 m"),
            ));
        }
        if let Some(v) = n.include.iter().find(|v| n.exclude.contains(v)) {
            return Err(setting(
                "network include",
                &format!("highway \"{v}\" is both included and excluded"),
            ));
        }
        let mut excluded_highways: Vec<String> = DEFAULT_EXCLUDED_HIGHWAYS
            .iter()
            .map(|s| s.to_string())
            .filter(|h| !n.include.contains(h))
            .chain(n.exclude.iter().cloned())
            .collect();
        excluded_highways.sort();
        excluded_highways.dedup();
        Ok(NetworkLayer {
            path,
            crs: n.crs.as_deref().map(str::parse::<Crs>).transpose()?,
            min_component_nodes,
            snap_max_m,
            cell_m,
            excluded_highways,
            table: TableColumns {
                wkt: n.wkt.clone(),
                encoding: n.encoding.clone(),
                layer: n.layer.clone(),
                ..TableColumns::default()
            },
        })
    }
}

/// One category to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct CategorySpec {
    /// Category name.
    pub name: String,
    /// Readable title.
    pub label: Option<String>,
    /// Reach in metres.
    pub radius_m: f64,
    /// How the radius was given, for the summary ("15 min at 4 km/h", "1000 m").
    pub radius_basis: String,
    /// Target fraction, if any.
    pub target: Option<f64>,
    /// Basis asked for; `None` means population when populations are given, else area.
    pub basis: Option<Basis>,
    /// Covered share from which a community counts as served.
    pub served_threshold: f64,
    /// Where the numbers come from.
    pub source: Option<String>,
    /// How reach is measured (along the network when the job has one).
    pub reach: ReachKind,
}

impl Job {
    /// Checks a configuration; relative paths are taken from `base_dir`.
    pub fn from_config(config: &Config, base_dir: &Path) -> Result<Job> {
        let resolve = |p: &Path| -> PathBuf {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                lexically_clean(&base_dir.join(p))
            }
        };
        check_layers_given(config)?;
        let lang = config.output.lang.unwrap_or_default();
        let mut words = InLang::new(lang);
        let communities = community_layer(config.communities.as_ref(), &resolve, &mut words)?;
        let demand = demand_layer(
            config.demand.as_ref(),
            communities.is_some(),
            &resolve,
            &mut words,
        )?;
        let mut facilities = facility_layer(&config.facilities, &resolve)?;
        let a = &config.analysis;
        let speed = walking_speed(a)?;
        let threshold = a.served_threshold.unwrap_or(DEFAULT_SERVED_THRESHOLD);
        check_fraction("served_threshold (--threshold)", threshold, false)?;
        let categories = category_specs(&config.categories, speed, threshold, &mut words)?;
        if communities.is_none() {
            check_no_communities_basis(&categories)?;
        }
        let levels = level_specs(&config.levels, &categories, speed, &mut words)?;
        let indicators = indicator_specs(
            &config.indicators,
            communities.is_some(),
            (&categories, &levels),
            &mut facilities.value_fields,
            &mut words,
        )?;
        let curve_radii_m = curve_radii(&config.curve)?;
        let min_gap_area_m2 = min_gap_area(&config.output)?;
        let products = products(&config.output, lang, &mut words)?;
        let network = network_layer(config.network.as_ref(), &resolve)?;
        let siting = siting_specs(config, &categories, &resolve)?;
        Ok(Job {
            communities,
            facilities,
            demand,
            network,
            categories,
            levels,
            indicators,
            curve_radii_m,
            served_threshold: threshold,
            work_crs: parse_crs(&a.work_crs)?,
            out_dir: resolve(config.output.dir.as_deref().unwrap_or(Path::new("out"))),
            min_gap_area_m2,
            products,
            siting,
            not_in_lang: words.fell_back(),
        })
    }
}

/// A declared CRS, parsed when given.
fn parse_crs(c: &Option<String>) -> Result<Option<Crs>> {
    c.as_deref().map(str::parse::<Crs>).transpose()
}

/// Errors unless a community or demand layer and a facility layer are named.
fn check_layers_given(config: &Config) -> Result<()> {
    if config.communities.is_none() && config.demand.is_none() {
        return Err(setting(
            "communities",
            "no community layer and no demand layer given: add [communities] (boundaries) \
             or [demand] (where people live), or both",
        ));
    }
    if config.facilities.path.as_os_str().is_empty() {
        return Err(setting("facilities path", "no facility layer given"));
    }
    Ok(())
}

/// `[communities]` checked: the community layer, if given.
fn community_layer(
    c: Option<&CommunitiesConfig>,
    resolve: &dyn Fn(&Path) -> PathBuf,
    words: &mut InLang,
) -> Result<Option<CommunityLayer>> {
    let Some(c) = c else {
        return Ok(None);
    };
    if c.path.as_os_str().is_empty() {
        return Err(setting("communities path", "no community layer given"));
    }
    if c.group_label.is_some() && c.group.is_none() {
        return Err(setting(
            "communities group_label",
            "names what a group is, but no group field is given: add group = \"...\"",
        ));
    }
    Ok(Some(CommunityLayer {
        path: resolve(&c.path),
        crs: parse_crs(&c.crs)?,
        id_field: c.id.clone().unwrap_or_else(|| "id".into()),
        name_field: c.name.clone().unwrap_or_else(|| "name".into()),
        population_field: c.population.clone().unwrap_or_else(|| "population".into()),
        population_required: c.population.is_some(),
        households_field: c.households.clone().unwrap_or_else(|| "households".into()),
        households_required: c.households.is_some(),
        on_invalid: c.on_invalid.unwrap_or_default(),
        group_field: c.group.clone(),
        group_label: words.text("[communities] group_label", c.group_label.as_ref()),
        table: TableColumns {
            x: c.x.clone(),
            y: c.y.clone(),
            wkt: c.wkt.clone(),
            encoding: c.encoding.clone(),
            layer: c.layer.clone(),
        },
    }))
}

/// `[demand]` checked: the demand layer, if given (`has_communities`: a community layer is).
fn demand_layer(
    d: Option<&DemandConfig>,
    has_communities: bool,
    resolve: &dyn Fn(&Path) -> PathBuf,
    words: &mut InLang,
) -> Result<Option<DemandLayer>> {
    let Some(d) = d else {
        return Ok(None);
    };
    if d.path.as_os_str().is_empty() {
        return Err(setting("demand path", "no demand layer given"));
    }
    if d.group_label.is_some() && d.group.is_none() {
        return Err(setting(
            "demand group_label",
            "names what a group is, but no group field is given: add group = \"...\"",
        ));
    }
    if d.group.is_some() && has_communities {
        return Err(setting(
            "demand group",
            "with a community layer, groups come from [communities] group; \
             demand features take the group of the community they lie in",
        ));
    }
    Ok(Some(DemandLayer {
        path: resolve(&d.path),
        crs: parse_crs(&d.crs)?,
        id_field: d.id.clone().unwrap_or_else(|| "id".into()),
        weight_field: d.weight.clone().unwrap_or_else(|| "population".into()),
        kind: d.kind,
        group_field: d.group.clone(),
        group_label: words.text("[demand] group_label", d.group_label.as_ref()),
        on_invalid: d.on_invalid.unwrap_or_default(),
        table: TableColumns {
            x: d.x.clone(),
            y: d.y.clone(),
            wkt: d.wkt.clone(),
            encoding: d.encoding.clone(),
            layer: d.layer.clone(),
        },
    }))
}

/// `[facilities]` checked: the facility layer, with no value fields yet (indicators add them).
fn facility_layer(
    f: &FacilitiesConfig,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<FacilityLayer> {
    for rule in &f.rules {
        check_category_name(&rule.category, "facilities rule category")?;
    }
    Ok(FacilityLayer {
        path: resolve(&f.path),
        crs: parse_crs(&f.crs)?,
        id_field: f.id.clone().unwrap_or_else(|| "id".into()),
        category_field: f.category.clone().unwrap_or_else(|| "category".into()),
        rules: f.rules.clone(),
        community_field: f.community.clone(),
        value_fields: Vec::new(),
        table: TableColumns {
            x: f.x.clone(),
            y: f.y.clone(),
            wkt: f.wkt.clone(),
            encoding: f.encoding.clone(),
            layer: f.layer.clone(),
        },
    })
}

/// The walking speed of `[analysis]`, km/h, checked.
fn walking_speed(a: &AnalysisConfig) -> Result<f64> {
    let speed = a.walking_speed_kmh.unwrap_or(DEFAULT_WALKING_SPEED_KMH);
    if !(speed.is_finite() && speed > 0.0) {
        return Err(setting(
            "walking_speed_kmh (--speed)",
            &format!("is {speed}, expected a speed above 0 km/h"),
        ));
    }
    Ok(speed)
}

/// The `[[category]]` entries checked, in order; `threshold` is the default served share.
fn category_specs(
    configs: &[CategoryConfig],
    speed: f64,
    threshold: f64,
    words: &mut InLang,
) -> Result<Vec<CategorySpec>> {
    if configs.is_empty() {
        return Err(setting(
            "category",
            "no category to measure: add a [[category]] with a name and a radius_m or minutes",
        ));
    }
    let mut categories: Vec<CategorySpec> = Vec::new();
    for cat in configs {
        check_category_name(&cat.name, "category name")?;
        if categories.iter().any(|c| c.name == cat.name) {
            return Err(setting(
                &format!("category \"{}\"", cat.name),
                "is listed twice",
            ));
        }
        let what = format!("category \"{}\"", cat.name);
        let (radius_m, radius_basis) = reach(&what, cat.radius_m, cat.minutes, speed)?;
        if let Some(t) = cat.target {
            check_fraction(&format!("{what} target (--target)"), t, true)?;
        }
        let served_threshold = cat.served_threshold.unwrap_or(threshold);
        check_fraction(&format!("{what} served_threshold"), served_threshold, false)?;
        categories.push(CategorySpec {
            name: cat.name.clone(),
            label: words.text(&format!("{what} label"), cat.label.as_ref()),
            radius_m,
            radius_basis,
            target: cat.target,
            basis: cat.basis,
            served_threshold,
            source: words.text(&format!("{what} source"), cat.source.as_ref()),
            reach: cat.reach.unwrap_or_default(),
        });
    }
    Ok(categories)
}

/// Errors if a category counts communities when there is no community layer.
fn check_no_communities_basis(categories: &[CategorySpec]) -> Result<()> {
    if let Some(cat) = categories
        .iter()
        .find(|c| c.basis == Some(Basis::Communities))
    {
        return Err(setting(
            &format!("category \"{}\" basis", cat.name),
            "is communities, but there is no community layer: use population or area",
        ));
    }
    Ok(())
}

/// The `[[level]]` entries checked, in order, against each other and the categories.
fn level_specs(
    configs: &[LevelConfig],
    categories: &[CategorySpec],
    speed: f64,
    words: &mut InLang,
) -> Result<Vec<LevelSpec>> {
    let mut levels: Vec<LevelSpec> = Vec::new();
    for level in configs {
        check_category_name(&level.name, "level name")?;
        let what = format!("level \"{}\"", level.name);
        if levels.iter().any(|l| l.name == level.name)
            || categories.iter().any(|c| c.name == level.name)
        {
            return Err(setting(
                &what,
                "is named twice (levels and categories share column names)",
            ));
        }
        let (radius_m, radius_basis) = reach(&what, level.radius_m, level.minutes, speed)?;
        let wanted = level_categories(&what, &level.categories)?;
        if let Some(t) = level.target {
            check_fraction(&format!("{what} target"), t, true)?;
        }
        levels.push(LevelSpec {
            name: level.name.clone(),
            label: words.text(
                &format!("level \"{}\" label", level.name),
                level.label.as_ref(),
            ),
            radius_m,
            radius_basis,
            categories: wanted,
            target: level.target,
            source: words.text(
                &format!("level \"{}\" source", level.name),
                level.source.as_ref(),
            ),
        });
    }
    Ok(levels)
}

/// The categories a level (`what`) holds: at least one, none twice.
fn level_categories(what: &str, listed: &[String]) -> Result<Vec<String>> {
    if listed.is_empty() {
        return Err(setting(
            &format!("{what} categories"),
            "is empty: list the facility categories a complete circle holds",
        ));
    }
    let mut wanted: Vec<String> = Vec::new();
    for c in listed {
        check_category_name(c, &format!("{what} categories"))?;
        if wanted.contains(c) {
            return Err(setting(
                &format!("{what} categories"),
                &format!("lists \"{c}\" twice"),
            ));
        }
        wanted.push(c.clone());
    }
    Ok(wanted)
}

/// The `[[indicator]]` entries checked, in order, against each other, the categories and the
/// levels (`names`); facility fields they sum are added to `value_fields`.
fn indicator_specs(
    configs: &[IndicatorConfig],
    has_communities: bool,
    names: (&[CategorySpec], &[LevelSpec]),
    value_fields: &mut Vec<String>,
    words: &mut InLang,
) -> Result<Vec<IndicatorSpec>> {
    let (categories, levels) = names;
    let mut indicators: Vec<IndicatorSpec> = Vec::new();
    for ind in configs {
        check_category_name(&ind.name, "indicator name")?;
        let what = format!("indicator \"{}\"", ind.name);
        if !has_communities {
            return Err(setting(
                &what,
                "indicators are per community, and there is no community layer",
            ));
        }
        if indicators.iter().any(|i| i.name == ind.name)
            || categories.iter().any(|c| c.name == ind.name)
            || levels.iter().any(|l| l.name == ind.name)
        {
            return Err(setting(
                &what,
                "is named twice (indicators, levels and categories share column names)",
            ));
        }
        let numerator = numerator_of(&what, &ind.numerator, value_fields)?;
        indicators.push(indicator_spec(ind, &what, numerator, words)?);
    }
    Ok(indicators)
}

/// An indicator's numerator (`what` names the indicator); a summed field is added to
/// `value_fields`.
fn numerator_of(
    what: &str,
    n: &NumeratorConfig,
    value_fields: &mut Vec<String>,
) -> Result<Numerator> {
    Ok(match (&n.field, &n.count, &n.sum, &n.category) {
        (Some(field), None, None, None) => Numerator::Field(field.clone()),
        (None, Some(cat), None, None) => Numerator::Count(cat.clone()),
        (None, None, Some(field), Some(cat)) => {
            if !value_fields.contains(field) {
                value_fields.push(field.clone());
            }
            Numerator::Sum {
                field: field.clone(),
                category: cat.clone(),
            }
        }
        (None, None, Some(_), None) => {
            return Err(setting(
                &format!("{what} numerator"),
                "sums a facility field: name the category too, e.g. \
                 numerator = { sum = \"floor_area_m2\", category = \"service_centre\" }",
            ))
        }
        _ => {
            return Err(setting(
                &format!("{what} numerator"),
                "give one of { field = \"<community field>\" }, \
                 { count = \"<category>\" } or { sum = \"<facility field>\", \
                 category = \"<category>\" }",
            ))
        }
    })
}

/// The rest of an indicator checked (scale, comparison, conditions, target share, texts).
fn indicator_spec(
    ind: &IndicatorConfig,
    what: &str,
    numerator: Numerator,
    words: &mut InLang,
) -> Result<IndicatorSpec> {
    let scale = ind.scale.unwrap_or(1.0);
    check_positive(&format!("{what} scale"), scale)?;
    let compare = compare_of(what, ind.at_least, ind.at_most)?;
    let when = ind
        .when
        .as_ref()
        .map(|w| w.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            Ok(Condition {
                field: c.field.clone(),
                compare: compare_of(&format!("{what} when"), c.at_least, c.at_most)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let target_share = ind.target_share.unwrap_or(1.0);
    check_fraction(&format!("{what} target_share"), target_share, true)?;
    Ok(IndicatorSpec {
        name: ind.name.clone(),
        label: words.text(
            &format!("indicator \"{}\" label", ind.name),
            ind.label.as_ref(),
        ),
        numerator,
        denominator: ind.denominator.clone(),
        scale,
        compare,
        when,
        target_share,
        source: words.text(
            &format!("indicator \"{}\" source", ind.name),
            ind.source.as_ref(),
        ),
    })
}

/// The smallest gap polygon kept, m2, from `[output]`, checked.
fn min_gap_area(o: &OutputConfig) -> Result<f64> {
    let min_gap_area_m2 = o.min_gap_area_m2.unwrap_or(DEFAULT_MIN_GAP_AREA_M2);
    if !(min_gap_area_m2.is_finite() && min_gap_area_m2 >= 0.0) {
        return Err(setting(
            "min_gap_area_m2",
            &format!("is {min_gap_area_m2}, expected an area of 0 m2 or more"),
        ));
    }
    Ok(min_gap_area_m2)
}

/// What `[output]` asks to write, in `lang`.
fn products(o: &OutputConfig, lang: Lang, words: &mut InLang) -> Result<Products> {
    let map_dpi = o.map_dpi.unwrap_or(DEFAULT_MAP_DPI);
    if !(map_dpi.is_finite() && (30.0..=1200.0).contains(&map_dpi)) {
        return Err(setting(
            "map_dpi",
            &format!("is {map_dpi}, expected a resolution from 30 to 1200 dots per inch"),
        ));
    }
    Ok(Products {
        layers: o.layers.unwrap_or(true),
        geopackage: o.geopackage.unwrap_or(true),
        qgis_project: o.qgis_project.unwrap_or(true),
        maps: o.maps.unwrap_or(true),
        map_dpi,
        maps_per_group: o.maps_per_group.unwrap_or(false),
        report: o.report.unwrap_or(true),
        lang,
        title: words
            .text("[output] title", o.title.as_ref())
            .unwrap_or_else(|| default_title(lang).to_string()),
        attribution: words.text("[output] attribution", o.attribution.as_ref()),
    })
}

/// `[network]` checked: the street network, if given.
fn network_layer(
    n: Option<&NetworkConfig>,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<Option<NetworkLayer>> {
    n.map(|n| {
        if n.path.as_os_str().is_empty() {
            return Err(setting("network path", "no street network file given"));
        }
        NetworkLayer::from_config(n, resolve(&n.path))
    })
    .transpose()
}

/// The sitings of a configuration, checked against its categories.
pub fn siting_specs(
    config: &Config,
    categories: &[CategorySpec],
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<Vec<siting::SitingSpec>> {
    use siting::{CandidateSource, Problem, SitingSpec};
    let mut out = Vec::new();
    for (i, s) in config.siting.iter().enumerate() {
        let what = format!("siting {} (category \"{}\")", i + 1, s.category);
        let Some(category) = categories.iter().find(|c| c.name == s.category) else {
            return Err(setting(
                &what,
                &format!(
                    "names no configured category; the categories are {}",
                    categories
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let problem = match (s.add, s.target) {
            (Some(_), Some(_)) => {
                return Err(setting(
                    &what,
                    "give add (K new sites) or target (a share), not both",
                ))
            }
            (Some(0), None) => {
                return Err(setting(&what, "add is 0: ask for at least one new site"))
            }
            (Some(k), None) => Problem::Add(k),
            (None, t) => {
                let Some(t) = t.or(category.target) else {
                    return Err(setting(
                        &what,
                        "give add (K new sites) or target (a share); the category has no target",
                    ));
                };
                if !(t > 0.0 && t <= 1.0) {
                    return Err(setting(
                        &what,
                        &format!("target {t} is not a share in (0, 1]"),
                    ));
                }
                Problem::Target(t)
            }
        };
        let candidates =
            match CandidateSource::parse(&s.candidates).map_err(|m| setting(&what, &m))? {
                CandidateSource::File(p) => CandidateSource::File(resolve(&p)),
                other => other,
            };
        out.push(SitingSpec {
            category: s.category.clone(),
            candidates,
            candidates_crs: s
                .candidates_crs
                .as_deref()
                .map(str::parse::<Crs>)
                .transpose()?,
            candidates_id: s.candidates_id.clone().unwrap_or_else(|| "id".into()),
            problem,
            group: s.group.clone(),
        });
    }
    Ok(out)
}

/// A reach given as metres or as minutes of walking at `speed` km/h.
fn reach(
    what: &str,
    radius_m: Option<f64>,
    minutes: Option<f64>,
    speed: f64,
) -> Result<(f64, String)> {
    let (radius_m, basis) = match (radius_m, minutes) {
        (Some(r), None) => (r, format!("{} m", fmt_num(r))),
        (None, Some(min)) => {
            check_positive(&format!("{what} minutes (--minutes)"), min)?;
            (
                min / 60.0 * speed * 1000.0,
                format!("{} min at {} km/h", fmt_num(min), fmt_num(speed)),
            )
        }
        (Some(_), Some(_)) => {
            return Err(setting(what, "give radius_m or minutes, not both"));
        }
        (None, None) => {
            return Err(setting(
                what,
                "has no reach: give radius_m (metres) or minutes (of walking)",
            ));
        }
    };
    // Checked in metres too: minutes times speed can overflow or underflow.
    check_radius(what, radius_m)?;
    Ok((radius_m, basis))
}

/// `at_least` or `at_most`, exactly one.
fn compare_of(what: &str, at_least: Option<f64>, at_most: Option<f64>) -> Result<Compare> {
    let finite = |v: f64| {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(setting(what, &format!("bound {v} is not a number")))
        }
    };
    match (at_least, at_most) {
        (Some(v), None) => Ok(Compare::AtLeast(finite(v)?)),
        (None, Some(v)) => Ok(Compare::AtMost(finite(v)?)),
        _ => Err(setting(what, "give at_least or at_most (one of them)")),
    }
}

/// Default curve: 100 m to 3,000 m in 100 m steps.
pub const DEFAULT_CURVE_M: (f64, f64, f64) = (100.0, 3000.0, 100.0);

/// The radii of the coverage curve.
fn curve_radii(c: &CurveConfig) -> Result<Vec<f64>> {
    if c.enabled == Some(false) {
        return Ok(Vec::new());
    }
    let from = c.from_m.unwrap_or(DEFAULT_CURVE_M.0);
    let to = c.to_m.unwrap_or(DEFAULT_CURVE_M.1);
    let step = c.step_m.unwrap_or(DEFAULT_CURVE_M.2);
    check_radius("curve from_m", from)?;
    check_radius("curve to_m", to)?;
    check_positive("curve step_m", step)?;
    if to < from {
        return Err(setting(
            "curve",
            &format!("to_m ({}) is below from_m ({})", fmt_num(to), fmt_num(from)),
        ));
    }
    let n = ((to - from) / step + 1e-9).floor() as usize + 1;
    if n > 1000 {
        return Err(setting(
            "curve",
            &format!("has {n} radii; at most 1,000 (use a larger step_m)"),
        ));
    }
    // Radii as from + k x step, rounded to the millimetre so 0.1 steps print cleanly.
    Ok((0..n)
        .map(|k| ((from + k as f64 * step) * 1000.0).round() / 1000.0)
        .collect())
}

fn setting(setting: &str, message: &str) -> Error {
    Error::Setting {
        setting: setting.to_string(),
        message: message.to_string(),
    }
}

/// The longest reach accepted: a walking radius beyond this is surely a unit mistake.
pub const MAX_RADIUS_M: f64 = 100_000.0;

fn check_radius(what: &str, radius_m: f64) -> Result<()> {
    if radius_m.is_finite() && radius_m > 0.0 && radius_m <= MAX_RADIUS_M {
        return Ok(());
    }
    Err(setting(
        &format!("{what} radius_m (--radius)"),
        &format!(
            "is {radius_m} m, expected a radius above 0 and at most {} m",
            fmt_num(MAX_RADIUS_M)
        ),
    ))
}

fn check_positive(what: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(setting(
            what,
            &format!("is {value}, expected a number above 0"),
        ))
    }
}

/// A fraction in 0..1; `zero_ok` allows 0 (a target of 0 is odd but meaningful).
fn check_fraction(what: &str, value: f64, zero_ok: bool) -> Result<()> {
    let low_ok = if zero_ok { value >= 0.0 } else { value > 0.0 };
    if value.is_finite() && low_ok && value <= 1.0 {
        return Ok(());
    }
    let hint = if value > 1.0 && value <= 100.0 {
        format!(
            " (fractions are 0..1: write {} for {value}%)",
            value / 100.0
        )
    } else {
        String::new()
    };
    Err(setting(
        what,
        &format!("is {value}, expected a fraction between 0 and 1{hint}"),
    ))
}

/// Category names become column and file names, so they are kept plain.
fn check_category_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(setting(
            what,
            &format!(
                "\"{name}\" is not a usable category name: use letters, digits, '_' or '-' \
                 (it becomes a column and file name); put a readable title in `label`"
            ),
        ))
    }
}

/// `a/b/../c` as `a/c`, without touching the file system (so messages show plain paths).
fn lexically_clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The candidate nearest to `name` by edit distance, if near enough to be a typo of it.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|k| (edit_distance(k, name), k))
        .filter(|&(d, k)| d > 0 && d <= 2.max(k.chars().count() / 3))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Adds "did you mean" to serde's "unknown field `x`, expected one of `a`, `b`".
fn suggest_field(message: &str) -> String {
    let field = message
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(f, _)| f);
    let expected = message
        .split_once("expected one of ")
        .or_else(|| message.split_once("expected "))
        .map(|(_, rest)| rest);
    match (field, expected) {
        (Some(field), Some(expected)) => {
            let names = expected.split('`').skip(1).step_by(2);
            match closest(field, names) {
                Some(s) => format!("{message}\ndid you mean `{s}`?"),
                None => message.to_string(),
            }
        }
        _ => message.to_string(),
    }
}

/// A number without a needless ".0".
pub(crate) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Job> {
        let config = Config::from_toml(text, Path::new("test.toml"))?;
        Job::from_config(&config, Path::new("/base"))
    }

    const LAYERS: &str = r#"
        [communities]
        path = "c.geojson"
        [facilities]
        path = "f.geojson"
    "#;

    #[test]
    fn minutes_become_metres_at_walking_speed() {
        let job = parse(&format!(
            "{LAYERS}\n[[category]]\nname = \"market\"\nminutes = 15\ntarget = 0.95\n"
        ))
        .unwrap();
        let cat = &job.categories[0];
        assert!((cat.radius_m - 1000.0).abs() < 1e-9);
        assert_eq!(cat.radius_basis, "15 min at 4 km/h");
        assert_eq!(cat.served_threshold, 0.5);
        assert_eq!(
            job.communities.as_ref().unwrap().path,
            Path::new("/base/c.geojson")
        );
        assert_eq!(job.out_dir, Path::new("/base/out"));
        assert!(!job.communities.as_ref().unwrap().population_required);
    }

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(edit_distance("market", "markets"), 1);
        assert_eq!(edit_distance("health", "heatlh"), 2);
        assert_eq!(
            closest("markte", ["market", "health"].into_iter()),
            Some("market")
        );
        assert_eq!(closest("library", ["market", "health"].into_iter()), None);
        assert_eq!(
            closest("market", ["market"].into_iter()),
            None,
            "exact is no near miss"
        );
    }

    #[test]
    fn relative_paths_are_cleaned() {
        assert_eq!(
            lexically_clean(Path::new("examples/../data/./c.geojson")),
            Path::new("data/c.geojson")
        );
        assert_eq!(
            lexically_clean(Path::new("../../other/x")),
            Path::new("../../other/x")
        );
        assert_eq!(lexically_clean(Path::new("./")), Path::new("."));
    }

    #[test]
    fn percent_target_is_refused_with_a_hint() {
        let err = parse(&format!(
            "{LAYERS}\n[[category]]\nname = \"market\"\nradius_m = 1000\ntarget = 95\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("write 0.95 for 95%"), "{err}");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = parse(&format!(
            "{LAYERS}\n[[category]]\nname = \"market\"\nradius = 1000\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `radius`"), "{err}");
        assert!(err.ends_with("did you mean `radius_m`?"), "{err}");
    }

    #[test]
    fn zero_radius_is_refused() {
        let err = parse(&format!(
            "{LAYERS}\n[[category]]\nname = \"market\"\nradius_m = 0\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("radius_m (--radius): is 0 m, expected a radius above 0"),
            "{err}"
        );
    }

    #[test]
    fn category_names_must_be_plain() {
        let err = parse(&format!(
            "{LAYERS}\n[[category]]\nname = \"food market\"\nradius_m = 500\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("not a usable category name"), "{err}");
    }
}
