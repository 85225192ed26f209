//! Where to add facilities: the candidate sites that close a category's gaps, chosen by
//! the covering problems of [`solve`], with reach decided as the coverage decides it.
//!
//! The pipeline hands over plain data: the demand units of the category (working CRS),
//! their weights, whether the existing facilities reach them, and whether they are in the
//! scope being sited (a group, or everything); and the candidates. Which units a candidate
//! would reach is asked of a [`CategoryReach`] built over the candidates, so straight-line
//! circles and the street network both plug in. The pipeline then re-checks the answer with
//! the coverage engine itself.

use std::collections::HashMap;

use geo::Coord;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::reach::index::FacilityIndex;
use crate::reach::CategoryReach;

pub mod solve;

pub use solve::{Goal, Instance, Solution};

pub use crate::input::config::siting::{CandidateSource, Problem, SitingSpec};

/// A candidate site, working CRS.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its id (from the file, the demand point, or the grid cell).
    pub id: String,
    /// Where it is.
    pub at: Coord<f64>,
}

/// The demand of one category, as siting sees it (working CRS, one entry per unit).
#[derive(Debug, Clone, Default)]
pub struct Demand {
    /// Each unit's position.
    pub at: Vec<Coord<f64>>,
    /// Each unit's weight.
    pub weight: Vec<f64>,
    /// Whether an existing facility reaches it.
    pub covered: Vec<bool>,
    /// Whether it counts towards the scope being sited.
    pub in_scope: Vec<bool>,
}

impl Demand {
    /// The scope's total weight and the part the existing facilities reach.
    pub fn totals(&self) -> (f64, f64) {
        let mut total = 0.0;
        let mut covered = 0.0;
        for i in 0..self.at.len() {
            if self.in_scope[i] {
                total += self.weight[i];
                if self.covered[i] {
                    covered += self.weight[i];
                }
            }
        }
        (total, covered)
    }
}

/// A proposed site, in the order to add them.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    /// 1 for the first site to add.
    pub rank: usize,
    /// The candidate's id.
    pub id: String,
    /// People (weight) it reaches that nothing before it reached.
    pub population_added: f64,
    /// The scope's coverage once it and those before it are built.
    pub coverage: f64,
    /// Where, WGS 84 lon/lat (the map and the sites layer).
    #[serde(skip)]
    pub lonlat: Coord<f64>,
    /// Where, working CRS.
    #[serde(skip)]
    pub at: Coord<f64>,
}

/// One category sited: the `siting` entry of summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct SitingResult {
    /// The category.
    pub category: String,
    /// The group sited, or none for the whole study.
    pub group: Option<String>,
    /// "add" or "target".
    pub problem: &'static str,
    /// The K asked for ("add").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add: Option<usize>,
    /// The share asked for ("target").
    pub target: Option<f64>,
    /// Where the candidates came from.
    pub candidates_source: String,
    /// Candidates considered.
    pub candidates: usize,
    /// Candidates outside the study area (they may still serve it).
    pub candidates_outside: usize,
    /// Candidates that reach no uncovered unit of the scope.
    pub candidates_useless: usize,
    /// How reach was decided, and its radius.
    pub distance_model: String,
    /// Radius, metres.
    pub radius_m: f64,
    /// What the weights are.
    pub basis: String,
    /// The sites to add, in order.
    pub added: Vec<Added>,
    /// Coverage of the scope before.
    pub coverage_before: f64,
    /// Coverage after adding every site, re-checked by the coverage engine.
    pub coverage_after: f64,
    /// People covered before.
    pub population_covered_before: f64,
    /// People covered after (re-checked).
    pub population_covered_after: f64,
    /// People in the scope.
    pub population: f64,
    /// No choice of as many sites reaches more people than this.
    pub upper_bound_population: f64,
    /// `upper_bound_population - population_covered_after`.
    pub gap: f64,
    /// For "target": no fewer sites can reach the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fewest_possible: Option<usize>,
    /// Whether the answer is proven best (it meets its bound).
    pub proven_optimal: bool,
    /// Whether the target can be reached with these candidates (true for "add").
    pub target_reachable: bool,
    /// Swaps that improved the greedy start.
    pub swaps: usize,
    /// What the result means, in a sentence.
    pub note: String,
}

/// The instance of a siting: which scope units each candidate would newly reach, with the
/// units that share the same candidates merged (their weights summed).
pub fn instance(
    demand: &Demand,
    candidates: &[Candidate],
    reach: &dyn CategoryReach,
    radius_m: f64,
) -> Instance {
    // For each open unit of the scope, the candidates that reach it.
    let open: Vec<usize> = (0..demand.at.len())
        .filter(|&i| demand.in_scope[i] && !demand.covered[i] && demand.weight[i] > 0.0)
        .collect();
    let reached_by: Vec<Vec<usize>> = open
        .par_iter()
        .map(|&i| reach.within_reach(demand.at[i], radius_m))
        .collect();
    let mut merged: HashMap<&[usize], u32> = HashMap::new();
    let mut weight: Vec<f64> = Vec::new();
    let mut covers: Vec<Vec<u32>> = vec![Vec::new(); candidates.len()];
    for (k, by) in reached_by.iter().enumerate() {
        if by.is_empty() {
            continue;
        }
        let w = demand.weight[open[k]];
        match merged.get(by.as_slice()) {
            Some(&u) => weight[u as usize] += w,
            None => {
                let u = weight.len() as u32;
                merged.insert(by.as_slice(), u);
                weight.push(w);
                for &c in by {
                    covers[c].push(u);
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| natural(&candidates[a].id).cmp(&natural(&candidates[b].id)));
    let mut rank = vec![0; candidates.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r;
    }
    Instance {
        weight,
        covers,
        rank,
    }
}

/// A sort key that puts "b2" before "b10".
fn natural(id: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut number: Option<u64> = None;
    for ch in id.chars() {
        if let Some(d) = ch.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(d)),
            );
        } else {
            if let Some(n) = number.take() {
                out.push((std::mem::take(&mut text), n));
            }
            text.push(ch);
        }
    }
    out.push((text, number.unwrap_or(0)));
    out
}

/// Checks candidate ids are unique.
pub fn check_ids(candidates: &[Candidate], source: &str) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if let Some(first) = seen.insert(c.id.as_str(), i) {
            return Err(Error::Setting {
                setting: format!("candidates {source}"),
                message: format!(
                    "candidate id \"{}\" is used twice (features {first} and {i}): ids must be unique",
                    c.id
                ),
            });
        }
    }
    Ok(())
}

/// A reach over the candidates, as the category's reach is built over its facilities.
pub fn candidate_index(candidates: &[Candidate]) -> FacilityIndex {
    FacilityIndex::new(candidates.iter().enumerate().map(|(k, c)| (c.at, k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_sources_parse() {
        assert_eq!(CandidateSource::parse("gaps"), Ok(CandidateSource::Gaps));
        assert_eq!(
            CandidateSource::parse("grid:100"),
            Ok(CandidateSource::Grid(100.0))
        );
        assert!(CandidateSource::parse("grid:x")
            .unwrap_err()
            .contains("not a number"));
        assert!(CandidateSource::parse("grid:1")
            .unwrap_err()
            .contains("at least 5"));
        assert_eq!(
            CandidateSource::parse("lots.geojson"),
            Ok(CandidateSource::File("lots.geojson".into()))
        );
    }

    #[test]
    fn ids_sort_naturally() {
        let mut ids = vec!["b10", "b2", "a", "b1"];
        ids.sort_by_key(|i| natural(i));
        assert_eq!(ids, vec!["a", "b1", "b2", "b10"]);
    }
}
