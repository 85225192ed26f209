//! One category measured at every community and demand unit: shares, nearest distances,
//! counts, the sums per group, and the dissolved service areas.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use geo::{Area, Polygon};
use rayon::prelude::*;

use crate::analysis::curve::{curve, curve_shares};
use crate::analysis::demand::DemandAt;
use crate::analysis::gaps::category_gaps;
use crate::analysis::measure::{measure_place, Coverage};
use crate::analysis::results::{
    CategoryResult, CategorySums, CommunityCoverage, CommunityInputs, DemandCoverage, DemandInputs,
    ServiceAreaOut,
};
use crate::analysis::study::Study;
use crate::analysis::summary::{
    overall_and_groups, round6, summarise, CategoryFigures, CategorySummary, FacilityCounts,
    GapCounts, Totals,
};
use crate::error::{Error, FeatureProblem, Result};
use crate::input::config::{CategorySpec, DemandKind, Job};
use crate::input::crs::WorkCrs;
use crate::input::load::{Community, Facility, Layer};
use crate::parallel::{guarded, panic_message};
use crate::reach::choice::CategoryIndex;
use crate::reach::CategoryReach;
use crate::warning::Warning;

/// The community each facility belongs to, for indicators and group counts: the one its
/// community field names, else the one it lies in (`located`, one per facility).
///
/// In a tile (`tiled`), a community the field names may be another tile's: it was checked
/// against every community before the study was split.
pub(crate) fn assign_facilities(
    job: &Job,
    facilities: &Layer<Facility>,
    located: Vec<Option<usize>>,
    communities: &[Community],
    tiled: bool,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Option<usize>>> {
    if communities.is_empty() {
        return Ok(vec![None; facilities.features.len()]);
    }
    let by_id: BTreeMap<&str, usize> = communities
        .iter()
        .enumerate()
        .map(|(k, c)| (c.id.as_str(), k))
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
pub(crate) fn population_basis(
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
pub(crate) fn sum_in_chunks<T: Sync>(
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
pub(crate) struct UnitCoverage {
    pub(crate) share: f64,
    pub(crate) nearest_m: Option<f64>,
    pub(crate) gaps: Vec<Polygon<f64>>,
    pub(crate) covered_m2: f64,
}

pub(crate) fn measure_category(
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

    let demand = demand_coverage(study, reach, &units);

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

    let slots = study.slots();
    let facility_counts = facility_counts(study, category);
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
    let (summary, by_group) =
        overall_and_groups(summaries, &format!("category \"{}\"", spec.name))?;
    Ok((
        CategoryResult {
            summary,
            communities: per_community,
            demand,
            gaps: gaps.0,
            service_areas,
            sums,
        },
        by_group,
    ))
}

/// Per demand feature: nearest from its point or centre, covered share of its weight.
fn demand_coverage(
    study: &Study<'_>,
    reach: &dyn CategoryReach,
    units: &[UnitCoverage],
) -> Vec<DemandCoverage> {
    study
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
        .collect()
}

/// Facilities per slot: overall the category's; per group those in its communities.
fn facility_counts(study: &Study<'_>, category: &CategoryIndex<'_>) -> Vec<FacilityCounts> {
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
    facility_counts
}

/// A category's summary from its sums, with the circles' coverage beside a network's.
pub(crate) fn summarise_sums(
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
pub(crate) fn circle_totals(
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
pub(crate) fn measure_units(
    study: &Study<'_>,
    spec: &CategorySpec,
    reach: &dyn CategoryReach,
) -> Result<(Vec<Coverage>, Vec<UnitCoverage>)> {
    let radius = spec.radius_m;
    let progress = study.progress;
    reach.prepare(&study.places, radius);

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
pub(crate) fn per_community(
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
pub(crate) fn slot_totals(
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

/// The dissolved service areas of a category, in lon/lat.
pub(crate) fn service_areas(
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
