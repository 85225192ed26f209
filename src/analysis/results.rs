//! What a run found, as plain data: the analysis, per category, level, indicator and group,
//! ready for the writers.

use std::collections::BTreeMap;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::{Deserialize, Serialize};

use crate::analysis::indicator::{IndicatorAt, IndicatorSummary};
use crate::analysis::level::{LevelAt, LevelSummary, LevelTotals};
use crate::analysis::prepare::BoundaryNote;
use crate::analysis::summary::{CategorySummary, FacilityCounts, GapCounts, Totals};
use crate::input::config::{Basis, DemandKind};
use crate::input::crs::Crs;
use crate::input::load::{Community, Demand, Facility};
use crate::reach::network::NetworkInputs;
use crate::warning::Warning;

/// Everything a run found, ready to write.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The working CRS distances and areas were measured in.
    pub work_crs: Crs,
    /// How reach was modelled.
    pub distance_model: String,
    /// What was read.
    pub inputs: Inputs,
    /// The communities, boundaries in WGS 84 lon/lat, in input order; empty without a
    /// community layer.
    pub communities: Vec<Community>,
    /// The demand features, WGS 84 lon/lat, in input order; empty without a demand layer.
    pub demand: Vec<Demand>,
    /// The facilities, sites in WGS 84 lon/lat, in input order.
    pub facilities: Vec<Facility>,
    /// One result per category, in the order configured.
    pub categories: Vec<CategoryResult>,
    /// One result per life-circle level, in the order configured.
    pub levels: Vec<LevelResult>,
    /// One result per indicator, in the order configured.
    pub indicators: Vec<IndicatorResult>,
    /// The same summaries per group, groups in name order; empty without a group field.
    pub groups: Vec<GroupResult>,
    /// The group field, if any.
    pub group_field: Option<String>,
    /// What a group is, for readers (`[communities] group_label`), in the run's language.
    pub group_label: Option<String>,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<Warning>,
    /// The street network's edges, WGS 84 lon/lat, for the maps; empty without a network
    /// or when no product draws areas.
    pub streets: Vec<LineString<f64>>,
    /// Where to add facilities, one per siting asked for.
    pub siting: Vec<crate::analysis::siting::SitingResult>,
    /// What merging this result with other tiles' needs beyond what it shows.
    pub tiles: TileFacts,
}

/// What merging a tile's result with the others' needs beyond what it shows.
#[derive(Debug, Clone, Default)]
pub struct TileFacts {
    /// The working CRSs the places were measured in: one, or one per UTM zone of a study
    /// split by zone.
    pub zones: Vec<Crs>,
    /// Per demand feature (as [`Analysis::demand`]), the weight placed in this result's
    /// communities (its whole weight without communities).
    pub demand_placed: Vec<f64>,
    /// Per demand feature, whether this result owns it: each feature is owned by one tile.
    pub demand_owned: Vec<bool>,
    /// Per facility (as [`Analysis::facilities`]), whether it lies inside this result's
    /// communities (or demand polygons).
    pub facility_inside: Vec<bool>,
    /// Per facility, whether this result owns it: a tile also reads the facilities near its
    /// places that other tiles own.
    pub facility_owned: Vec<bool>,
    /// File positions of facilities this result does not hold (another tile owns them) that
    /// lie inside its communities: the owner may not know.
    pub inside_elsewhere: Vec<usize>,
}

impl Analysis {
    /// What a group is called for readers: the group label, else the group field's name.
    pub fn group_title(&self) -> &str {
        self.group_label
            .as_deref()
            .or(self.group_field.as_deref())
            .unwrap_or("group")
    }
}

/// What was read, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    /// The community layer, if any.
    pub communities: Option<CommunityInputs>,
    /// The facility layer.
    pub facilities: FacilityInputs,
    /// The demand layer, if any.
    pub demand: Option<DemandInputs>,
    /// The street network, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkInputs>,
}

/// The community layer, summed up.
#[derive(Debug, Clone, Serialize)]
pub struct CommunityInputs {
    /// File read.
    pub path: String,
    /// CRS of its coordinates.
    pub crs: String,
    /// How that CRS was known.
    pub crs_source: &'static str,
    /// Number of communities read.
    pub features: usize,
    /// The field holding community names (map labels); the layer may not have it.
    #[serde(skip)]
    pub name_field: String,
    /// Communities whose boundary was repaired.
    pub repaired: Vec<BoundaryNote>,
    /// Communities left out as invalid (`--on-invalid skip`); not in any figure.
    pub skipped: Vec<BoundaryNote>,
    /// Total residents, if given.
    pub population: Option<f64>,
    /// Total households, if given for every community.
    pub households: Option<f64>,
    /// Total area, m2 (working CRS).
    pub area_m2: f64,
}

/// The demand layer, summed up.
#[derive(Debug, Clone, Serialize)]
pub struct DemandInputs {
    /// File read.
    pub path: String,
    /// CRS of its coordinates.
    pub crs: String,
    /// How that CRS was known.
    pub crs_source: &'static str,
    /// Points or polygons.
    pub kind: DemandKind,
    /// The weight field.
    pub weight_field: String,
    /// Features read.
    pub features: usize,
    /// Their total weight.
    pub weight: f64,
    /// Polygons whose boundary was repaired.
    pub repaired: Vec<BoundaryNote>,
    /// Polygons left out as invalid; not in any figure.
    pub skipped: Vec<BoundaryNote>,
    /// Features wholly outside every community (with a community layer).
    pub outside_communities: Option<usize>,
    /// Weight outside every community, left out of the figures (with a community layer).
    pub outside_weight: Option<f64>,
}

/// The facility layer, summed up.
#[derive(Debug, Clone, Serialize)]
pub struct FacilityInputs {
    /// File read.
    pub path: String,
    /// CRS of its coordinates.
    pub crs: String,
    /// How that CRS was known.
    pub crs_source: &'static str,
    /// Number of facilities.
    pub features: usize,
    /// Facilities per category found (rules or category field).
    pub by_category: BTreeMap<String, usize>,
    /// Facilities given no category by the rules or the field.
    pub without_category: usize,
    /// Facilities outside the study area (the communities, or the demand polygons); they
    /// still serve the places near them.
    pub outside_communities: usize,
}

/// One category's result.
#[derive(Debug, Clone)]
pub struct CategoryResult {
    /// The figures and verdict.
    pub summary: CategorySummary,
    /// Per community, in input order.
    pub communities: Vec<CommunityCoverage>,
    /// Per demand feature, in input order.
    pub demand: Vec<DemandCoverage>,
    /// Uncovered places, largest first; slivers dropped. Empty of the communities' gaps
    /// when the job's products show none ([`crate::input::config::Products::shows_areas`]): they are counted in
    /// the summary only.
    pub gaps: Vec<Gap>,
    /// Dissolved service areas, WGS 84 lon/lat; empty when the job's products show none.
    pub service_areas: Vec<ServiceAreaOut>,
    /// What the summaries are made of, per slot: 0 the whole, then each group in the order
    /// of [`Analysis::groups`]. Tiles merge by adding them.
    pub sums: Vec<CategorySums>,
}

/// The sums a category's summary is made of, for the whole or one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategorySums {
    /// Communities, areas and residents, and how much is within reach.
    pub totals: Totals,
    /// Gaps kept and slivers dropped.
    pub gaps: GapCounts,
    /// Facilities of the category, and outside every community.
    pub facilities: FacilityCounts,
    /// The curve's sums: the weight covered at each radius, then the whole.
    pub curve: Vec<f64>,
    /// What the curve is a share of.
    pub curve_basis: Option<Basis>,
    /// With a street network: the same totals with straight-line circles.
    pub circles: Option<Totals>,
}

/// One category at one community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommunityCoverage {
    /// Covered share of the area, 0..1.
    pub share: f64,
    /// Distance from the community's centre to the nearest facility, m.
    pub nearest_m: Option<f64>,
    /// Facilities within the radius of the centre.
    pub count: usize,
    /// Whether the community is served (share at or above the threshold).
    pub meets: bool,
    /// Residents, from the demand layer when given, else the community's own figure.
    pub population: Option<f64>,
    /// Of those, how many are within reach.
    pub population_covered: Option<f64>,
}

/// One category at one demand feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandCoverage {
    /// Distance from the point (or the polygon's centre) to the nearest facility, m.
    pub nearest_m: Option<f64>,
    /// Share of its weight within reach: 0 or 1 for a point, the covered share of the area
    /// (inside the communities, when there are communities) for a polygon.
    pub covered: f64,
}

/// Who a gap belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    /// A community, by position.
    Community(usize),
    /// A demand feature, by position.
    Demand(usize),
}

/// The shape of a gap.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum GapShape {
    /// An uncovered part of an area, WGS 84 lon/lat.
    Area(Polygon<f64>),
    /// An uncovered demand point, WGS 84 lon/lat.
    Point(Coord<f64>),
}

/// An uncovered place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gap {
    /// The community or demand feature it lies in.
    pub owner: Owner,
    /// Where.
    pub shape: GapShape,
    /// Area, m2 (`None` for a point).
    pub area_m2: Option<f64>,
    /// Residents living there (from the demand layer, or spread evenly), if known.
    pub population: Option<f64>,
}

/// A dissolved service area.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceAreaOut {
    /// The shape, WGS 84 lon/lat.
    pub shape: MultiPolygon<f64>,
    /// Area, m2.
    pub area_m2: f64,
    /// Facilities whose circles form it.
    pub facilities: usize,
}

/// One life-circle level's result.
#[derive(Debug, Clone)]
pub struct LevelResult {
    /// The figures and verdict.
    pub summary: LevelSummary,
    /// Per community, in input order.
    pub communities: Vec<LevelAt>,
    /// Per demand feature, in input order.
    pub demand: Vec<LevelAt>,
    /// What the summaries are made of, per slot as [`CategoryResult::sums`].
    pub sums: Vec<LevelTotals>,
}

/// One indicator's result.
#[derive(Debug, Clone)]
pub struct IndicatorResult {
    /// The figures and verdict.
    pub summary: IndicatorSummary,
    /// Per community, in input order.
    pub communities: Vec<IndicatorAt>,
}

/// The summaries of one group (district, street).
#[derive(Debug, Clone, Serialize)]
pub struct GroupResult {
    /// The group's value.
    pub group: String,
    /// Per category.
    pub categories: Vec<CategorySummary>,
    /// Per level.
    pub levels: Vec<LevelSummary>,
    /// Per indicator.
    pub indicators: Vec<IndicatorSummary>,
}
