//! The job end to end: load, validate, project, index, measure, summarise.
//!
//! [`analyse`] returns plain data ([`Analysis`]); [`crate::output::write`] turns it into files.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use geo::{
    Area, BooleanOps, BoundingRect, Contains, Coord, CoordsIter, LineString, MapCoordsInPlace,
    MultiPolygon, Polygon, Rect, Translate,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::demand::{place_demand, DemandAt, DemandUnit, Placed};
use crate::analysis::indicator::{
    indicator_values, summarise_indicator, IndicatorAt, IndicatorSummary, Sources,
};
use crate::analysis::level::{
    level_at_place, level_at_point, summarise_level, LevelAt, LevelSummary, LevelTotals,
};
use crate::analysis::measure::{measure_place, Coverage};
use crate::analysis::summary::{
    round6, summarise, CategoryFigures, CategorySummary, FacilityCounts, GapCounts, Totals,
};
use crate::error::{Error, FeatureProblem, Result};
use crate::input::config::{closest, Basis, CategorySpec, DemandKind, Job, Numerator, ReachKind};
use crate::input::crs::{Crs, LonLat, WorkCrs};
use crate::input::load::{
    load_communities, load_demand, load_facilities, Community, Demand, DemandShape, Facility, Layer,
};
use crate::input::validate::{check_boundary, Check, InvalidPolicy};
use crate::progress::{Progress, Silent};
use crate::reach::circles::{Circles, DistanceModel, StraightLine};
use crate::reach::index::{CommunityIndex, FacilityIndex};
use crate::reach::network::{
    extent_of as network_extent, load_network, NetworkInputs, NetworkReach, Streets, STREET_NETWORK,
};
use crate::reach::{CategoryReach, Place};
use crate::warning::{Consequence, Defect, Warning};

pub mod part;
mod site;
mod tiled;

use crate::analysis::tiles::TilePlan;

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

/// Runs the analysis a job describes.
pub fn analyse(job: &Job) -> Result<Analysis> {
    analyse_with(job, &StraightLine::default())
}

/// The study's places in the working CRS, ready to measure.
struct Study<'a> {
    model: &'a dyn DistanceModel,
    progress: &'a dyn Progress,
    communities: Vec<Community>,
    community_path: &'a Path,
    /// One per kept community.
    places: Vec<Place>,
    demand: Vec<Demand>,
    demand_path: &'a Path,
    /// One per kept demand feature.
    demand_at: Vec<DemandAt>,
    placed: Placed,
    /// Units per community (positions in `placed.units`).
    units_of: Vec<Vec<usize>>,
    /// Units per demand feature.
    units_of_feature: Vec<Vec<usize>>,
    facilities: Vec<Facility>,
    /// Facility sites, working CRS.
    sites: Vec<Vec<Coord<f64>>>,
    /// Facilities outside the study area.
    outside: Vec<bool>,
    /// The community each facility belongs to (by field, else by location).
    facility_community: Vec<Option<usize>>,
    /// Group of each community, or of each demand feature without communities.
    group_of: Vec<Option<usize>>,
    /// Group names, in order.
    groups: Vec<String>,
    /// Where the population figures come from, if known.
    population_basis: Option<String>,
    served_threshold: f64,
    min_gap_area_m2: f64,
    curve_radii_m: Vec<f64>,
    /// Whether gaps and service areas are made in lon/lat (some product shows them);
    /// otherwise service areas are not dissolved and gaps only counted.
    geometry_out: bool,
    /// What the figures are decided on, alike in every tile.
    facts: StudyFacts,
}

impl Study<'_> {
    fn has_communities(&self) -> bool {
        !self.places.is_empty()
    }

    fn has_demand(&self) -> bool {
        self.facts.demand_layer
    }

    /// The group of a demand unit.
    fn unit_group(&self, unit: &DemandUnit) -> Option<usize> {
        match unit.community {
            Some(k) => self.group_of[k],
            None => self.group_of.get(unit.feature).copied().flatten(),
        }
    }

    /// Slots for the overall figures (0) and each group (1..).
    fn slots(&self) -> usize {
        1 + self.groups.len()
    }
}

/// A category's facilities and what is within their reach.
struct CategoryIndex<'a> {
    reach: Box<dyn CategoryReach + 'a>,
    /// Straight-line circles of the same facilities when `reach` is the street network,
    /// for the comparison.
    circles: Option<Box<dyn CategoryReach + 'a>>,
    /// Positions (in the facility layer) of the category's facilities.
    members: Vec<usize>,
}

/// How a category reaches: along `streets` when given, else (or when the category asks for
/// circles) straight-line circles of `model`. `count_bound_m` is the largest radius whose
/// counts the run asks for.
struct ReachChoice<'a> {
    model: &'a dyn DistanceModel,
    streets: Option<&'a Streets>,
    count_bound_m: f64,
}

fn index_category<'a>(
    name: &str,
    facilities: &[Facility],
    sites: &[Vec<Coord<f64>>],
    choice: &ReachChoice<'a>,
    kind: ReachKind,
) -> CategoryIndex<'a> {
    let members: Vec<usize> = facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category.as_deref() == Some(name))
        .map(|(i, _)| i)
        .collect();
    let index = FacilityIndex::new(
        members
            .iter()
            .enumerate()
            .flat_map(|(k, &i)| sites[i].iter().map(move |&c| (c, k))),
    );
    let circles: Option<Box<dyn CategoryReach + 'a>> = match (choice.streets, kind) {
        (Some(_), ReachKind::Network) => Some(Box::new(Circles::new(index.clone(), choice.model))),
        _ => None,
    };
    CategoryIndex {
        reach: reach_over(index, choice, kind),
        circles,
        members,
    }
}

/// The reach of the facilities in `index`: along the streets when the choice has them and
/// the category walks them, else straight-line circles.
fn reach_over<'a>(
    index: FacilityIndex,
    choice: &ReachChoice<'a>,
    kind: ReachKind,
) -> Box<dyn CategoryReach + 'a> {
    match (choice.streets, kind) {
        (Some(streets), ReachKind::Network) => {
            Box::new(NetworkReach::new(streets, index, choice.count_bound_m))
        }
        _ => Box::new(Circles::new(index, choice.model)),
    }
}

/// Runs the analysis with a given distance model.
pub fn analyse_with(job: &Job, model: &dyn DistanceModel) -> Result<Analysis> {
    analyse_observed(job, model, &Silent)
}

/// Runs the analysis with a given distance model, telling `progress` what it is doing.
///
/// A study wider than one UTM zone is measured zone by zone and merged
/// ([`crate::analysis::tiles`]); one within a zone as a whole.
pub fn analyse_observed(
    job: &Job,
    model: &dyn DistanceModel,
    progress: &dyn Progress,
) -> Result<Analysis> {
    let loaded = load_study(job, progress)?;
    let plan = loaded.plan(job, 1);
    tiled::analyse_tile(job, model, progress, loaded, &plan, 0)
}

/// The layers as read, in lon/lat, checked against each other: what every tile of a study
/// starts from.
pub(crate) struct Loaded {
    communities: Option<Layer<Community>>,
    demand: Option<Layer<Demand>>,
    facilities: Layer<Facility>,
    warnings: Vec<Warning>,
    /// The extent of the places (communities, else demand), lon/lat.
    study_extent: Option<[f64; 4]>,
    /// The largest radius of any category or level, m.
    longest: f64,
    /// What every tile must decide alike.
    facts: StudyFacts,
}

/// What the figures of every tile are decided on, from all the study's features, so tiles
/// measured apart add up to the study measured whole.
#[derive(Debug, Clone, Copy)]
struct StudyFacts {
    /// A demand layer is given: residents come from it.
    demand_layer: bool,
    /// Every community has a population.
    population_known: bool,
    /// The curve of areas is on population: every community has one, and some are above 0.
    curve_by_population: bool,
}

/// Reads the layers, converts them to lon/lat and checks them against each other; leaves
/// the progress step "check, project" open.
fn load_study(job: &Job, progress: &dyn Progress) -> Result<Loaded> {
    // Load.
    progress.begin("load", 0);
    // The layers are read side by side; errors are reported in this order.
    let ((communities, facilities), demand) = rayon::join(
        || {
            rayon::join(
                || job.communities.as_ref().map(load_communities).transpose(),
                || load_facilities(&job.facilities),
            )
        },
        || job.demand.as_ref().map(load_demand).transpose(),
    );
    let mut communities = communities?;
    let mut facilities = facilities?;
    let mut demand = demand?;
    let mut warnings = check_categories(job, &facilities)?;
    let grouped = job
        .communities
        .as_ref()
        .is_some_and(|c| c.group_field.is_some())
        || job.demand.as_ref().is_some_and(|d| d.group_field.is_some());
    if job.products.maps && job.products.maps_per_group && !grouped {
        warnings.push(Warning::NoGroupsToMap);
    }
    if !job.not_in_lang.is_empty() {
        warnings.push(Warning::NotInLang {
            lang: job.products.lang,
            texts: job.not_in_lang.clone(),
        });
    }
    let notes = communities
        .iter()
        .map(|l| (&l.path, &l.note))
        .chain(demand.iter().map(|l| (&l.path, &l.note)))
        .chain([(&facilities.path, &facilities.note)]);
    for (path, note) in notes {
        if let Some(note) = note {
            warnings.push(Warning::Layer {
                path: path.display().to_string(),
                note: note.clone(),
            });
        }
    }
    progress.end();
    progress.begin("check, project", 0);

    // Project: every layer to WGS 84 lon/lat, then to the metric working CRS.
    if let Some(c) = communities.as_mut() {
        to_lonlat_communities(c)?;
    }
    if let Some(d) = demand.as_mut() {
        to_lonlat_demand(d)?;
    }
    to_lonlat_facilities(&mut facilities)?;
    let community_extent = communities
        .as_ref()
        .and_then(|c| extent(c.features.iter().flat_map(|c| c.boundary.coords_iter())));
    let demand_extent = demand.as_ref().and_then(|d| {
        extent(d.features.iter().flat_map(|d| match &d.shape {
            DemandShape::Point(c) => vec![*c],
            DemandShape::Area(b) => b.coords_iter().collect(),
        }))
    });
    let facility_extent = extent(
        facilities
            .features
            .iter()
            .flat_map(|f| f.sites.iter().copied()),
    );
    let longest = job
        .categories
        .iter()
        .map(|s| s.radius_m)
        .chain(job.levels.iter().map(|l| l.radius_m))
        .fold(0.0, f64::max);
    let (study_path, study_extent) = match (&communities, &demand) {
        (Some(c), _) => (c.path.as_path(), community_extent),
        (None, Some(d)) => (d.path.as_path(), demand_extent),
        (None, None) => unreachable_layers()?,
    };
    check_layers_overlap(
        (study_path, study_extent),
        (&facilities.path, facility_extent),
        longest,
    )?;
    if let (Some(c), Some(d)) = (&communities, &demand) {
        check_layers_overlap(
            (&c.path, community_extent),
            (&d.path, demand_extent),
            longest,
        )?;
    }
    let facts = StudyFacts {
        demand_layer: demand.is_some(),
        population_known: communities
            .as_ref()
            .is_some_and(|c| c.features.iter().all(|c| c.population.is_some())),
        curve_by_population: communities.as_ref().is_some_and(|c| {
            c.features.iter().all(|c| c.population.is_some())
                && c.features.iter().any(|c| c.population.unwrap_or(0.0) > 0.0)
        }),
    };
    Ok(Loaded {
        communities,
        demand,
        facilities,
        warnings,
        study_extent,
        longest,
        facts,
    })
}

/// How a study is measured: whole, or one piece of a tiled plan.
struct Scope<'a> {
    /// The working CRS.
    work: WorkCrs,
    /// The piece measured, and the plan it is part of; `None` for the whole study.
    piece: Option<(&'a TilePlan, usize)>,
}

/// Validates, projects, indexes and measures the loaded study (or one piece of it).
fn measure_study(
    job: &Job,
    model: &dyn DistanceModel,
    progress: &dyn Progress,
    loaded: Loaded,
    scope: Scope<'_>,
) -> Result<Analysis> {
    let Loaded {
        communities,
        demand,
        facilities,
        mut warnings,
        longest,
        facts,
        ..
    } = loaded;
    let work = scope.work;
    let tiled = scope.piece.is_some();
    let network = match &job.network {
        Some(layer) => Some(load_network(layer, &work)?),
        None => None,
    };
    let communities = prepare_communities(job, communities, &work, tiled, &mut warnings)?;
    let demand = prepare_demand_layer(job, demand, &work, tiled, &mut warnings)?;
    let placed = if demand.at.is_empty() {
        Placed::default()
    } else {
        place_demand(
            demand.path,
            &demand.features,
            &demand.at,
            (!communities.places.is_empty()).then_some(communities.places.as_slice()),
        )?
    };
    let demand_inputs = demand.inputs.map(|d| {
        note_demand_outside(
            d,
            &placed,
            !communities.places.is_empty(),
            tiled,
            &mut warnings,
        )
    });
    let sites = project_facilities(&facilities, &work)?;
    let (outside, facility_community) = locate_facilities(
        job,
        &facilities,
        &sites,
        (&communities, &demand.at),
        tiled,
        &mut warnings,
    )?;
    let grouping = Grouping::of(job, &communities.features, &demand.features);
    let population_basis = population_basis(
        demand_inputs.as_ref(),
        communities.inputs.as_ref(),
        demand.features.len(),
        !communities.places.is_empty(),
    );
    let mut units_of = vec![Vec::new(); communities.places.len()];
    let mut units_of_feature = vec![Vec::new(); demand.at.len()];
    for (u, unit) in placed.units.iter().enumerate() {
        if let Some(k) = unit.community {
            units_of[k].push(u);
        }
        units_of_feature[unit.feature].push(u);
    }

    progress.end();
    // Measured whole, the facts are those of the features kept; a tile takes the study's.
    let facts = if tiled {
        facts
    } else {
        StudyFacts::of_kept(&communities.features, !demand.at.is_empty())
    };
    let facility_layer = layer_header(&facilities);
    let study = Study {
        model,
        progress,
        communities: communities.features,
        community_path: communities.path,
        places: communities.places,
        demand: demand.features,
        demand_path: demand.path,
        demand_at: demand.at,
        placed,
        units_of,
        units_of_feature,
        facilities: facilities.features,
        sites,
        outside,
        facility_community,
        group_of: grouping.of,
        groups: grouping.names,
        population_basis,
        served_threshold: job.served_threshold,
        min_gap_area_m2: job.min_gap_area_m2,
        curve_radii_m: job.curve_radii_m.clone(),
        geometry_out: job.products.shows_areas(),
        facts,
    };

    // Index.
    progress.begin("index", 0);
    let (streets, mut network_inputs) = match network {
        Some((streets, inputs)) => (Some(streets), Some(inputs)),
        None => (None, None),
    };
    if let (Some(streets), Some(inputs), Some(layer)) =
        (&streets, network_inputs.as_mut(), &job.network)
    {
        if !tiled {
            check_network_overlap(&layer.path, streets, &study, longest)?;
        }
        let owns = |c: Option<Coord<f64>>| match scope.piece {
            None => true,
            Some((plan, p)) => c.is_some_and(|c| plan.owner(c) == p),
        };
        note_unreachable(job, streets, &study, &owns, inputs, &mut warnings);
    }
    let choice = ReachChoice {
        model,
        streets: streets.as_ref(),
        count_bound_m: longest,
    };
    let indexes = index_categories(job, &study, &choice);
    progress.end();

    let mut measured = measure_all(job, &study, &work, &indexes)?;
    let mut siting = Vec::with_capacity(job.siting.len());
    for spec in &job.siting {
        progress.begin(&format!("site {}", spec.category), 0);
        let index = &indexes[spec.category.as_str()];
        let result = site::site(
            &study,
            &work,
            &choice,
            job,
            spec,
            &measured.categories,
            index,
        )?;
        progress.end();
        if result.candidates_outside > 0 {
            warnings.push(Warning::CandidatesOutside {
                category: spec.category.clone(),
                count: result.candidates_outside,
            });
        }
        if !result.target_reachable {
            warnings.push(Warning::TargetOutOfReach {
                category: spec.category.clone(),
                target: result.target.unwrap_or(0.0),
                best: result.coverage_after,
            });
        }
        siting.push(result);
    }
    let groups = measured.group_results(&study.groups);
    let inputs = Inputs {
        communities: communities.inputs,
        facilities: facility_inputs(&facility_layer, &study.facilities, &study.outside),
        demand: demand_inputs,
        network: network_inputs,
    };
    let walked = streets.is_some() && job.categories.iter().any(|c| c.reach == ReachKind::Network);
    let streets = match (&streets, study.geometry_out) {
        (Some(s), true) => streets_lonlat(s, &work)?,
        _ => Vec::new(),
    };
    Ok(Analysis {
        tiles: TileFacts::of_whole(&study, work.crs()),
        streets,
        work_crs: work.crs().clone(),
        distance_model: if walked {
            STREET_NETWORK.to_string()
        } else {
            model.name().to_string()
        },
        inputs,
        communities: study.communities,
        demand: study.demand,
        facilities: study.facilities,
        categories: measured.categories,
        levels: measured.levels,
        indicators: measured.indicators,
        groups,
        group_field: grouping.field,
        group_label: grouping.label,
        warnings,
        siting,
    })
}

impl StudyFacts {
    /// The facts of a study measured whole: of the communities kept.
    fn of_kept(communities: &[Community], demand_layer: bool) -> StudyFacts {
        let population_known = communities.iter().all(|c| c.population.is_some());
        StudyFacts {
            demand_layer,
            population_known,
            curve_by_population: population_known
                && communities
                    .iter()
                    .any(|c| c.population.unwrap_or(0.0) > 0.0),
        }
    }
}

impl TileFacts {
    /// The facts of a study measured in one piece: it owns everything it holds.
    fn of_whole(study: &Study<'_>, crs: &Crs) -> TileFacts {
        let mut placed_weight = vec![0.0; study.demand.len()];
        for unit in &study.placed.units {
            if unit.community.is_some() || !study.has_communities() {
                placed_weight[unit.feature] += unit.weight;
            }
        }
        TileFacts {
            zones: vec![crs.clone()],
            demand_owned: vec![true; study.demand.len()],
            demand_placed: placed_weight,
            facility_inside: study.outside.iter().map(|o| !o).collect(),
            facility_owned: vec![true; study.facilities.len()],
            inside_elsewhere: Vec::new(),
        }
    }
}

/// A layer's path, CRS and note, without its features.
fn layer_header<T>(layer: &Layer<T>) -> Layer<T> {
    Layer {
        path: layer.path.clone(),
        crs: layer.crs.clone(),
        crs_source: layer.crs_source,
        note: layer.note.clone(),
        features: Vec::new(),
    }
}

/// The communities checked and projected: those kept, their places (working CRS), and the
/// layer summed up; empty without a community layer.
struct CommunitiesReady<'a> {
    inputs: Option<CommunityInputs>,
    features: Vec<Community>,
    places: Vec<Place>,
    path: &'a Path,
}

/// Checks and projects the communities (repairing, skipping or refusing invalid ones as
/// the layer's policy says).
fn prepare_communities<'a>(
    job: &'a Job,
    layer: Option<Layer<Community>>,
    work: &WorkCrs,
    tiled: bool,
    warnings: &mut Vec<Warning>,
) -> Result<CommunitiesReady<'a>> {
    let empty_path = Path::new("");
    match layer {
        None => Ok(CommunitiesReady {
            inputs: None,
            features: Vec::new(),
            places: Vec::new(),
            path: empty_path,
        }),
        Some(mut layer) => {
            let spec = job
                .communities
                .as_ref()
                .map(|c| c.on_invalid)
                .unwrap_or_default();
            let checked = project_boundaries(
                &layer.path,
                layer.features.iter().map(|c| Boundary {
                    index: c.index,
                    id: &c.id,
                    shape: &c.boundary,
                    defects: &c.defects,
                }),
                spec,
                work,
                warnings,
            )?;
            let read = layer.features.len();
            let (kept, places): (Vec<Community>, Vec<Place>) = layer
                .features
                .drain(..)
                .zip(checked.places)
                .filter_map(|(c, p)| p.map(|p| (c, p)))
                .unzip();
            if kept.is_empty() {
                // A tile without communities would be measured as a study without them.
                return Err(Error::NotGeoJson {
                    path: layer.path.clone(),
                    message: if tiled {
                        "every community of a tile was left out as invalid: repair them, or \
                         run the study whole"
                    } else {
                        "every community was left out as invalid: there is nothing to measure"
                    }
                    .into(),
                });
            }
            let all = |f: fn(&Community) -> Option<f64>| -> Option<f64> {
                kept.iter().map(f).sum::<Option<f64>>()
            };
            let inputs = CommunityInputs {
                path: layer.path.display().to_string(),
                crs: layer.crs.to_string(),
                crs_source: layer.crs_source.as_str(),
                features: read,
                name_field: job
                    .communities
                    .as_ref()
                    .map(|c| c.name_field.clone())
                    .unwrap_or_default(),
                repaired: checked.repaired,
                skipped: checked.skipped,
                population: all(|c| c.population),
                households: all(|c| c.households),
                area_m2: places.iter().map(|p| p.area_m2).sum(),
            };
            let path = job
                .communities
                .as_ref()
                .map(|c| c.path.as_path())
                .unwrap_or(empty_path);
            Ok(CommunitiesReady {
                inputs: Some(inputs),
                features: kept,
                places,
                path,
            })
        }
    }
}

/// The demand features checked and projected: those kept, where they are (working CRS),
/// and the layer summed up; empty without a demand layer.
struct DemandReady<'a> {
    inputs: Option<DemandInputs>,
    features: Vec<Demand>,
    at: Vec<DemandAt>,
    path: &'a Path,
}

/// Checks and projects the demand features.
fn prepare_demand_layer<'a>(
    job: &'a Job,
    layer: Option<Layer<Demand>>,
    work: &WorkCrs,
    tiled: bool,
    warnings: &mut Vec<Warning>,
) -> Result<DemandReady<'a>> {
    let empty_path = Path::new("");
    match layer {
        None => Ok(DemandReady {
            inputs: None,
            features: Vec::new(),
            at: Vec::new(),
            path: empty_path,
        }),
        Some(layer) => {
            let spec = job.demand.as_ref();
            let policy = spec.map(|d| d.on_invalid).unwrap_or_default();
            let (features, at, repaired, skipped) =
                prepare_demand(layer.features, &layer.path, policy, work, warnings)?;
            if features.is_empty() && !tiled {
                return Err(Error::NotGeoJson {
                    path: layer.path.clone(),
                    message: "every demand feature was left out as invalid: there is nothing \
                              to measure"
                        .into(),
                });
            }
            let kind = features
                .first()
                .map(|d| d.shape.kind())
                .unwrap_or(DemandKind::Points);
            let inputs = DemandInputs {
                path: layer.path.display().to_string(),
                crs: layer.crs.to_string(),
                crs_source: layer.crs_source.as_str(),
                kind,
                weight_field: spec.map(|d| d.weight_field.clone()).unwrap_or_default(),
                features: features.len() + skipped.len(),
                weight: features.iter().map(|d| d.weight).sum(),
                repaired,
                skipped,
                outside_communities: None,
                outside_weight: None,
            };
            let path = spec.map(|d| d.path.as_path()).unwrap_or(empty_path);
            Ok(DemandReady {
                inputs: Some(inputs),
                features,
                at,
                path,
            })
        }
    }
}

/// The demand layer's figures of what lies outside every community, and the warning
/// (a tile's outside weight may lie in another tile's communities: the merge warns for the
/// study).
fn note_demand_outside(
    mut d: DemandInputs,
    placed: &Placed,
    has_places: bool,
    tiled: bool,
    warnings: &mut Vec<Warning>,
) -> DemandInputs {
    if has_places {
        d.outside_communities = Some(placed.outside_features);
        d.outside_weight = Some((placed.outside_weight * 10.0).round() / 10.0);
        if placed.outside_weight > 0.0 && !tiled {
            warnings.push(Warning::DemandOutside {
                path: d.path.clone(),
                outside: placed.outside_features,
                features: d.features,
                outside_weight: placed.outside_weight,
                weight: d.weight,
            });
        }
    }
    d
}

/// Which facilities lie outside the study area (the communities, else the demand
/// polygons), and which community each belongs to.
fn locate_facilities(
    job: &Job,
    facilities: &Layer<Facility>,
    sites: &[Vec<Coord<f64>>],
    (communities, demand_at): (&CommunitiesReady<'_>, &[DemandAt]),
    tiled: bool,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<bool>, Vec<Option<usize>>)> {
    let places = &communities.places;
    let study_shapes: Vec<&MultiPolygon<f64>> = if places.is_empty() {
        demand_at
            .iter()
            .filter_map(|a| match a {
                DemandAt::Area(p) => Some(&p.boundary),
                DemandAt::Point(_) => None,
            })
            .collect()
    } else {
        places.iter().map(|p| &p.boundary).collect()
    };
    let study_area = CommunityIndex::new(study_shapes.iter().copied());
    let outside: Vec<bool> = sites
        .par_iter()
        .map(|s| !study_shapes.is_empty() && !s.iter().any(|&c| study_area.covers(c)))
        .collect();
    let facility_community = assign_facilities(
        job,
        facilities,
        sites,
        (&communities.features, places),
        tiled,
        warnings,
    )?;
    Ok((outside, facility_community))
}

/// The groups of a study: the field, its label, the values in name order, and each
/// community's (or, without communities, each demand feature's) group.
struct Grouping {
    field: Option<String>,
    label: Option<String>,
    names: Vec<String>,
    of: Vec<Option<usize>>,
}

impl Grouping {
    fn of(job: &Job, communities: &[Community], demand: &[Demand]) -> Grouping {
        let label = match (&job.communities, &job.demand) {
            (Some(c), _) => c.group_label.clone(),
            (None, Some(d)) => d.group_label.clone(),
            (None, None) => None,
        };
        let (field, values): (Option<String>, Vec<Option<String>>) =
            match (&job.communities, &job.demand) {
                (Some(c), _) => (
                    c.group_field.clone(),
                    communities.iter().map(|c| c.group.clone()).collect(),
                ),
                (None, Some(d)) => (
                    d.group_field.clone(),
                    demand.iter().map(|d| d.group.clone()).collect(),
                ),
                (None, None) => (None, Vec::new()),
            };
        let names: Vec<String> = values
            .iter()
            .flatten()
            .cloned()
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let of = values
            .iter()
            .map(|g| g.as_ref().and_then(|g| names.binary_search(g).ok()))
            .collect();
        Grouping {
            field,
            label,
            names,
            of,
        }
    }
}

/// Every category a figure asks for (the categories, then the levels'), indexed once.
fn index_categories<'a>(
    job: &'a Job,
    study: &Study<'_>,
    choice: &ReachChoice<'a>,
) -> BTreeMap<&'a str, CategoryIndex<'a>> {
    let mut indexes: BTreeMap<&str, CategoryIndex> = BTreeMap::new();
    for name in job.categories.iter().map(|c| c.name.as_str()).chain(
        job.levels
            .iter()
            .flat_map(|l| l.categories.iter().map(String::as_str)),
    ) {
        if !indexes.contains_key(name) {
            let kind = job
                .categories
                .iter()
                .find(|c| c.name == name)
                .map_or(ReachKind::Network, |c| c.reach);
            indexes.insert(
                name,
                index_category(name, &study.facilities, &study.sites, choice, kind),
            );
        }
    }
    indexes
}

/// What the categories, levels and indicators measured, with the groups' summaries.
struct Measured {
    categories: Vec<CategoryResult>,
    levels: Vec<LevelResult>,
    indicators: Vec<IndicatorResult>,
    /// Per group: its summaries of the categories, levels and indicators.
    by_group: Vec<(
        Vec<CategorySummary>,
        Vec<LevelSummary>,
        Vec<IndicatorSummary>,
    )>,
}

impl Measured {
    /// The groups' results, named.
    fn group_results(&mut self, names: &[String]) -> Vec<GroupResult> {
        names
            .iter()
            .zip(std::mem::take(&mut self.by_group))
            .map(|(name, (categories, levels, indicators))| GroupResult {
                group: name.clone(),
                categories,
                levels,
                indicators,
            })
            .collect()
    }
}

/// Measures every category, level and indicator the job names.
fn measure_all(
    job: &Job,
    study: &Study<'_>,
    work: &WorkCrs,
    indexes: &BTreeMap<&str, CategoryIndex<'_>>,
) -> Result<Measured> {
    let mut by_group = vec![(Vec::new(), Vec::new(), Vec::new()); study.groups.len()];
    let mut categories = Vec::with_capacity(job.categories.len());
    for spec in &job.categories {
        let index = &indexes[spec.name.as_str()];
        let (result, summaries) = measure_category(study, work, spec, index)?;
        for (g, s) in summaries.into_iter().enumerate() {
            by_group[g].0.push(s);
        }
        categories.push(result);
    }
    let mut levels = Vec::with_capacity(job.levels.len());
    for spec in &job.levels {
        let level_reaches: Vec<&dyn CategoryReach> = spec
            .categories
            .iter()
            .map(|c| &*indexes[c.as_str()].reach)
            .collect();
        let (result, summaries) = measure_level(study, spec, &level_reaches)?;
        for (g, s) in summaries.into_iter().enumerate() {
            by_group[g].1.push(s);
        }
        levels.push(result);
    }
    let indicators = measure_indicators(job, study, &mut by_group)?;
    Ok(Measured {
        categories,
        levels,
        indicators,
        by_group,
    })
}

/// Every indicator at every community, and its summaries (overall, then each group's into
/// `by_group`).
fn measure_indicators(
    job: &Job,
    study: &Study<'_>,
    by_group: &mut [(
        Vec<CategorySummary>,
        Vec<LevelSummary>,
        Vec<IndicatorSummary>,
    )],
) -> Result<Vec<IndicatorResult>> {
    let mut indicators = Vec::with_capacity(job.indicators.len());
    if job.indicators.is_empty() {
        return Ok(indicators);
    }
    let mut members = vec![Vec::new(); study.communities.len()];
    for (i, k) in study.facility_community.iter().enumerate() {
        if let Some(k) = k {
            members[*k].push(i);
        }
    }
    let sources = Sources {
        communities: study.community_path,
        facilities: &job.facilities.path,
        value_fields: &job.facilities.value_fields,
    };
    for spec in &job.indicators {
        let values = indicator_values(
            spec,
            &study.communities,
            &study.facilities,
            &members,
            &sources,
        )?;
        for (g, out) in by_group.iter_mut().enumerate() {
            out.2.push(summarise_indicator(
                spec,
                values
                    .iter()
                    .zip(&study.group_of)
                    .filter(|(_, gk)| **gk == Some(g))
                    .map(|(v, _)| v),
            ));
        }
        indicators.push(IndicatorResult {
            summary: summarise_indicator(spec, &values),
            communities: values,
        });
    }
    Ok(indicators)
}

/// The facility layer summed up: per category, without one, outside the study area.
fn facility_inputs(
    layer: &Layer<Facility>,
    facilities: &[Facility],
    outside: &[bool],
) -> FacilityInputs {
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    for f in facilities {
        if let Some(c) = &f.category {
            *by_category.entry(c.clone()).or_default() += 1;
        }
    }
    FacilityInputs {
        path: layer.path.display().to_string(),
        crs: layer.crs.to_string(),
        crs_source: layer.crs_source.as_str(),
        features: facilities.len(),
        by_category,
        without_category: facilities.iter().filter(|f| f.category.is_none()).count(),
        outside_communities: outside.iter().filter(|&&o| o).count(),
    }
}

/// The street network's edges back in lon/lat, for the maps.
fn streets_lonlat(streets: &Streets, work: &WorkCrs) -> Result<Vec<LineString<f64>>> {
    let crs = work.crs();
    streets
        .graph()
        .edges()
        .par_iter()
        .map(|e| {
            let mut line = LineString(e.line.clone());
            WorkCrs::on_this_thread(crs, |w| w.unproject(&mut line))?.map_err(|problem| {
                Error::Crs {
                    crs: crs.to_string(),
                    message: format!("a street: {problem}"),
                }
            })?;
            Ok(line)
        })
        .collect()
}

/// The street network must reach into the study area.
fn check_network_overlap(
    path: &Path,
    streets: &Streets,
    study: &Study<'_>,
    longest: f64,
) -> Result<()> {
    let boxes = study
        .places
        .iter()
        .map(|p| p.bbox())
        .chain(study.demand_at.iter().map(|d| match d {
            DemandAt::Point(c) => Rect::new(*c, *c),
            DemandAt::Area(p) => p.bbox(),
        }));
    let streets_box = network_extent(streets);
    let overlaps = streets_box.is_some_and(|n| {
        boxes.into_iter().any(|b| {
            b.min().x <= n.max().x + longest
                && b.max().x >= n.min().x - longest
                && b.min().y <= n.max().y + longest
                && b.max().y >= n.min().y - longest
        })
    });
    if overlaps {
        Ok(())
    } else {
        Err(Error::Network {
            path: path.to_path_buf(),
            message: "the street network does not overlap the study area (is its CRS \
                      declared right, [network] crs / --network-crs?)"
                .into(),
        })
    }
}

/// Counts the facilities and points too far from every street, into the network summary
/// and the warnings.
///
/// `owns` tells, from a lon/lat position, whether this study (a tile) owns a facility or a
/// demand point: a tile counts the facilities it owns, the demand points placed in its
/// communities and those it owns that are not, so the tiles' counts add up.
fn note_unreachable(
    job: &Job,
    streets: &Streets,
    study: &Study<'_>,
    owns: &dyn Fn(Option<Coord<f64>>) -> bool,
    inputs: &mut NetworkInputs,
    warnings: &mut Vec<Warning>,
) {
    let snap = inputs.snap_max_m;
    for spec in job
        .categories
        .iter()
        .filter(|c| c.reach == ReachKind::Network)
    {
        let (mut total, mut far) = (0, 0);
        for (f, sites) in study.facilities.iter().zip(&study.sites) {
            if f.category.as_deref() == Some(spec.name.as_str()) && owns(f.sites.first().copied()) {
                total += 1;
                far += usize::from(sites.iter().all(|&c| streets.attach(c).is_none()));
            }
        }
        if far > 0 {
            warnings.push(Warning::FacilitiesOffStreets {
                category: spec.name.clone(),
                far,
                total,
                snap_m: snap,
            });
        }
        inputs.facilities_unreachable.insert(spec.name.clone(), far);
    }
    let points: Vec<Coord<f64>> = if study.has_demand() {
        let mut placed_here = vec![false; study.demand_at.len()];
        for unit in &study.placed.units {
            placed_here[unit.feature] |= unit.community.is_some();
        }
        study
            .demand_at
            .iter()
            .zip(&study.demand)
            .zip(placed_here)
            .filter_map(|((at, d), here)| match (at, &d.shape) {
                (DemandAt::Point(c), DemandShape::Point(ll)) if here || owns(Some(*ll)) => Some(*c),
                _ => None,
            })
            .collect()
    } else {
        study.places.iter().map(|p| p.centre).collect()
    };
    let far = points
        .par_iter()
        .filter(|&&c| streets.attach(c).is_none())
        .count();
    if far > 0 {
        warnings.push(Warning::PeopleOffStreets {
            far,
            total: points.len(),
            demand_points: study.has_demand(),
            snap_m: snap,
        });
    }
    inputs.points_unreachable = far;
}

fn unreachable_layers<T>() -> Result<T> {
    Err(Error::Setting {
        setting: "communities".into(),
        message: "no community layer and no demand layer given".into(),
    })
}

/// Demand features projected and checked: points as they are, polygons through the same
/// boundary checks as communities. Returns the kept features (lon/lat), their working-CRS
/// shapes, and the repaired and skipped notes.
#[allow(clippy::type_complexity)]
fn prepare_demand(
    features: Vec<Demand>,
    path: &Path,
    policy: InvalidPolicy,
    work: &WorkCrs,
    warnings: &mut Vec<Warning>,
) -> Result<(
    Vec<Demand>,
    Vec<DemandAt>,
    Vec<BoundaryNote>,
    Vec<BoundaryNote>,
)> {
    let areas: Vec<(usize, &Demand, &MultiPolygon<f64>)> = features
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match &d.shape {
            DemandShape::Area(b) => Some((i, d, b)),
            DemandShape::Point(_) => None,
        })
        .collect();
    let checked = project_boundaries(
        path,
        areas.iter().map(|(_, d, b)| Boundary {
            index: d.index,
            id: &d.id,
            shape: b,
            defects: &d.defects,
        }),
        policy,
        work,
        warnings,
    )?;
    let mut area_places = checked.places.into_iter();
    let mut kept = Vec::with_capacity(features.len());
    let mut at = Vec::with_capacity(features.len());
    for d in features {
        match &d.shape {
            DemandShape::Point(c) => {
                let mut p = geo::Point::from(*c);
                work.project(&mut p)
                    .map_err(|problem| feature_error(path, d.index, &d.id, problem))?;
                at.push(DemandAt::Point(p.0));
                kept.push(d);
            }
            DemandShape::Area(_) => {
                if let Some(Some(place)) = area_places.next() {
                    at.push(DemandAt::Area(place));
                    kept.push(d);
                }
            }
        }
    }
    Ok((kept, at, checked.repaired, checked.skipped))
}

/// The community each facility belongs to, for indicators and group counts: the one its
/// community field names, else the one it lies in.
///
/// In a tile (`tiled`), a community the field names may be another tile's: it was checked
/// against every community before the study was split.
fn assign_facilities(
    job: &Job,
    facilities: &Layer<Facility>,
    sites: &[Vec<Coord<f64>>],
    (communities, places): (&[Community], &[Place]),
    tiled: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Option<usize>>> {
    if places.is_empty() {
        return Ok(vec![None; facilities.features.len()]);
    }
    let by_id: BTreeMap<&str, usize> = communities
        .iter()
        .enumerate()
        .map(|(k, c)| (c.id.as_str(), k))
        .collect();
    let index = CommunityIndex::new(places.iter().map(|p| &p.boundary));
    let located: Vec<Option<usize>> = sites
        .par_iter()
        .map(|s| s.iter().find_map(|&c| index.locate(c)))
        .collect();
    let mut unknown = 0;
    let mut out = Vec::with_capacity(facilities.features.len());
    for (f, at) in facilities.features.iter().zip(located) {
        let by_field = match (&job.facilities.community_field, &f.community) {
            (Some(_), Some(id)) => match by_id.get(id.as_str()) {
                Some(&k) => Some(k),
                None if tiled => None,
                None => {
                    if job.indicators.is_empty() {
                        unknown += 1;
                        None
                    } else {
                        return Err(Error::Feature {
                            path: facilities.path.clone(),
                            index: f.index,
                            id: Some(f.id.clone()),
                            problem: FeatureProblem::UnknownCommunity { id: id.clone() },
                        });
                    }
                }
            },
            _ => None,
        };
        out.push(by_field.or(at));
    }
    if unknown > 0 {
        warnings.push(Warning::UnknownCommunity {
            path: facilities.path.display().to_string(),
            count: unknown,
        });
    }
    Ok(out)
}

/// Where the residents are taken to live, for the summaries: the demand layer (`demand_kept`
/// features kept), or the communities' own populations spread evenly.
fn population_basis(
    demand: Option<&DemandInputs>,
    communities: Option<&CommunityInputs>,
    demand_kept: usize,
    has_places: bool,
) -> Option<String> {
    match (demand, communities) {
        (Some(d), _) => Some(match d.kind {
            DemandKind::Points => format!(
                "demand layer: {} points, weight field \"{}\"",
                demand_kept, d.weight_field
            ),
            DemandKind::Polygons => format!(
                "demand layer: {} polygons, weight field \"{}\", people spread evenly \
                     inside each polygon{}",
                demand_kept,
                d.weight_field,
                if !has_places {
                    ""
                } else {
                    " and split over the communities by area"
                }
            ),
        }),
        (None, Some(c)) if c.population.is_some() => {
            Some("community populations, people spread evenly inside each community".into())
        }
        _ => None,
    }
}

/// Accumulates per-slot sums (slot 0 overall, 1.. groups) in fixed-size chunks, so the
/// result does not depend on the thread count.
fn sum_in_chunks<T: Sync>(
    items: &[T],
    slots: usize,
    width: usize,
    add: impl Fn(&T, &mut dyn FnMut(usize, usize, f64)) + Sync,
) -> Vec<Vec<f64>> {
    let partials: Vec<Vec<Vec<f64>>> = items
        .par_chunks(1024)
        .map(|chunk| {
            let mut acc = vec![vec![0.0; width]; slots];
            for item in chunk {
                add(item, &mut |slot, k, v| acc[slot][k] += v);
            }
            acc
        })
        .collect();
    let mut total = vec![vec![0.0; width]; slots];
    for part in partials {
        for (t, p) in total.iter_mut().zip(part) {
            for (a, b) in t.iter_mut().zip(p) {
                *a += b;
            }
        }
    }
    total
}

/// What one demand unit gives a category: covered share of its weight, nearest distance,
/// and the uncovered parts of an area (working CRS).
struct UnitCoverage {
    share: f64,
    nearest_m: Option<f64>,
    gaps: Vec<Polygon<f64>>,
    covered_m2: f64,
}

fn measure_category(
    study: &Study<'_>,
    work: &WorkCrs,
    spec: &CategorySpec,
    category: &CategoryIndex<'_>,
) -> Result<(CategoryResult, Vec<CategorySummary>)> {
    let reach = &*category.reach;
    let progress = study.progress;
    progress.begin(
        &format!("measure {}", spec.name),
        (study.places.len() + study.placed.units.len()) as u64,
    );
    let (coverages, units) = measure_units(study, spec, reach)?;

    // Per demand feature: nearest from its point or centre, covered share of its weight.
    let demand: Vec<DemandCoverage> = study
        .demand_at
        .par_iter()
        .enumerate()
        .map(|(i, at)| {
            let parts = &study.units_of_feature[i];
            // A point inside a community was measured as its unit; anything else (a
            // polygon's centre, a point outside every community) is measured here.
            let nearest_m = match (at, parts.first()) {
                (DemandAt::Point(_), Some(&u)) => units[u].nearest_m,
                _ => reach.nearest_m(at.centre()),
            };
            let covered = match at {
                DemandAt::Point(_) => parts.first().map(|&u| units[u].share).unwrap_or(0.0),
                DemandAt::Area(_) => {
                    let (mut area, mut covered) = (0.0, 0.0);
                    for &u in parts {
                        if let DemandAt::Area(p) = &study.placed.units[u].at {
                            area += p.area_m2;
                            covered += p.area_m2 * units[u].share;
                        }
                    }
                    if area > 0.0 {
                        covered / area
                    } else {
                        0.0
                    }
                }
            };
            DemandCoverage { nearest_m, covered }
        })
        .collect();

    let per_community = per_community(study, spec, &coverages, &units);
    let totals = slot_totals(study, &per_community, &coverages, &units);

    progress.end();
    progress.begin(&format!("gaps {}", spec.name), 0);
    let gaps = category_gaps(study, work, &coverages, &units)?;
    progress.end();
    let service_areas = if study.geometry_out {
        progress.begin(&format!("dissolve {}", spec.name), 0);
        let areas = service_areas(work, spec, reach)?;
        progress.end();
        areas
    } else {
        Vec::new()
    };
    if !study.curve_radii_m.is_empty() {
        progress.begin(&format!("curve {}", spec.name), 0);
    }
    let curve = curve(study, reach, &units);
    if !study.curve_radii_m.is_empty() {
        progress.end();
    }

    // Facilities per slot: overall the category's; per group those in its communities.
    let slots = study.slots();
    let mut facility_counts = vec![FacilityCounts::default(); slots];
    facility_counts[0] = FacilityCounts {
        total: category.members.len(),
        outside: category
            .members
            .iter()
            .filter(|&&i| study.outside[i])
            .count(),
    };
    for &i in &category.members {
        let group = study.facility_community[i].and_then(|k| study.group_of[k]);
        if let Some(g) = group {
            facility_counts[g + 1].total += 1;
        }
    }
    for counts in facility_counts.iter_mut().skip(1) {
        counts.outside = category.members.len() - counts.total;
    }
    let circles = match &category.circles {
        Some(circles) => Some(circle_totals(study, spec, &**circles)?),
        None => None,
    };
    let sums: Vec<CategorySums> = (0..slots)
        .map(|s| CategorySums {
            totals: totals[s].clone(),
            gaps: gaps.1[s],
            facilities: facility_counts[s],
            curve: curve.0[s].clone(),
            curve_basis: curve.1,
            circles: circles.as_ref().map(|c| c[s].clone()),
        })
        .collect();
    let summaries: Vec<CategorySummary> = sums
        .iter()
        .map(|s| {
            summarise_sums(
                spec,
                s,
                reach.distance_model(),
                study.population_basis.as_deref(),
                &study.curve_radii_m,
            )
        })
        .collect::<Result<_>>()?;
    let mut summaries = summaries.into_iter();
    let summary = summaries.next().ok_or_else(|| Error::Setting {
        setting: format!("category \"{}\"", spec.name),
        message: "nothing was measured".into(),
    })?;
    Ok((
        CategoryResult {
            summary,
            communities: per_community,
            demand,
            gaps: gaps.0,
            service_areas,
            sums,
        },
        summaries.collect(),
    ))
}

/// A category's summary from its sums, with the circles' coverage beside a network's.
fn summarise_sums(
    spec: &CategorySpec,
    sums: &CategorySums,
    distance_model: &str,
    population_basis: Option<&str>,
    curve_radii_m: &[f64],
) -> Result<CategorySummary> {
    let mut summary = summarise(
        spec,
        CategoryFigures {
            distance_model,
            totals: &sums.totals,
            population_basis,
            gaps: sums.gaps,
            facilities: sums.facilities,
            curve: curve_shares(curve_radii_m, &sums.curve),
            curve_basis: sums.curve_basis,
        },
    )?;
    if let Some(circles) = &sums.circles {
        let figures = summarise(
            spec,
            CategoryFigures {
                distance_model,
                totals: circles,
                population_basis,
                gaps: GapCounts::default(),
                facilities: FacilityCounts::default(),
                curve: Vec::new(),
                curve_basis: None,
            },
        )?;
        summary.circle_coverage = Some(figures.coverage);
    }
    Ok(summary)
}

/// A category's sums per slot with straight-line circles, for the comparison with a street
/// network.
fn circle_totals(
    study: &Study<'_>,
    spec: &CategorySpec,
    circles: &dyn CategoryReach,
) -> Result<Vec<Totals>> {
    study.progress.begin(
        &format!("circles {}", spec.name),
        (study.places.len() + study.placed.units.len()) as u64,
    );
    let (coverages, units) = measure_units(study, spec, circles)?;
    let per_community = per_community(study, spec, &coverages, &units);
    let totals = slot_totals(study, &per_community, &coverages, &units);
    study.progress.end();
    Ok(totals)
}

/// Every community and demand unit of the study, measured in parallel.
fn measure_units(
    study: &Study<'_>,
    spec: &CategorySpec,
    reach: &dyn CategoryReach,
) -> Result<(Vec<Coverage>, Vec<UnitCoverage>)> {
    let radius = spec.radius_m;
    let progress = study.progress;

    // Every community, in parallel, each on its own.
    let coverages: Vec<Coverage> = study
        .places
        .par_iter()
        .zip(study.communities.par_iter())
        .map(|(place, community)| {
            guarded(
                study.community_path,
                community.index,
                &community.id,
                &spec.name,
                || {
                    let cov = measure_place(place, reach, radius);
                    progress.advance(1);
                    cov
                },
            )
        })
        .collect::<Result<_>>()?;

    // Every demand unit.
    let units: Vec<UnitCoverage> = study
        .placed
        .units
        .par_iter()
        .map(|unit| {
            let d = &study.demand[unit.feature];
            guarded(
                study.demand_path,
                d.index,
                &d.id,
                &spec.name,
                || match &unit.at {
                    DemandAt::Point(c) => {
                        progress.advance(1);
                        let nearest_m = reach.nearest_m(*c);
                        UnitCoverage {
                            share: if nearest_m.is_some_and(|n| n <= radius) {
                                1.0
                            } else {
                                0.0
                            },
                            nearest_m,
                            gaps: Vec::new(),
                            covered_m2: 0.0,
                        }
                    }
                    DemandAt::Area(place) => {
                        let cov = measure_place(place, reach, radius);
                        progress.advance(1);
                        UnitCoverage {
                            share: cov.share,
                            nearest_m: cov.nearest_m,
                            gaps: cov.gaps,
                            covered_m2: cov.covered_m2,
                        }
                    }
                },
            )
        })
        .collect::<Result<_>>()?;

    Ok((coverages, units))
}

/// Per community: its share, served, and its population from the demand when given.
fn per_community(
    study: &Study<'_>,
    spec: &CategorySpec,
    coverages: &[Coverage],
    units: &[UnitCoverage],
) -> Vec<CommunityCoverage> {
    coverages
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let (population, population_covered) = if study.has_demand() {
                let units_here = &study.units_of[k];
                (
                    Some(
                        units_here
                            .iter()
                            .map(|&u| study.placed.units[u].weight)
                            .sum(),
                    ),
                    Some(
                        units_here
                            .iter()
                            .map(|&u| study.placed.units[u].weight * units[u].share)
                            .sum(),
                    ),
                )
            } else {
                let p = study.communities[k].population;
                (p, p.map(|p| p * c.share))
            };
            CommunityCoverage {
                share: c.share,
                nearest_m: c.nearest_m,
                count: c.count,
                meets: round6(c.share) >= spec.served_threshold,
                population,
                population_covered,
            }
        })
        .collect()
}

/// The sums of a category per slot: 0 overall, 1.. groups.
fn slot_totals(
    study: &Study<'_>,
    per_community: &[CommunityCoverage],
    coverages: &[Coverage],
    units: &[UnitCoverage],
) -> Vec<Totals> {
    let slots = study.slots();
    let mut totals = vec![Totals::default(); slots];
    let slot_of = |g: Option<usize>| g.map(|g| g + 1);
    let mut add = |slot: Option<usize>, f: &mut dyn FnMut(&mut Totals)| {
        f(&mut totals[0]);
        if let Some(s) = slot {
            f(&mut totals[s]);
        }
    };
    let population_known =
        study.has_demand() || (study.has_communities() && study.facts.population_known);
    if study.has_communities() {
        for (k, c) in per_community.iter().enumerate() {
            let place = &study.places[k];
            add(slot_of(study.group_of[k]), &mut |t| {
                t.communities += 1;
                t.served += usize::from(c.meets);
                *t.area_m2.get_or_insert(0.0) += place.area_m2;
                *t.covered_m2.get_or_insert(0.0) += coverages[k].covered_m2;
                if population_known && !study.has_demand() {
                    *t.population.get_or_insert(0.0) += c.population.unwrap_or(0.0);
                    *t.population_covered.get_or_insert(0.0) += c.population_covered.unwrap_or(0.0);
                }
            });
        }
    }
    if study.has_demand() {
        for (u, unit) in study.placed.units.iter().enumerate() {
            let cov = &units[u];
            add(slot_of(study.unit_group(unit)), &mut |t| {
                *t.population.get_or_insert(0.0) += unit.weight;
                *t.population_covered.get_or_insert(0.0) += unit.weight * cov.share;
                if !study.has_communities() {
                    if let DemandAt::Area(p) = &unit.at {
                        *t.area_m2.get_or_insert(0.0) += p.area_m2;
                        *t.covered_m2.get_or_insert(0.0) += cov.covered_m2;
                    }
                }
            });
        }
    }
    totals
}

/// Runs `f`, turning a panic in the geometry library into an error naming the feature.
fn guarded<T>(
    path: &Path,
    index: usize,
    id: &str,
    category: &str,
    f: impl FnOnce() -> T,
) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| Error::Geometry {
        path: path.to_path_buf(),
        index,
        id: id.to_string(),
        message: format!(
            "measuring \"{category}\" failed inside the geometry library: {}",
            panic_message(&panic)
        ),
    })
}

/// The gaps of a category, largest first, and per slot the gaps kept and the slivers
/// dropped: uncovered parts of communities (with the demand living in them when a demand
/// layer is given); without communities, uncovered parts of demand polygons or uncovered
/// demand points. When no product shows them, the gaps of communities are only counted.
fn category_gaps(
    study: &Study<'_>,
    work: &WorkCrs,
    coverages: &[Coverage],
    units: &[UnitCoverage],
) -> Result<(Vec<Gap>, Vec<GapCounts>)> {
    let mut gaps = Vec::new();
    let mut counts = vec![GapCounts::default(); study.slots()];
    let mut tally = |g: Option<usize>, kept: bool| {
        for s in std::iter::once(0).chain(g.map(|g| g + 1)) {
            if kept {
                counts[s].kept += 1;
            } else {
                counts[s].dropped += 1;
            }
        }
    };
    if study.has_communities() {
        // In parallel, in chunks of communities; the chunks come back in order, so the
        // first error is the first in the file.
        let size = chunk_size(coverages.len());
        let crs = work.crs();
        let parts: Vec<Result<ChunkGaps>> = coverages
            .par_chunks(size)
            .enumerate()
            .map(|(c, chunk)| {
                WorkCrs::on_this_thread(crs, |work| {
                    gaps_of_chunk(study, work, c * size, chunk, units)
                })?
            })
            .collect();
        for part in parts {
            let (found, kept, slivers) = part?;
            gaps.extend(found);
            for g in kept {
                tally(g, true);
            }
            for g in slivers {
                tally(g, false);
            }
        }
    } else {
        for (u, unit) in study.placed.units.iter().enumerate() {
            let d = &study.demand[unit.feature];
            let group = study.group_of.get(unit.feature).copied().flatten();
            let fail = |problem| feature_error(study.demand_path, d.index, &d.id, problem);
            match &unit.at {
                DemandAt::Point(c) => {
                    if units[u].share < 1.0 {
                        let mut p = geo::Point::from(*c);
                        work.unproject(&mut p).map_err(fail)?;
                        tally(group, true);
                        gaps.push(Gap {
                            owner: Owner::Demand(unit.feature),
                            shape: GapShape::Point(p.0),
                            area_m2: None,
                            population: Some(unit.weight),
                        });
                    }
                }
                DemandAt::Area(place) => {
                    for g in &units[u].gaps {
                        let area_m2 = g.unsigned_area();
                        if area_m2 < study.min_gap_area_m2 || area_m2 == 0.0 {
                            tally(group, false);
                            continue;
                        }
                        let mut shape = g.clone();
                        work.unproject(&mut shape).map_err(fail)?;
                        tally(group, true);
                        gaps.push(Gap {
                            owner: Owner::Demand(unit.feature),
                            shape: GapShape::Area(shape),
                            area_m2: Some(area_m2),
                            population: Some(unit.weight * area_m2 / place.area_m2),
                        });
                    }
                }
            }
        }
    }
    sort_gaps(&mut gaps);
    Ok((gaps, counts))
}

/// Largest first (area, else residents), then by owner.
fn sort_gaps(gaps: &mut [Gap]) {
    gaps.sort_by(|a, b| {
        let key = |g: &Gap| g.area_m2.or(g.population).unwrap_or(0.0);
        key(b)
            .total_cmp(&key(a))
            .then(owner_key(a.owner).cmp(&owner_key(b.owner)))
    });
}

/// The gaps found in a chunk of communities, the group of each gap kept, and of each
/// sliver dropped.
type ChunkGaps = (Vec<Gap>, Vec<Option<usize>>, Vec<Option<usize>>);

/// The gaps of the communities `first..` whose coverages are `chunk`, lon/lat, and the
/// group of each sliver dropped.
fn gaps_of_chunk(
    study: &Study<'_>,
    work: &WorkCrs,
    first: usize,
    chunk: &[Coverage],
    units: &[UnitCoverage],
) -> Result<ChunkGaps> {
    let mut gaps = Vec::new();
    let mut kept = Vec::new();
    let mut slivers = Vec::new();
    for (j, cov) in chunk.iter().enumerate() {
        let k = first + j;
        let community = &study.communities[k];
        for g in &cov.gaps {
            let area_m2 = g.unsigned_area();
            if area_m2 < study.min_gap_area_m2 || area_m2 == 0.0 {
                slivers.push(study.group_of[k]);
                continue;
            }
            kept.push(study.group_of[k]);
            if !study.geometry_out {
                continue;
            }
            let population = if study.has_demand() {
                Some(demand_in_gap(study, k, g, units))
            } else {
                community
                    .population
                    .map(|p| p * area_m2 / study.places[k].area_m2)
            };
            let mut shape = g.clone();
            work.unproject(&mut shape).map_err(|problem| {
                feature_error(
                    study.community_path,
                    community.index,
                    &community.id,
                    problem,
                )
            })?;
            gaps.push(Gap {
                owner: Owner::Community(k),
                shape: GapShape::Area(shape),
                area_m2: Some(area_m2),
                population,
            });
        }
    }
    Ok((gaps, kept, slivers))
}

fn owner_key(o: Owner) -> (u8, usize) {
    match o {
        Owner::Community(k) => (0, k),
        Owner::Demand(i) => (1, i),
    }
}

/// The demand living in an uncovered part of community `k`: the weight of the uncovered
/// points inside it, and each polygon piece's weight times its share inside it.
fn demand_in_gap(study: &Study<'_>, k: usize, gap: &Polygon<f64>, units: &[UnitCoverage]) -> f64 {
    let mut people = 0.0;
    for &u in &study.units_of[k] {
        let unit = &study.placed.units[u];
        match &unit.at {
            DemandAt::Point(c) => {
                if units[u].share < 1.0 && gap.contains(&geo::Point::from(*c)) {
                    people += unit.weight;
                }
            }
            DemandAt::Area(piece) => {
                let Some(bbox) = gap.bounding_rect() else {
                    continue;
                };
                if !geo::Intersects::intersects(&bbox, &piece.bbox()) {
                    continue;
                }
                let o = piece.origin();
                let overlap = piece
                    .local()
                    .intersection(&MultiPolygon(vec![gap.translate(-o.x, -o.y)]))
                    .unsigned_area();
                people += unit.weight * overlap / piece.area_m2;
            }
        }
    }
    people
}

/// The dissolved service areas of a category, in lon/lat.
fn service_areas(
    work: &WorkCrs,
    spec: &CategorySpec,
    reach: &dyn CategoryReach,
) -> Result<Vec<ServiceAreaOut>> {
    let dissolved =
        catch_unwind(AssertUnwindSafe(|| reach.service_areas(spec.radius_m))).map_err(|panic| {
            Error::Setting {
                setting: format!("category \"{}\"", spec.name),
                message: format!(
                    "dissolving the service areas failed inside the geometry library: {}",
                    panic_message(&panic)
                ),
            }
        })?;
    // Back to lon/lat in parallel, area by area (a dissolved area can be large).
    let crs = work.crs();
    dissolved
        .into_par_iter()
        .map(|area| {
            let area_m2 = area.shape.unsigned_area();
            let mut shape = area.shape;
            WorkCrs::on_this_thread(crs, |work| work.unproject(&mut shape))?.map_err(
                |problem| Error::Crs {
                    crs: crs.to_string(),
                    message: format!("service area of category \"{}\": {problem}", spec.name),
                },
            )?;
            Ok(ServiceAreaOut {
                shape,
                area_m2,
                facilities: area.facilities,
            })
        })
        .collect()
}

/// Coverage against radius per slot, on population when known, else area. A demand point
/// is covered at every radius from its nearest distance on; an area's covered share is
/// clipped at each radius where it is partly reached.
#[allow(clippy::type_complexity)]
///
/// Returns per slot the sums the curve is made of ([`curve_shares`]): columns `0..n` the
/// weight covered at each radius, column `n` the whole.
fn curve(
    study: &Study<'_>,
    reach: &dyn CategoryReach,
    units: &[UnitCoverage],
) -> (Vec<Vec<f64>>, Option<Basis>) {
    let radii = &study.curve_radii_m;
    let slots = study.slots();
    if radii.is_empty() {
        return (vec![Vec::new(); slots], None);
    }
    let n = radii.len();
    let slot = |g: Option<usize>| g.map(|g| g + 1);
    // Sums: columns 0..n covered at each radius, column n the whole.
    let (sums, basis) = if study.has_demand() {
        let items: Vec<(usize, &DemandUnit)> = study.placed.units.iter().enumerate().collect();
        let sums = sum_in_chunks(&items, slots, n + 1, |&(u, unit), add| {
            let s = slot(study.unit_group(unit));
            let mut put = |k: usize, v: f64| {
                add(0, k, v);
                if let Some(s) = s {
                    add(s, k, v);
                }
            };
            put(n, unit.weight);
            match &unit.at {
                DemandAt::Point(_) => {
                    if let Some(d) = units[u].nearest_m {
                        for (k, &r) in radii.iter().enumerate() {
                            if d <= r {
                                put(k, unit.weight);
                            }
                        }
                    }
                }
                DemandAt::Area(place) => {
                    for (k, share) in reach.shares_at_radii(place, radii).into_iter().enumerate() {
                        put(k, unit.weight * share);
                    }
                }
            }
        });
        (sums, Basis::Population)
    } else {
        let by_population = study.facts.curve_by_population;
        let items: Vec<usize> = (0..study.places.len()).collect();
        let sums = sum_in_chunks(&items, slots, n + 1, |&k, add| {
            let s = slot(study.group_of[k]);
            let place = &study.places[k];
            let whole = if by_population {
                study.communities[k].population.unwrap_or(0.0)
            } else {
                place.area_m2
            };
            let mut put = |c: usize, v: f64| {
                add(0, c, v);
                if let Some(s) = s {
                    add(s, c, v);
                }
            };
            put(n, whole);
            if whole > 0.0 {
                for (c, share) in reach.shares_at_radii(place, radii).into_iter().enumerate() {
                    put(c, whole * share);
                }
            }
        });
        (
            sums,
            if by_population {
                Basis::Population
            } else {
                Basis::Area
            },
        )
    };
    (sums, Some(basis))
}

/// The curve `[radius, share]` from its sums (see [`curve`]); empty without radii.
fn curve_shares(radii: &[f64], sums: &[f64]) -> Vec<[f64; 2]> {
    let n = radii.len();
    let Some(&whole) = sums.get(n) else {
        return Vec::new();
    };
    radii
        .iter()
        .zip(sums)
        .map(|(&r, &covered)| {
            let c = if whole > 0.0 {
                (covered / whole).clamp(0.0, 1.0)
            } else {
                0.0
            };
            [r, c]
        })
        .collect()
}

/// One life-circle level at every community and demand feature.
fn measure_level(
    study: &Study<'_>,
    spec: &crate::input::config::LevelSpec,
    reaches: &[&dyn CategoryReach],
) -> Result<(LevelResult, Vec<LevelSummary>)> {
    let distance_model = reaches
        .first()
        .map_or(study.model.name(), |r| r.distance_model());
    let radius = spec.radius_m;
    let threshold = study.served_threshold;
    study.progress.begin(
        &format!("level {}", spec.name),
        (study.places.len() + study.placed.units.len()) as u64,
    );
    let communities: Vec<LevelAt> = study
        .places
        .par_iter()
        .zip(study.communities.par_iter())
        .map(|(place, c)| {
            guarded(study.community_path, c.index, &c.id, &spec.name, || {
                study.progress.advance(1);
                level_at_place(place, reaches, radius, threshold)
            })
        })
        .collect::<Result<_>>()?;
    let units: Vec<LevelAt> = study
        .placed
        .units
        .par_iter()
        .map(|unit| {
            let d = &study.demand[unit.feature];
            guarded(
                study.demand_path,
                d.index,
                &d.id,
                &spec.name,
                || match &unit.at {
                    DemandAt::Point(c) => {
                        study.progress.advance(1);
                        level_at_point(*c, reaches, radius)
                    }
                    DemandAt::Area(p) => {
                        study.progress.advance(1);
                        level_at_place(p, reaches, radius, threshold)
                    }
                },
            )
        })
        .collect::<Result<_>>()?;
    study.progress.end();
    // Per demand feature: a category is within reach if it is in any of its parts; the
    // complete share is over its parts' area.
    let demand: Vec<LevelAt> = (0..study.demand_at.len())
        .map(|i| {
            let parts = &study.units_of_feature[i];
            let mut within = vec![false; spec.categories.len()];
            let (mut area, mut complete) = (0.0, 0.0);
            for &u in parts {
                for (w, &x) in within.iter_mut().zip(&units[u].within) {
                    *w |= x;
                }
                let a = match &study.placed.units[u].at {
                    DemandAt::Area(p) => p.area_m2,
                    DemandAt::Point(_) => 1.0,
                };
                area += a;
                complete += a * units[u].complete_share;
            }
            LevelAt {
                within,
                complete_share: if area > 0.0 { complete / area } else { 0.0 },
            }
        })
        .collect();

    let slots = study.slots();
    let mut totals = vec![LevelTotals::default(); slots];
    let slot = |g: Option<usize>| g.map(|g| g + 1);
    let mut add = |s: Option<usize>, f: &mut dyn FnMut(&mut LevelTotals)| {
        f(&mut totals[0]);
        if let Some(s) = s {
            f(&mut totals[s]);
        }
    };
    // Places counted: communities, or demand features without communities.
    if study.has_communities() {
        for (k, at) in communities.iter().enumerate() {
            let place = &study.places[k];
            let population = study.communities[k].population;
            let by_even_spread = !study.has_demand();
            add(slot(study.group_of[k]), &mut |t| {
                t.count(at);
                *t.area_m2.get_or_insert(0.0) += place.area_m2;
                *t.area_complete_m2.get_or_insert(0.0) += place.area_m2 * at.complete_share;
                if by_even_spread {
                    if let Some(p) = population {
                        *t.population.get_or_insert(0.0) += p;
                        *t.population_complete.get_or_insert(0.0) += p * at.complete_share;
                    }
                }
            });
        }
    } else {
        for (i, at) in demand.iter().enumerate() {
            let area = match &study.demand_at[i] {
                DemandAt::Area(p) => Some(p.area_m2),
                DemandAt::Point(_) => None,
            };
            add(slot(study.group_of.get(i).copied().flatten()), &mut |t| {
                t.count(at);
                if let Some(a) = area {
                    *t.area_m2.get_or_insert(0.0) += a;
                    *t.area_complete_m2.get_or_insert(0.0) += a * at.complete_share;
                }
            });
        }
    }
    if study.has_demand() {
        for (u, unit) in study.placed.units.iter().enumerate() {
            let share = units[u].complete_share;
            add(slot(study.unit_group(unit)), &mut |t| {
                *t.population.get_or_insert(0.0) += unit.weight;
                *t.population_complete.get_or_insert(0.0) += unit.weight * share;
            });
        }
    }
    if study.has_communities() && !study.has_demand() && !study.facts.population_known {
        for t in &mut totals {
            t.population = None;
            t.population_complete = None;
        }
    }
    let places_are = if study.has_communities() {
        "communities"
    } else {
        "demand features"
    };
    let basis = study.population_basis.as_deref();
    let mut summaries = totals
        .iter()
        .map(|t| summarise_level(spec, distance_model, t, basis, places_are))
        .collect::<Vec<_>>()
        .into_iter();
    let summary = summaries.next().ok_or_else(|| Error::Setting {
        setting: format!("level \"{}\"", spec.name),
        message: "nothing was measured".into(),
    })?;
    Ok((
        LevelResult {
            summary,
            communities,
            demand,
            sums: totals,
        },
        summaries.collect(),
    ))
}

/// A category asked for that no facility has is measured (coverage 0) with a warning,
/// unless its name is a near miss of one the facilities have: then it is a typo, and an
/// error that suggests the right name.
fn check_categories(job: &Job, facilities: &Layer<Facility>) -> Result<Vec<Warning>> {
    let found: BTreeSet<&str> = facilities
        .features
        .iter()
        .filter_map(|f| f.category.as_deref())
        .collect();
    let ruled: BTreeSet<&str> = job
        .facilities
        .rules
        .iter()
        .map(|r| r.category.as_str())
        .collect();
    // Every category a figure asks for, with what asks for it.
    let mut wanted: Vec<(&str, Consequence)> = Vec::new();
    for spec in &job.categories {
        wanted.push((spec.name.as_str(), Consequence::CoverageZero));
    }
    for level in &job.levels {
        for c in &level.categories {
            wanted.push((
                c.as_str(),
                Consequence::NoCompleteCircle(level.name.clone()),
            ));
        }
    }
    for ind in &job.indicators {
        if let Numerator::Count(c) | Numerator::Sum { category: c, .. } = &ind.numerator {
            wanted.push((
                c.as_str(),
                Consequence::IndicatorCountsNone(ind.name.clone()),
            ));
        }
    }
    let mut warnings = Vec::new();
    let mut warned: BTreeSet<&str> = BTreeSet::new();
    for (name, consequence) in wanted {
        if found.contains(name) {
            continue;
        }
        let suggestion = closest(name, found.iter().copied());
        if let (Some(s), false) = (suggestion, ruled.contains(name)) {
            return Err(Error::UnknownCategory {
                path: facilities.path.clone(),
                name: name.to_string(),
                known: found.iter().map(|s| s.to_string()).collect(),
                suggestion: Some(s.to_string()),
            });
        }
        if !warned.insert(name) {
            continue;
        }
        warnings.push(Warning::NoFacility {
            category: name.to_string(),
            path: facilities.path.display().to_string(),
            no_rule_matched: ruled.contains(name),
            consequence,
            found: found.iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(warnings)
}

fn feature_error(path: &Path, index: usize, id: &str, problem: FeatureProblem) -> Error {
    Error::Feature {
        path: path.to_path_buf(),
        index,
        id: Some(id.to_string()),
        problem,
    }
}

fn to_lonlat_communities(layer: &mut Layer<Community>) -> Result<()> {
    let ll = LonLat::from(&layer.crs)?;
    for c in &mut layer.features {
        ll.check_not_degrees(c.boundary.coords_iter())
            .and_then(|()| c.boundary.try_map_coords_in_place(|p| ll.convert(p)))
            .map_err(|problem| feature_error(&layer.path, c.index, &c.id, problem))?;
    }
    Ok(())
}

fn to_lonlat_demand(layer: &mut Layer<Demand>) -> Result<()> {
    let ll = LonLat::from(&layer.crs)?;
    for d in &mut layer.features {
        let fail = |problem| feature_error(&layer.path, d.index, &d.id, problem);
        match &mut d.shape {
            DemandShape::Point(c) => {
                ll.check_not_degrees(std::iter::once(*c)).map_err(fail)?;
                *c = ll.convert(*c).map_err(fail)?;
            }
            DemandShape::Area(b) => {
                ll.check_not_degrees(b.coords_iter())
                    .and_then(|()| b.try_map_coords_in_place(|p| ll.convert(p)))
                    .map_err(fail)?;
            }
        }
    }
    Ok(())
}

fn to_lonlat_facilities(layer: &mut Layer<Facility>) -> Result<()> {
    let ll = LonLat::from(&layer.crs)?;
    for f in &mut layer.features {
        ll.check_not_degrees(f.sites.iter().copied())
            .map_err(|problem| feature_error(&layer.path, f.index, &f.id, problem))?;
        for s in &mut f.sites {
            *s = ll
                .convert(*s)
                .map_err(|problem| feature_error(&layer.path, f.index, &f.id, problem))?;
        }
    }
    Ok(())
}

/// The lon/lat extent of some coordinates: west, south, east, north.
fn extent(coords: impl Iterator<Item = Coord<f64>>) -> Option<[f64; 4]> {
    coords.fold(None, |e: Option<[f64; 4]>, c| {
        Some(match e {
            None => [c.x, c.y, c.x, c.y],
            Some([w, s, e, n]) => [w.min(c.x), s.min(c.y), e.max(c.x), n.max(c.y)],
        })
    })
}

/// Refuses layers that lie far apart: more than 50 km (or twenty radii) between their
/// extents is a CRS mistake, not data.
fn check_layers_overlap(
    a: (&Path, Option<[f64; 4]>),
    b: (&Path, Option<[f64; 4]>),
    longest_m: f64,
) -> Result<()> {
    let ((a_path, Some(c)), (b_path, Some(f))) = (a, b) else {
        return Ok(());
    };
    let lat = ((c[1] + c[3]) / 2.0).to_radians();
    let dx = (f[0] - c[2]).max(c[0] - f[2]).max(0.0) * 111.32 * lat.cos();
    let dy = (f[1] - c[3]).max(c[1] - f[3]).max(0.0) * 110.57;
    let km = dx.hypot(dy);
    if km > (50.0f64).max(20.0 * longest_m / 1000.0) {
        return Err(Error::LayersApart {
            communities: a_path.to_path_buf(),
            communities_extent: c,
            facilities: b_path.to_path_buf(),
            facilities_extent: f,
            km,
        });
    }
    Ok(())
}

/// Centre of the communities' bounding box, lon/lat.
fn study_area_centre(extent: Option<[f64; 4]>) -> Coord<f64> {
    extent
        .map(|[w, s, e, n]| Coord {
            x: (w + e) / 2.0,
            y: (s + n) / 2.0,
        })
        .unwrap_or(Coord { x: 0.0, y: 0.0 })
}

/// A community that the boundary checks repaired or left out.
#[derive(Debug, Clone, Serialize)]
pub struct BoundaryNote {
    /// Position in the input file.
    pub index: usize,
    /// Community id.
    pub id: String,
    /// What was wrong.
    pub problems: Vec<Defect>,
    /// Area of the rings as drawn, m2 (overlaps counted twice, bow-tie lobes cancelling).
    pub area_m2_as_drawn: f64,
    /// Area measured after repair, m2; `None` if left out.
    pub area_m2_used: Option<f64>,
}

/// Communities ready to measure, and what the checks did.
struct Checked {
    /// One per input community; `None` where it was left out.
    places: Vec<Option<Place>>,
    repaired: Vec<BoundaryNote>,
    skipped: Vec<BoundaryNote>,
}

/// A boundary to check: position in the file, id, the shape (lon/lat), defects found in
/// the text.
struct Boundary<'a> {
    index: usize,
    id: &'a str,
    shape: &'a MultiPolygon<f64>,
    defects: &'a [Defect],
}

/// Projects the boundaries and checks them; invalid ones are repaired, skipped or refused
/// as the layer's policy says, since clipping would otherwise miscount them. Projecting and
/// checking run in parallel, in chunks each with its own PROJ transform; the policy is then
/// applied in file order, so warnings and the first error do not depend on the threads.
fn project_boundaries<'a>(
    path: &Path,
    boundaries: impl Iterator<Item = Boundary<'a>>,
    policy: InvalidPolicy,
    work: &WorkCrs,
    warnings: &mut Vec<Warning>,
) -> Result<Checked> {
    let boundaries: Vec<Boundary<'a>> = boundaries.collect();
    let crs = work.crs();
    let size = chunk_size(boundaries.len());
    let chunks: Vec<Result<Vec<Result<Prepared>>>> = boundaries
        .par_chunks(size)
        .map(|chunk| {
            WorkCrs::on_this_thread(crs, |work| {
                chunk
                    .iter()
                    .map(|c| prepare_boundary(path, c, work))
                    .collect()
            })
        })
        .collect();
    let mut checked = Checked {
        places: Vec::with_capacity(boundaries.len()),
        repaired: Vec::new(),
        skipped: Vec::new(),
    };
    let mut prepared = Vec::with_capacity(boundaries.len());
    for chunk in chunks {
        prepared.extend(chunk?);
    }
    for (c, prepared) in boundaries.iter().zip(prepared) {
        let Prepared { drawn, guarded } = prepared?;
        let fail = |problem| feature_error(path, c.index, c.id, problem);
        let (place, problems, repairable) = guarded;
        let valid_as_drawn = problems.is_empty();
        let place = match (place, valid_as_drawn, repairable, policy) {
            (Some(p), true, _, _) => Some(p),
            (Some(p), false, true, InvalidPolicy::Repair) => Some(p),
            (_, false, _, InvalidPolicy::Skip) => None,
            (_, false, true, InvalidPolicy::Fail) => {
                return Err(fail(FeatureProblem::Invalid {
                    problems: crate::output::text::defects(
                        &problems,
                        crate::input::config::Lang::En,
                    ),
                    hint: "--on-invalid repair mends it, --on-invalid skip leaves it out",
                }))
            }
            _ => {
                return Err(fail(FeatureProblem::Invalid {
                    problems: crate::output::text::defects(
                        &problems,
                        crate::input::config::Lang::En,
                    ),
                    hint: "it cannot be repaired; --on-invalid skip leaves it out",
                }))
            }
        };
        let place = match place {
            Some(Some(p)) => Some(p),
            Some(None) => return Err(fail(FeatureProblem::ZeroArea)),
            None => None,
        };
        if !problems.is_empty() {
            let note = BoundaryNote {
                index: c.index,
                id: c.id.to_string(),
                problems,
                area_m2_as_drawn: (drawn * 100.0).round() / 100.0,
                area_m2_used: place.as_ref().map(|p| (p.area_m2 * 100.0).round() / 100.0),
            };
            warnings.push(Warning::Boundary {
                path: path.display().to_string(),
                index: c.index,
                id: c.id.to_string(),
                problems: note.problems.clone(),
                used_m2: note.area_m2_used,
                drawn_m2: drawn,
            });
            if place.is_some() {
                checked.repaired.push(note);
            } else {
                checked.skipped.push(note);
            }
        }
        checked.places.push(place);
    }
    Ok(checked)
}

/// A boundary projected and checked: its area as drawn, and the place (`None` if the
/// boundary has no area left), the problems found and whether it could be repaired.
struct Prepared {
    drawn: f64,
    guarded: (Option<Option<Place>>, Vec<Defect>, bool),
}

fn prepare_boundary(path: &Path, c: &Boundary<'_>, work: &WorkCrs) -> Result<Prepared> {
    let mut boundary = c.shape.clone();
    work.project(&mut boundary)
        .map_err(|problem| feature_error(path, c.index, c.id, problem))?;
    let drawn = boundary.unsigned_area();
    // Checked and prepared near a local origin, away from large projected values, and
    // with any panic in the geometry library turned into an error naming the feature.
    let origin = boundary
        .bounding_rect()
        .map(|r| r.min())
        .unwrap_or_default();
    let local = boundary.translate(-origin.x, -origin.y);
    let guarded = catch_unwind(AssertUnwindSafe(|| {
        let check = check_boundary(&local, c.defects.to_vec());
        let place = |b: &MultiPolygon<f64>| Place::new(b.translate(origin.x, origin.y));
        match check {
            Check::Valid => (Some(place(&local)), Vec::new(), true),
            Check::Repaired { boundary, problems } => (Some(place(&boundary)), problems, true),
            Check::Unusable { problems } => (None, problems, false),
        }
    }))
    .map_err(|panic| Error::Geometry {
        path: path.to_path_buf(),
        index: c.index,
        id: c.id.to_string(),
        message: format!(
            "checking the boundary failed inside the geometry library: {}",
            panic_message(&panic)
        ),
    })?;
    Ok(Prepared { drawn, guarded })
}

/// Items per parallel chunk of work that projects: several chunks per thread, so the threads
/// stay busy to the end, and a bounded number of results in flight.
fn chunk_size(items: usize) -> usize {
    (items / (8 * rayon::current_num_threads()).max(1)).clamp(256, 16384)
}

fn project_facilities(layer: &Layer<Facility>, work: &WorkCrs) -> Result<Vec<Vec<Coord<f64>>>> {
    let crs = work.crs();
    let chunks: Vec<Result<Vec<Vec<Coord<f64>>>>> = layer
        .features
        .par_chunks(chunk_size(layer.features.len()))
        .map(|chunk| {
            WorkCrs::on_this_thread(crs, |work| {
                chunk
                    .iter()
                    .map(|f| {
                        let mut sites = geo::MultiPoint::from(f.sites.clone());
                        work.project(&mut sites).map_err(|problem| {
                            feature_error(&layer.path, f.index, &f.id, problem)
                        })?;
                        Ok(sites.0.into_iter().map(|p| p.0).collect())
                    })
                    .collect()
            })?
        })
        .collect();
    let mut out = Vec::with_capacity(layer.features.len());
    for chunk in chunks {
        out.extend(chunk?);
    }
    Ok(out)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
