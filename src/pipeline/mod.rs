//! The job end to end: load, validate, project, index, measure, summarise.
//!
//! [`analyse`] returns plain data ([`Analysis`]); [`crate::output::write`] turns it into files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use geo::{Coord, CoordsIter, LineString, Rect};
use rayon::prelude::*;

use crate::analysis::category::{
    assign_facilities, measure_category, measure_units, per_community, population_basis,
    slot_totals, summarise_sums,
};
use crate::analysis::demand::{place_demand, DemandAt, Placed};
use crate::analysis::indicator::{
    indicator_values, summarise_indicator, IndicatorAt, IndicatorSummary, Sources,
};
use crate::analysis::level::measure_level;
use crate::analysis::level::{summarise_level, LevelAt, LevelSummary, LevelTotals};
pub use crate::analysis::prepare::BoundaryNote;
use crate::analysis::prepare::{
    check_categories, check_layers_overlap, extent, prepare_demand, project_boundaries,
    project_facilities, study_area_centre, to_lonlat_communities, to_lonlat_demand,
    to_lonlat_facilities, Boundary,
};
pub use crate::analysis::results::{
    Analysis, CategoryResult, CategorySums, CommunityCoverage, CommunityInputs, DemandCoverage,
    DemandInputs, FacilityInputs, Gap, GapShape, GroupResult, IndicatorResult, Inputs, LevelResult,
    Owner, ServiceAreaOut, TileFacts,
};
use crate::analysis::siting::SitingResult;
use crate::analysis::study::{Study, StudyFacts};
use crate::analysis::summary::{CategorySummary, FacilityCounts, Totals};
use crate::error::{Error, Result};
use crate::input::config::{CategorySpec, DemandKind, Job, ReachKind};
use crate::input::crs::{Crs, WorkCrs};
use crate::input::load::{
    load_communities, load_demand, load_facilities, Community, Demand, DemandShape, Facility, Layer,
};
use crate::progress::{Progress, Silent};
use crate::reach::choice::{index_category, reach_over, CategoryIndex, ReachChoice};
use crate::reach::circles::{cells_bound_m, DistanceModel, StraightLine};
use crate::reach::index::CommunityIndex;
use crate::reach::network::{
    extent_of as network_extent, load_network, NetworkInputs, Streets, STREET_NETWORK,
};
use crate::reach::{CategoryReach, Place};
use crate::warning::{Defect, Warning};

pub mod part;
mod site;
mod tiled;

use crate::analysis::tiles::TilePlan;

/// Runs the analysis a job describes.
pub fn analyse(job: &Job) -> Result<Analysis> {
    analyse_with(job, &StraightLine::default())
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
    let longest = loaded.longest;
    let work = scope.work;
    let network = match &job.network {
        Some(layer) => Some(load_network(layer, &work)?),
        None => None,
    };
    let (study, mut rest) =
        prepare_study(job, model, progress, loaded, &work, scope.piece.is_some())?;
    progress.end();

    // Index.
    progress.begin("index", 0);
    let (streets, mut network_inputs) = match network {
        Some((streets, inputs)) => (Some(streets), Some(inputs)),
        None => (None, None),
    };
    if let (Some(streets), Some(inputs), Some(layer)) =
        (&streets, network_inputs.as_mut(), &job.network)
    {
        if scope.piece.is_none() {
            check_network_overlap(&layer.path, streets, &study, longest)?;
        }
        let owns = |c: Option<Coord<f64>>| match scope.piece {
            None => true,
            Some((plan, p)) => c.is_some_and(|c| plan.owner(c) == p),
        };
        note_unreachable(job, streets, &study, &owns, inputs, &mut rest.warnings);
    }
    let choice = ReachChoice {
        model,
        streets: streets.as_ref(),
        count_bound_m: longest,
        cells_bound_m: cells_bound_m(longest, &job.curve_radii_m),
    };
    let indexes = index_categories(job, &study, &choice);
    progress.end();

    let mut measured = measure_all(job, &study, &work, &indexes)?;
    let siting = site_all(
        job,
        &study,
        &work,
        &choice,
        &indexes,
        &measured,
        &mut rest.warnings,
    )?;
    let groups = measured.group_results(&study.groups);
    let inputs = Inputs {
        communities: rest.community_inputs,
        facilities: facility_inputs(&rest.facility_layer, &study.facilities, &study.outside),
        demand: rest.demand_inputs,
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
        group_field: rest.group_field,
        group_label: rest.group_label,
        warnings: rest.warnings,
        siting,
    })
}

/// What preparing a study gives besides the study: the layers summed up for the summary,
/// the groups' field and label, and the warnings so far.
struct Extras {
    community_inputs: Option<CommunityInputs>,
    demand_inputs: Option<DemandInputs>,
    /// The facility layer's header (path, CRS, note).
    facility_layer: Layer<Facility>,
    group_field: Option<String>,
    group_label: Option<String>,
    warnings: Vec<Warning>,
}

/// Checks and projects the loaded layers, places the demand, locates the facilities and
/// groups the places: the study, ready to index and measure.
fn prepare_study<'a>(
    job: &'a Job,
    model: &'a dyn DistanceModel,
    progress: &'a dyn Progress,
    loaded: Loaded,
    work: &WorkCrs,
    tiled: bool,
) -> Result<(Study<'a>, Extras)> {
    let Loaded {
        communities,
        demand,
        facilities,
        mut warnings,
        facts,
        ..
    } = loaded;
    let communities = prepare_communities(job, communities, work, tiled, &mut warnings)?;
    let demand = prepare_demand_layer(job, demand, work, tiled, &mut warnings)?;
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
    let sites = project_facilities(&facilities, work)?;
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
    let (units_of, units_of_feature) =
        units_by_place(&placed, communities.places.len(), demand.at.len());
    // Measured whole, the facts are those of the features kept; a tile takes the study's.
    let facts = if tiled {
        facts
    } else {
        StudyFacts::of_kept(&communities.features, !demand.at.is_empty())
    };
    let rest = Extras {
        community_inputs: communities.inputs,
        demand_inputs,
        facility_layer: layer_header(&facilities),
        group_field: grouping.field,
        group_label: grouping.label,
        warnings,
    };
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
    Ok((study, rest))
}

/// The demand units of each community, and of each demand feature (positions in
/// `placed.units`).
fn units_by_place(
    placed: &Placed,
    communities: usize,
    features: usize,
) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut units_of = vec![Vec::new(); communities];
    let mut units_of_feature = vec![Vec::new(); features];
    for (u, unit) in placed.units.iter().enumerate() {
        if let Some(k) = unit.community {
            units_of[k].push(u);
        }
        units_of_feature[unit.feature].push(u);
    }
    (units_of, units_of_feature)
}

/// Sites each category the job asks to site, in order, noting candidates outside the study
/// and targets out of reach.
fn site_all(
    job: &Job,
    study: &Study<'_>,
    work: &WorkCrs,
    choice: &ReachChoice<'_>,
    indexes: &BTreeMap<&str, CategoryIndex<'_>>,
    measured: &Measured,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<SitingResult>> {
    let mut siting = Vec::with_capacity(job.siting.len());
    for spec in &job.siting {
        study.progress.begin(&format!("site {}", spec.category), 0);
        let index = &indexes[spec.category.as_str()];
        let result = site::site(study, work, choice, job, spec, &measured.categories, index)?;
        study.progress.end();
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
    Ok(siting)
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
    let study_places: Vec<&Place> = if places.is_empty() {
        demand_at
            .iter()
            .filter_map(|a| match a {
                DemandAt::Area(p) => Some(p),
                DemandAt::Point(_) => None,
            })
            .collect()
    } else {
        places.iter().collect()
    };
    // The first place holding one of the facility's sites (a community, or without
    // communities a demand polygon): outside the study area when none does.
    let study_area = CommunityIndex::new(study_places.iter().map(|p| (&p.boundary, p.edges())));
    let located: Vec<Option<usize>> = sites
        .par_iter()
        .map(|s| s.iter().find_map(|&c| study_area.locate(c)))
        .collect();
    let outside: Vec<bool> = located
        .iter()
        .map(|at| !study_places.is_empty() && at.is_none())
        .collect();
    let located = if places.is_empty() {
        vec![None; located.len()]
    } else {
        located
    };
    let facility_community = assign_facilities(
        job,
        facilities,
        located,
        &communities.features,
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
