//! Life-circle completeness: does a place reach every category its life circle must hold?
//!
//! GB 50180-2018 sets 5-, 10- and 15-minute life circles, each with the facilities it must
//! provide. A level here is a radius and a list of categories. A community (or demand
//! feature) has a category *within reach* when it is served at the level's radius (its
//! covered share at or above the served threshold; a demand point: its nearest facility is
//! within the radius). Residents live *in a complete circle* where every category reaches:
//! the intersection of the categories' service areas.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::demand::DemandAt;
use crate::analysis::measure::{common_reach, covered_share, reach_into};
use crate::analysis::results::LevelResult;
use crate::analysis::study::Study;
use crate::analysis::summary::{overall_and_groups, round6};
use crate::error::Result;
use crate::input::config::{Basis, LevelSpec};
use crate::parallel::guarded;
use crate::reach::{CategoryReach, Place};

/// A level at one community or demand feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelAt {
    /// Per required category (in the level's order), whether it is within reach.
    pub within: Vec<bool>,
    /// Share of the place where every category reaches (a point: 0 or 1).
    pub complete_share: f64,
}

impl LevelAt {
    /// Categories within reach (k of n).
    pub fn score(&self) -> usize {
        self.within.iter().filter(|&&w| w).count()
    }

    /// Whether every category is within reach.
    pub fn complete(&self) -> bool {
        self.within.iter().all(|&w| w)
    }

    /// The required categories (`LevelSpec::categories`) not within reach.
    pub fn missing<'a>(&self, categories: &'a [String]) -> Vec<&'a str> {
        categories
            .iter()
            .zip(&self.within)
            .filter(|(_, &w)| !w)
            .map(|(c, _)| c.as_str())
            .collect()
    }
}

/// A level at an area: each category's service areas are clipped once, giving both the
/// covered share per category and their intersection.
pub fn level_at_place(
    place: &Place,
    categories: &[&dyn CategoryReach],
    radius_m: f64,
    served_threshold: f64,
) -> LevelAt {
    let reaches: Vec<_> = categories
        .iter()
        .map(|reach| reach_into(place, *reach, radius_m))
        .collect();
    let within = reaches
        .iter()
        .map(|r| round6(covered_share(place, r)) >= served_threshold)
        .collect();
    let complete_share = covered_share(place, &common_reach(place, &reaches));
    LevelAt {
        within,
        complete_share,
    }
}

/// A level at a point: a category is within reach when its nearest facility is.
pub fn level_at_point(
    point: geo::Coord<f64>,
    categories: &[&dyn CategoryReach],
    radius_m: f64,
) -> LevelAt {
    let within: Vec<bool> = categories
        .iter()
        .map(|reach| reach.nearest_m(point).is_some_and(|d| d <= radius_m))
        .collect();
    let complete_share = if within.iter().all(|&w| w) { 1.0 } else { 0.0 };
    LevelAt {
        within,
        complete_share,
    }
}

/// The sums a level's figures are made of.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelTotals {
    /// Communities (or, without communities, demand features) judged.
    pub places: usize,
    /// Of those, how many have every category within reach.
    pub complete: usize,
    /// Per required category, the places that lack it.
    pub missing: Vec<usize>,
    /// Residents, if known.
    pub population: Option<f64>,
    /// Residents in a complete circle.
    pub population_complete: Option<f64>,
    /// Area, m2, if known.
    pub area_m2: Option<f64>,
    /// Area in a complete circle, m2.
    pub area_complete_m2: Option<f64>,
}

impl LevelTotals {
    /// Counts one place's result.
    pub fn count(&mut self, at: &LevelAt) {
        self.places += 1;
        self.complete += usize::from(at.complete());
        if self.missing.len() < at.within.len() {
            self.missing.resize(at.within.len(), 0);
        }
        for (m, &w) in self.missing.iter_mut().zip(&at.within) {
            *m += usize::from(!w);
        }
    }
}

/// A level's result (`summary.json` `levels`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LevelSummary {
    /// Level name.
    pub name: String,
    /// Readable title.
    pub label: Option<String>,
    /// Reach, metres.
    pub radius_m: f64,
    /// How the reach was given.
    pub radius_basis: String,
    /// How distance is modelled.
    pub distance_model: String,
    /// The categories a complete circle holds.
    pub categories: Vec<String>,
    /// What `complete_share` is a share of: population when known, else area.
    pub basis: Basis,
    /// Where residents are taken to live.
    pub population_basis: Option<String>,
    /// Share (on `basis`) living in a complete circle.
    pub complete_share: f64,
    /// Target for `complete_share`, if any.
    pub target: Option<f64>,
    /// Whether `complete_share` reaches the target.
    pub meets_target: Option<bool>,
    /// Residents, if known.
    pub population: Option<f64>,
    /// Residents in a complete circle.
    pub population_complete: Option<f64>,
    /// Share of the area in a complete circle.
    pub area_complete_share: Option<f64>,
    /// What the place counts below are of: "communities" or "demand features".
    pub places_are: &'static str,
    /// Places judged.
    pub places: usize,
    /// Places with every category within reach.
    pub places_complete: usize,
    /// Per category, the places lacking it.
    pub places_missing: BTreeMap<String, usize>,
    /// Where the level comes from.
    pub source: Option<String>,
}

impl LevelSummary {
    /// The category most often missing, with the number of places lacking it
    /// ("elderly_care (16)"); `None` when every place has every category. Of categories
    /// missing equally often, the last by name.
    pub fn most_missing(&self) -> Option<String> {
        self.places_missing
            .iter()
            .filter(|(_, &n)| n > 0)
            .max_by_key(|(_, &n)| n)
            .map(|(c, n)| format!("{c} ({n})"))
    }
}

/// Sums up one level. `None` when neither population nor area is known (demand points
/// without weights cannot occur: weights are required).
pub fn summarise_level(
    spec: &LevelSpec,
    distance_model: &str,
    totals: &LevelTotals,
    population_basis: Option<&str>,
    places_are: &'static str,
) -> LevelSummary {
    let share = |part: Option<f64>, whole: Option<f64>| match (part, whole) {
        (Some(p), Some(w)) if w > 0.0 => Some((p / w).clamp(0.0, 1.0)),
        _ => None,
    };
    let population_share = share(totals.population_complete, totals.population);
    let area_share = share(totals.area_complete_m2, totals.area_m2);
    let (basis, complete_share) = match (population_share, area_share) {
        (Some(p), _) => (Basis::Population, p),
        (None, Some(a)) => (Basis::Area, a),
        (None, None) => (Basis::Communities, {
            if totals.places > 0 {
                totals.complete as f64 / totals.places as f64
            } else {
                0.0
            }
        }),
    };
    LevelSummary {
        name: spec.name.clone(),
        label: spec.label.clone(),
        radius_m: spec.radius_m,
        radius_basis: spec.radius_basis.clone(),
        distance_model: distance_model.to_string(),
        categories: spec.categories.clone(),
        basis,
        population_basis: population_share.and(population_basis).map(str::to_string),
        complete_share,
        target: spec.target,
        meets_target: spec.target.map(|t| round6(complete_share) >= round6(t)),
        population: totals.population,
        population_complete: totals.population_complete,
        area_complete_share: area_share,
        places_are,
        places: totals.places,
        places_complete: totals.complete,
        places_missing: spec
            .categories
            .iter()
            .zip(totals.missing.iter().chain(std::iter::repeat(&0)))
            .map(|(c, &m)| (c.clone(), m))
            .collect(),
        source: spec.source.clone(),
    }
}

/// One life-circle level at every community and demand feature.
pub(crate) fn measure_level(
    study: &Study<'_>,
    spec: &crate::input::config::LevelSpec,
    reaches: &[&dyn CategoryReach],
) -> Result<(LevelResult, Vec<LevelSummary>)> {
    let distance_model = reaches
        .first()
        .map_or(study.model.name(), |r| r.distance_model());
    study.progress.begin(
        &format!("level {}", spec.name),
        (study.places.len() + study.placed.units.len()) as u64,
    );
    let (communities, units) = levels_at_places(study, spec, reaches)?;
    study.progress.end();
    let demand = levels_of_features(study, spec, &units);
    let totals = level_totals(study, &communities, &demand, &units);
    let places_are = if study.has_communities() {
        "communities"
    } else {
        "demand features"
    };
    let basis = study.population_basis.as_deref();
    let summaries = totals
        .iter()
        .map(|t| summarise_level(spec, distance_model, t, basis, places_are))
        .collect();
    let (summary, by_group) = overall_and_groups(summaries, &format!("level \"{}\"", spec.name))?;
    Ok((
        LevelResult {
            summary,
            communities,
            demand,
            sums: totals,
        },
        by_group,
    ))
}

/// The level at every community and every demand unit, in parallel.
fn levels_at_places(
    study: &Study<'_>,
    spec: &crate::input::config::LevelSpec,
    reaches: &[&dyn CategoryReach],
) -> Result<(Vec<LevelAt>, Vec<LevelAt>)> {
    let radius = spec.radius_m;
    let threshold = study.served_threshold;
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
    Ok((communities, units))
}

/// The level at every demand feature from its units': a category is within reach if it is
/// in any of its parts; the complete share is over its parts' area.
fn levels_of_features(
    study: &Study<'_>,
    spec: &crate::input::config::LevelSpec,
    units: &[LevelAt],
) -> Vec<LevelAt> {
    (0..study.demand_at.len())
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
        .collect()
}

/// A level's totals per slot (0 overall, 1.. groups): the places counted (communities, or
/// demand features without communities), their area and the residents.
fn level_totals(
    study: &Study<'_>,
    communities: &[LevelAt],
    demand: &[LevelAt],
    units: &[LevelAt],
) -> Vec<LevelTotals> {
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
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reach::circles::{Circles, StraightLine};
    use crate::reach::index::FacilityIndex;
    use geo::{wkt, Coord};

    fn index(points: &[(f64, f64)]) -> Circles<'static> {
        Circles::new(
            FacilityIndex::new(
                points
                    .iter()
                    .enumerate()
                    .map(|(i, &(x, y))| (Coord { x, y }, i)),
            ),
            Box::leak(Box::new(StraightLine::default())),
        )
    }

    /// A 1,000 m square; category A's circle (r = 1,000 m) from the left edge's midpoint
    /// covers the left part, B's from the right edge's midpoint the right part. Both reach
    /// the middle band; the square is complete where both circles overlap, which is the
    /// lens of two circles of 1,000 m with centres 1,000 m apart, clipped to the square.
    #[test]
    fn complete_where_every_category_reaches() {
        let sq =
            Place::new(wkt!(MULTIPOLYGON(((0. 0.,1000. 0.,1000. 1000.,0. 1000.,0. 0.))))).unwrap();
        let a = index(&[(0.0, 500.0)]);
        let b = index(&[(1000.0, 500.0)]);
        let at = level_at_place(&sq, &[&a, &b], 1000.0, 0.5);
        // Each circle holds more than half the square: both within reach.
        assert_eq!(at.within, vec![true, true]);
        assert!(at.complete());
        // Lens ∩ square: the points within 1,000 m of both (0,500) and (1000,500). Half
        // the lens lies at |y - 500| <= 500 entirely (the lens is 2·√(1000²-500²) ≈ 1,732 m
        // tall), so clip: integrate the lens's width over y in 0..1000.
        let n = 20_000;
        let mut area = 0.0;
        for i in 0..n {
            let y = (i as f64 + 0.5) * 1000.0 / n as f64 - 500.0;
            let half = (1000.0f64.powi(2) - y * y).sqrt();
            // x within half of 0 and within half of 1000: from 1000 - half to half.
            area += (2.0 * half - 1000.0).max(0.0) * 1000.0 / n as f64;
        }
        assert!(
            (at.complete_share - area / 1e6).abs() < 2e-3,
            "{} vs {}",
            at.complete_share,
            area / 1e6
        );

        // A third category nowhere near: nothing is complete, and it is the one missing.
        let c = index(&[(9000.0, 9000.0)]);
        let at = level_at_place(&sq, &[&a, &b, &c], 1000.0, 0.5);
        assert_eq!(at.within, vec![true, true, false]);
        assert_eq!(at.score(), 2);
        assert_eq!(at.complete_share, 0.0);
    }

    #[test]
    fn a_point_is_complete_when_every_nearest_is_within_the_radius() {
        let a = index(&[(300.0, 0.0)]);
        let b = index(&[(0.0, 499.0)]);
        let at = level_at_point(Coord { x: 0.0, y: 0.0 }, &[&a, &b], 500.0);
        assert!(at.complete());
        let at = level_at_point(Coord { x: 0.0, y: 0.0 }, &[&a, &b], 400.0);
        assert_eq!(at.within, vec![true, false]);
        assert_eq!(at.complete_share, 0.0);
    }
}
