//! The job end to end: load, validate, project, index, measure, summarise.
//!
//! [`analyse`] returns plain data ([`Analysis`]); [`crate::write`] turns it into files.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use geo::{
    Area, BoundingRect, Coord, CoordsIter, MapCoordsInPlace, MultiPolygon, Polygon, Rect, Translate,
};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{closest, CategorySpec, Job};
use crate::crs::{Crs, LonLat, WorkCrs};
use crate::error::{Error, FeatureProblem, Result};
use crate::index::{CommunityIndex, FacilityIndex};
use crate::load::{load_communities, load_facilities, Community, Facility, Layer};
use crate::measure::{
    dissolve_service_areas, measure_place, Coverage, DistanceModel, Place, StraightLine,
};
use crate::summary::{
    round6, summarise, CategorySummary, CommunityFigures, FacilityCounts, GapCounts,
};
use crate::validate::{check_boundary, Check, InvalidPolicy};

/// Everything a run found, ready to write.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The working CRS distances and areas were measured in.
    pub work_crs: Crs,
    /// How reach was modelled.
    pub distance_model: String,
    /// What was read.
    pub inputs: Inputs,
    /// The communities, boundaries in WGS 84 lon/lat, in input order.
    pub communities: Vec<Community>,
    /// One result per category, in the order configured.
    pub categories: Vec<CategoryResult>,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<String>,
}

/// What was read, for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    /// The community layer.
    pub communities: CommunityInputs,
    /// The facility layer.
    pub facilities: FacilityInputs,
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
    /// Facilities outside every community (they still serve the communities near them).
    pub outside_communities: usize,
}

/// One category's result.
#[derive(Debug, Clone)]
pub struct CategoryResult {
    /// The figures and verdict.
    pub summary: CategorySummary,
    /// Per community, in input order.
    pub communities: Vec<CommunityCoverage>,
    /// Uncovered parts of communities, largest first; slivers dropped.
    pub gaps: Vec<Gap>,
    /// Dissolved service areas, WGS 84 lon/lat.
    pub service_areas: Vec<ServiceAreaOut>,
}

/// One category at one community.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityCoverage {
    /// Covered share of the area, 0..1.
    pub share: f64,
    /// Distance from the community's centre to the nearest facility, m.
    pub nearest_m: Option<f64>,
    /// Facilities within the radius of the centre.
    pub count: usize,
    /// Whether the community is served (share at or above the threshold).
    pub meets: bool,
}

/// An uncovered part of a community.
#[derive(Debug, Clone)]
pub struct Gap {
    /// Position of the community in [`Analysis::communities`].
    pub community: usize,
    /// The shape, WGS 84 lon/lat.
    pub shape: Polygon<f64>,
    /// Area, m2.
    pub area_m2: f64,
    /// Residents living there, assuming people spread evenly over the community.
    pub population: Option<f64>,
}

/// A dissolved service area.
#[derive(Debug, Clone)]
pub struct ServiceAreaOut {
    /// The shape, WGS 84 lon/lat.
    pub shape: MultiPolygon<f64>,
    /// Area, m2.
    pub area_m2: f64,
    /// Facilities whose circles form it.
    pub facilities: usize,
}

/// Runs the analysis a job describes.
pub fn analyse(job: &Job) -> Result<Analysis> {
    analyse_with(job, &StraightLine::default())
}

/// Runs the analysis with a given distance model.
pub fn analyse_with(job: &Job, model: &dyn DistanceModel) -> Result<Analysis> {
    // Load and validate.
    let mut communities = load_communities(&job.communities)?;
    let mut facilities = load_facilities(&job.facilities)?;
    let warnings = check_categories(job, &facilities)?;

    // Project: every layer to WGS 84 lon/lat, then to the metric working CRS.
    to_lonlat_communities(&mut communities)?;
    to_lonlat_facilities(&mut facilities)?;
    check_layers_overlap(&communities, &facilities, job)?;
    let centre = study_area_centre(&communities.features);
    let work = WorkCrs::choose(job.work_crs.as_ref(), centre)?;
    let mut warnings = warnings;
    let checked = project_communities(
        &communities,
        job.communities.on_invalid,
        &work,
        &mut warnings,
    )?;
    let read = communities.features.len();
    let (kept, places): (Vec<Community>, Vec<Place>) = communities
        .features
        .drain(..)
        .zip(checked.places)
        .filter_map(|(c, p)| p.map(|p| (c, p)))
        .unzip();
    communities.features = kept;
    if communities.features.is_empty() {
        return Err(Error::NotGeoJson {
            path: communities.path.clone(),
            message: "every community was left out as invalid: there is nothing to measure".into(),
        });
    }
    let sites = project_facilities(&facilities, &work)?;

    // Which facilities lie outside the study area.
    let study_area = CommunityIndex::new(places.iter().map(|p| &p.boundary));
    let outside: Vec<bool> = sites
        .iter()
        .map(|s| !s.iter().any(|&c| study_area.covers(c)))
        .collect();

    let mut categories = Vec::with_capacity(job.categories.len());
    for spec in &job.categories {
        categories.push(measure_category(
            spec,
            model,
            &communities,
            &places,
            &facilities.features,
            &sites,
            &outside,
            &work,
            job.min_gap_area_m2,
        )?);
    }

    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    for f in &facilities.features {
        if let Some(c) = &f.category {
            *by_category.entry(c.clone()).or_default() += 1;
        }
    }
    let all = |f: fn(&Community) -> Option<f64>| -> Option<f64> {
        communities.features.iter().map(f).sum::<Option<f64>>()
    };
    let inputs = Inputs {
        communities: CommunityInputs {
            path: communities.path.display().to_string(),
            crs: communities.crs.to_string(),
            crs_source: communities.crs_source.as_str(),
            features: read,
            repaired: checked.repaired,
            skipped: checked.skipped,
            population: all(|c| c.population),
            households: all(|c| c.households),
            area_m2: places.iter().map(|p| p.area_m2).sum(),
        },
        facilities: FacilityInputs {
            path: facilities.path.display().to_string(),
            crs: facilities.crs.to_string(),
            crs_source: facilities.crs_source.as_str(),
            features: facilities.features.len(),
            by_category,
            without_category: facilities
                .features
                .iter()
                .filter(|f| f.category.is_none())
                .count(),
            outside_communities: outside.iter().filter(|&&o| o).count(),
        },
    };
    Ok(Analysis {
        work_crs: work.crs().clone(),
        distance_model: model.name().to_string(),
        inputs,
        communities: communities.features,
        categories,
        warnings,
    })
}

/// A category asked for that no facility has is measured (coverage 0) with a warning,
/// unless its name is a near miss of one the facilities have: then it is a typo, and an
/// error that suggests the right name.
fn check_categories(job: &Job, facilities: &Layer<Facility>) -> Result<Vec<String>> {
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
    let mut warnings = Vec::new();
    for spec in &job.categories {
        let name = spec.name.as_str();
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
        warnings.push(format!(
            "category \"{name}\": no facility in {} has it{}; its coverage is 0 (categories \
             found: {})",
            facilities.path.display(),
            if ruled.contains(name) {
                " (no rule for it matched)"
            } else {
                ""
            },
            if found.is_empty() {
                "none".to_string()
            } else {
                found.iter().copied().collect::<Vec<_>>().join(", ")
            }
        ));
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

/// Refuses layers that lie far apart: facilities more than 50 km (or twenty radii) from
/// the communities' extent are a CRS mistake, not data.
fn check_layers_overlap(
    communities: &Layer<Community>,
    facilities: &Layer<Facility>,
    job: &Job,
) -> Result<()> {
    let extent = |coords: &mut dyn Iterator<Item = Coord<f64>>| -> Option<[f64; 4]> {
        coords.fold(None, |e: Option<[f64; 4]>, c| {
            Some(match e {
                None => [c.x, c.y, c.x, c.y],
                Some([w, s, e, n]) => [w.min(c.x), s.min(c.y), e.max(c.x), n.max(c.y)],
            })
        })
    };
    let c = extent(
        &mut communities
            .features
            .iter()
            .flat_map(|c| c.boundary.coords_iter()),
    );
    let f = extent(
        &mut facilities
            .features
            .iter()
            .flat_map(|f| f.sites.iter().copied()),
    );
    let (Some(c), Some(f)) = (c, f) else {
        return Ok(());
    };
    let lat = ((c[1] + c[3]) / 2.0).to_radians();
    let dx = (f[0] - c[2]).max(c[0] - f[2]).max(0.0) * 111.32 * lat.cos();
    let dy = (f[1] - c[3]).max(c[1] - f[3]).max(0.0) * 110.57;
    let km = dx.hypot(dy);
    let longest = job
        .categories
        .iter()
        .map(|s| s.radius_m)
        .fold(0.0, f64::max);
    if km > (50.0f64).max(20.0 * longest / 1000.0) {
        return Err(Error::LayersApart {
            communities: communities.path.clone(),
            communities_extent: c,
            facilities: facilities.path.clone(),
            facilities_extent: f,
            km,
        });
    }
    Ok(())
}

/// Centre of the communities' bounding box, lon/lat.
fn study_area_centre(communities: &[Community]) -> Coord<f64> {
    let rect = communities
        .iter()
        .filter_map(|c| c.boundary.bounding_rect())
        .reduce(|a, b| {
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
        });
    rect.map(|r| r.center()).unwrap_or(Coord { x: 0.0, y: 0.0 })
}

/// A community that the boundary checks repaired or left out.
#[derive(Debug, Clone, Serialize)]
pub struct BoundaryNote {
    /// Position in the input file.
    pub index: usize,
    /// Community id.
    pub id: String,
    /// What was wrong.
    pub problems: Vec<String>,
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

/// Projects the boundaries and checks them; invalid ones are repaired, skipped or refused
/// as the layer's policy says, since clipping would otherwise miscount them.
fn project_communities(
    layer: &Layer<Community>,
    policy: InvalidPolicy,
    work: &WorkCrs,
    warnings: &mut Vec<String>,
) -> Result<Checked> {
    let mut checked = Checked {
        places: Vec::with_capacity(layer.features.len()),
        repaired: Vec::new(),
        skipped: Vec::new(),
    };
    for c in &layer.features {
        let fail = |problem| feature_error(&layer.path, c.index, &c.id, problem);
        let mut boundary = c.boundary.clone();
        work.project(&mut boundary).map_err(fail)?;
        let drawn = boundary.unsigned_area();
        // Checked and prepared near a local origin, away from large projected values, and
        // with any panic in the geometry library turned into an error naming the feature.
        let origin = boundary
            .bounding_rect()
            .map(|r| r.min())
            .unwrap_or_default();
        let local = boundary.translate(-origin.x, -origin.y);
        let guarded = catch_unwind(AssertUnwindSafe(|| {
            let check = check_boundary(&local, c.defects.clone());
            let place = |b: &MultiPolygon<f64>| Place::new(b.translate(origin.x, origin.y));
            match check {
                Check::Valid => (Some(place(&local)), Vec::new(), true),
                Check::Repaired { boundary, problems } => (Some(place(&boundary)), problems, true),
                Check::Unusable { problems } => (None, problems, false),
            }
        }))
        .map_err(|panic| Error::Geometry {
            path: layer.path.clone(),
            index: c.index,
            id: c.id.clone(),
            message: format!(
                "checking the boundary failed inside the geometry library: {}",
                panic_message(&panic)
            ),
        })?;
        let (place, problems, repairable) = guarded;
        let valid_as_drawn = problems.is_empty();
        let place = match (place, valid_as_drawn, repairable, policy) {
            (Some(p), true, _, _) => Some(p),
            (Some(p), false, true, InvalidPolicy::Repair) => Some(p),
            (_, false, _, InvalidPolicy::Skip) => None,
            (_, false, true, InvalidPolicy::Fail) => {
                return Err(fail(FeatureProblem::Invalid {
                    problems: problems.join("; "),
                    hint: "--on-invalid repair mends it, --on-invalid skip leaves it out",
                }))
            }
            _ => {
                return Err(fail(FeatureProblem::Invalid {
                    problems: problems.join("; "),
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
                id: c.id.clone(),
                problems,
                area_m2_as_drawn: (drawn * 100.0).round() / 100.0,
                area_m2_used: place.as_ref().map(|p| (p.area_m2 * 100.0).round() / 100.0),
            };
            warnings.push(format!(
                "{}: feature {} (id \"{}\"): {}; {}",
                layer.path.display(),
                c.index,
                c.id,
                note.problems.join("; "),
                match note.area_m2_used {
                    Some(used) => format!(
                        "repaired: {used:.0} m2 measured (the rings as drawn give {drawn:.0} m2)"
                    ),
                    None => "left out of the analysis (--on-invalid skip)".to_string(),
                }
            ));
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

fn project_facilities(layer: &Layer<Facility>, work: &WorkCrs) -> Result<Vec<Vec<Coord<f64>>>> {
    layer
        .features
        .iter()
        .map(|f| {
            let mut sites = geo::MultiPoint::from(f.sites.clone());
            work.project(&mut sites)
                .map_err(|problem| feature_error(&layer.path, f.index, &f.id, problem))?;
            Ok(sites.0.into_iter().map(|p| p.0).collect())
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn measure_category(
    spec: &CategorySpec,
    model: &dyn DistanceModel,
    communities: &Layer<Community>,
    places: &[Place],
    facilities: &[Facility],
    sites: &[Vec<Coord<f64>>],
    outside: &[bool],
    work: &WorkCrs,
    min_gap_area_m2: f64,
) -> Result<CategoryResult> {
    // Index this category's facility sites.
    let members: Vec<usize> = facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category.as_deref() == Some(spec.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    let index = FacilityIndex::new(
        members
            .iter()
            .enumerate()
            .flat_map(|(k, &i)| sites[i].iter().map(move |&c| (c, k))),
    );

    // Measure every community, in parallel, each on its own.
    let coverages: Vec<Coverage> = places
        .par_iter()
        .zip(communities.features.par_iter())
        .map(|(place, community)| {
            catch_unwind(AssertUnwindSafe(|| {
                measure_place(place, &index, model, spec.radius_m)
            }))
            .map_err(|panic| Error::Geometry {
                path: communities.path.clone(),
                index: community.index,
                id: community.id.clone(),
                message: format!(
                    "measuring category \"{}\" failed inside the geometry library: {}",
                    spec.name,
                    panic_message(&panic)
                ),
            })
        })
        .collect::<Result<_>>()?;

    // Gaps: drop slivers, bring the rest to lon/lat, largest first.
    let mut gaps = Vec::new();
    let mut dropped = 0;
    for (k, (cov, community)) in coverages.iter().zip(&communities.features).enumerate() {
        for g in &cov.gaps {
            let area_m2 = g.unsigned_area();
            if area_m2 < min_gap_area_m2 || area_m2 == 0.0 {
                dropped += 1;
                continue;
            }
            let mut shape = g.clone();
            work.unproject(&mut shape).map_err(|problem| {
                feature_error(&communities.path, community.index, &community.id, problem)
            })?;
            gaps.push(Gap {
                community: k,
                shape,
                area_m2,
                population: community
                    .population
                    .map(|p| p * area_m2 / places[k].area_m2),
            });
        }
    }
    gaps.sort_by(|a, b| {
        b.area_m2
            .total_cmp(&a.area_m2)
            .then(a.community.cmp(&b.community))
    });

    // Dissolved service areas, for the circles layer.
    let mut service_areas = Vec::new();
    let dissolved = catch_unwind(AssertUnwindSafe(|| {
        dissolve_service_areas(&index, model, spec.radius_m)
    }))
    .map_err(|panic| Error::Setting {
        setting: format!("category \"{}\"", spec.name),
        message: format!(
            "dissolving the service areas failed inside the geometry library: {}",
            panic_message(&panic)
        ),
    })?;
    for area in dissolved {
        let area_m2 = area.shape.unsigned_area();
        let mut shape = area.shape;
        work.unproject(&mut shape).map_err(|problem| Error::Crs {
            crs: work.crs().to_string(),
            message: format!("service area of category \"{}\": {problem}", spec.name),
        })?;
        service_areas.push(ServiceAreaOut {
            shape,
            area_m2,
            facilities: area.facilities,
        });
    }

    // Served is judged on the share as reported (6 decimals): clipping snaps to a grid, so a
    // fully covered community can measure 0.9999996.
    let per_community: Vec<CommunityCoverage> = coverages
        .iter()
        .map(|c| CommunityCoverage {
            share: c.share,
            nearest_m: c.nearest_m,
            count: c.count,
            meets: round6(c.share) >= spec.served_threshold,
        })
        .collect();
    let figures: Vec<CommunityFigures> = coverages
        .iter()
        .zip(&per_community)
        .zip(places)
        .zip(&communities.features)
        .map(|(((cov, result), place), community)| CommunityFigures {
            area_m2: place.area_m2,
            covered_m2: cov.covered_m2,
            population: community.population,
            served: result.meets,
        })
        .collect();
    let summary = summarise(
        spec,
        model.name(),
        &figures,
        GapCounts {
            kept: gaps.len(),
            dropped,
        },
        FacilityCounts {
            total: members.len(),
            outside: members.iter().filter(|&&i| outside[i]).count(),
        },
    )?;
    Ok(CategoryResult {
        summary,
        communities: per_community,
        gaps,
        service_areas,
    })
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
