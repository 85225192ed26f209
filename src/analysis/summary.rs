//! Summing up a category: coverage on each basis, the target and the verdict.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::input::config::{Basis, CategorySpec};

/// The sums a category's figures are made of, over the whole study area or one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Communities measured.
    pub communities: usize,
    /// Of those, how many are served.
    pub served: usize,
    /// Area measured, m2: the communities', or the demand polygons' without communities;
    /// `None` for demand points alone.
    pub area_m2: Option<f64>,
    /// Of that, the area within reach, m2.
    pub covered_m2: Option<f64>,
    /// Residents (or the demand weight), if known.
    pub population: Option<f64>,
    /// Of those, how many are within reach.
    pub population_covered: Option<f64>,
}

/// A category's result, with the key names scripts rely on (`summary.json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategorySummary {
    /// Category name.
    pub name: String,
    /// Readable title.
    pub label: Option<String>,
    /// Reach, metres.
    pub radius_m: f64,
    /// How the reach was given ("15 min at 4 km/h").
    pub radius_basis: String,
    /// How distance is modelled ("straight-line circle").
    pub distance_model: String,
    /// What `coverage` and the target are judged on.
    pub basis: Basis,
    /// Why that basis: asked for, or the default.
    pub basis_reason: String,
    /// Target fraction, if any.
    pub target: Option<f64>,
    /// Coverage on `basis`, 0..1.
    pub coverage: f64,
    /// With a street network: the same figure, on the same basis, with straight-line
    /// circles of the same radius, so the overstatement of circles is visible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circle_coverage: Option<f64>,
    /// Whether `coverage` reaches `target`; `None` without a target.
    pub meets_target: Option<bool>,
    /// Share of residents within reach, if known.
    pub population_coverage: Option<f64>,
    /// Where the residents are taken to live: a demand layer, or spread evenly in each
    /// community.
    pub population_basis: Option<String>,
    /// Share of the area within reach (communities, or demand polygons without them).
    pub area_coverage: Option<f64>,
    /// Share of communities served; `None` without a community layer.
    pub communities_served_share: Option<f64>,
    /// Number of communities.
    pub communities: usize,
    /// Communities whose covered share is at or above `served_threshold`.
    pub communities_served: usize,
    /// Covered share from which a community counts as served.
    pub served_threshold: f64,
    /// Residents, if known.
    pub population: Option<f64>,
    /// Residents within reach, if known.
    pub population_covered: Option<f64>,
    /// Area measured, m2.
    pub area_m2: Option<f64>,
    /// Of that, the area outside reach, m2.
    pub gap_area_m2: Option<f64>,
    /// Gap features in the gap layer.
    pub gaps: usize,
    /// Gap polygons under the sliver area, left out of the gap layer.
    pub slivers_dropped: usize,
    /// Facilities of this category (in the group, for a group's summary).
    pub facilities: usize,
    /// Of those, how many lie outside every community (they still serve).
    pub facilities_outside: usize,
    /// Coverage against radius: `[radius_m, coverage]` on `curve_basis`.
    pub curve: Vec<[f64; 2]>,
    /// What the curve's coverage is a share of.
    pub curve_basis: Option<Basis>,
    /// Where the radius and target come from.
    pub source: Option<String>,
}

/// Gap-layer counts for a category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GapCounts {
    /// Features kept.
    pub kept: usize,
    /// Slivers dropped.
    pub dropped: usize,
}

/// Facility counts for a category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FacilityCounts {
    /// Facilities in the category.
    pub total: usize,
    /// Facilities outside every community.
    pub outside: usize,
}

/// What a category summary is made of, besides its spec.
#[derive(Debug, Clone)]
pub struct CategoryFigures<'a> {
    /// How reach was modelled.
    pub distance_model: &'a str,
    /// The sums.
    pub totals: &'a Totals,
    /// Where the population lives, if known: e.g. "demand layer: 92 polygons, weight
    /// field \"population\", people spread evenly inside each polygon".
    pub population_basis: Option<&'a str>,
    /// Gap-layer counts.
    pub gaps: GapCounts,
    /// Facility counts.
    pub facilities: FacilityCounts,
    /// Coverage at each curve radius, on `curve_basis`.
    pub curve: Vec<[f64; 2]>,
    /// The curve's basis.
    pub curve_basis: Option<Basis>,
}

/// Sums up one category and judges it against its target.
pub fn summarise(spec: &CategorySpec, f: CategoryFigures<'_>) -> Result<CategorySummary> {
    let t = f.totals;
    let population_coverage = match (t.population, t.population_covered) {
        (Some(p), Some(c)) if p > 0.0 => Some(share(c, p)),
        _ => None,
    };
    let area_coverage = match (t.area_m2, t.covered_m2) {
        (Some(a), Some(c)) => Some(share(c, a)),
        _ => None,
    };
    let communities_served_share =
        (t.communities > 0).then(|| t.served as f64 / t.communities as f64);
    let (basis, basis_reason) = match spec.basis {
        Some(b) => (b, "as configured".to_string()),
        None if population_coverage.is_some() => (
            Basis::Population,
            "default: the population is known".to_string(),
        ),
        None => (
            Basis::Area,
            "default: the population is not known".to_string(),
        ),
    };
    let missing = |what: &str| Error::Setting {
        setting: format!("category \"{}\" basis", spec.name),
        message: what.to_string(),
    };
    let coverage = match basis {
        Basis::Population => population_coverage.ok_or_else(|| {
            missing(
                "is population, but the population is not known (or zero); name the \
                 population field, give a demand layer, or use basis = \"area\"",
            )
        })?,
        Basis::Area => area_coverage.ok_or_else(|| {
            missing("is area, but demand points alone have no area; use basis = \"population\"")
        })?,
        Basis::Communities => communities_served_share
            .ok_or_else(|| missing("is communities, but no community was measured"))?,
    };
    Ok(CategorySummary {
        name: spec.name.clone(),
        label: spec.label.clone(),
        radius_m: spec.radius_m,
        radius_basis: spec.radius_basis.clone(),
        distance_model: f.distance_model.to_string(),
        basis,
        basis_reason,
        target: spec.target,
        coverage,
        // Compared at the precision of summary.json (6 decimals): grid snapping in clipping
        // must not fail a community or a target that is covered in full.
        meets_target: spec.target.map(|t| round6(coverage) >= round6(t)),
        population_coverage,
        population_basis: population_coverage
            .and(f.population_basis)
            .map(str::to_string),
        area_coverage,
        communities_served_share,
        communities: t.communities,
        communities_served: t.served,
        served_threshold: spec.served_threshold,
        population: t.population,
        population_covered: t.population_covered,
        area_m2: t.area_m2,
        gap_area_m2: match (t.area_m2, t.covered_m2) {
            (Some(a), Some(c)) => Some((a - c).max(0.0)),
            _ => None,
        },
        gaps: f.gaps.kept,
        slivers_dropped: f.gaps.dropped,
        facilities: f.facilities.total,
        facilities_outside: f.facilities.outside,
        curve: f.curve,
        curve_basis: f.curve_basis,
        source: spec.source.clone(),
        circle_coverage: None,
    })
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (part / whole).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

pub(crate) fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The overall summary (slot 0) and the groups' (slots 1..); `what` names the category or
/// level in the error when nothing was measured.
pub(crate) fn overall_and_groups<T>(summaries: Vec<T>, what: &str) -> Result<(T, Vec<T>)> {
    let mut summaries = summaries.into_iter();
    let overall = summaries.next().ok_or_else(|| Error::Setting {
        setting: what.to_string(),
        message: "nothing was measured".into(),
    })?;
    Ok((overall, summaries.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(basis: Option<Basis>, target: Option<f64>) -> CategorySpec {
        CategorySpec {
            name: "market".into(),
            label: None,
            radius_m: 1000.0,
            radius_basis: "1000 m".into(),
            target,
            basis,
            served_threshold: 0.5,
            source: None,
            reach: Default::default(),
        }
    }

    fn totals(parts: &[(f64, f64, Option<f64>)], threshold: f64) -> Totals {
        let mut t = Totals {
            area_m2: Some(0.0),
            covered_m2: Some(0.0),
            ..Totals::default()
        };
        let known = parts.iter().all(|p| p.2.is_some());
        if known {
            t.population = Some(0.0);
            t.population_covered = Some(0.0);
        }
        for &(area, covered, population) in parts {
            t.communities += 1;
            t.served += usize::from(covered / area >= threshold);
            *t.area_m2.as_mut().unwrap() += area;
            *t.covered_m2.as_mut().unwrap() += covered;
            if let (Some(p), true) = (population, known) {
                *t.population.as_mut().unwrap() += p;
                *t.population_covered.as_mut().unwrap() += p * covered / area;
            }
        }
        t
    }

    fn figures(t: &Totals) -> CategoryFigures<'_> {
        CategoryFigures {
            distance_model: "straight-line circle",
            totals: t,
            population_basis: None,
            gaps: GapCounts::default(),
            facilities: FacilityCounts::default(),
            curve: Vec::new(),
            curve_basis: None,
        }
    }

    /// Two communities: a dense one fully covered and a large sparse one a quarter covered.
    /// Population coverage (1000 + 250)/(1000 + 1000) = 62.5%, area coverage
    /// (100 + 75)/(100 + 300) = 43.75%, communities served 1 of 2.
    #[test]
    fn bases_differ_and_the_target_is_judged_on_the_chosen_one() {
        let t = totals(
            &[(100.0, 100.0, Some(1000.0)), (300.0, 75.0, Some(1000.0))],
            0.5,
        );
        let s = summarise(&spec(None, Some(0.6)), figures(&t)).unwrap();
        assert_eq!(s.basis, Basis::Population);
        assert!((s.population_coverage.unwrap() - 0.625).abs() < 1e-12);
        assert!((s.area_coverage.unwrap() - 0.4375).abs() < 1e-12);
        assert_eq!(s.communities_served, 1);
        assert_eq!(s.meets_target, Some(true));
        assert!((s.gap_area_m2.unwrap() - 225.0).abs() < 1e-12);

        let s = summarise(&spec(Some(Basis::Area), Some(0.6)), figures(&t)).unwrap();
        assert!((s.coverage - 0.4375).abs() < 1e-12);
        assert_eq!(s.meets_target, Some(false));
    }

    #[test]
    fn population_basis_without_population_is_an_error() {
        let t = totals(&[(100.0, 50.0, None)], 0.5);
        let err = summarise(&spec(Some(Basis::Population), None), figures(&t))
            .unwrap_err()
            .to_string();
        assert!(err.contains("the population is not known"), "{err}");
        let s = summarise(&spec(None, None), figures(&t)).unwrap();
        assert_eq!(s.basis, Basis::Area);
        assert_eq!(s.meets_target, None);
    }

    #[test]
    fn area_basis_without_area_is_an_error() {
        let t = Totals {
            population: Some(10.0),
            population_covered: Some(5.0),
            ..Totals::default()
        };
        let err = summarise(&spec(Some(Basis::Area), None), figures(&t))
            .unwrap_err()
            .to_string();
        assert!(err.contains("demand points alone have no area"), "{err}");
        let s = summarise(&spec(None, Some(0.5)), figures(&t)).unwrap();
        assert_eq!(s.basis, Basis::Population);
        assert_eq!(s.coverage, 0.5);
        assert_eq!(s.communities_served_share, None);
    }
}
