//! Summing up a category: coverage on each basis, the target and the verdict.

use serde::Serialize;

use crate::config::{Basis, CategorySpec};
use crate::error::{Error, Result};

/// What one community contributes to a category's figures.
#[derive(Debug, Clone, Copy)]
pub struct CommunityFigures {
    /// Area, m2.
    pub area_m2: f64,
    /// Covered area, m2.
    pub covered_m2: f64,
    /// Residents, if known.
    pub population: Option<f64>,
    /// Whether the community is served (covered share at or above the threshold).
    pub served: bool,
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
    /// Whether `coverage` reaches `target`; `None` without a target.
    pub meets_target: Option<bool>,
    /// Share of residents within reach (people spread evenly in each community), if known.
    pub population_coverage: Option<f64>,
    /// Share of the communities' area within reach.
    pub area_coverage: f64,
    /// Share of communities served.
    pub communities_served_share: f64,
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
    /// Area of the communities, m2.
    pub area_m2: f64,
    /// Area of the communities outside reach, m2.
    pub gap_area_m2: f64,
    /// Gap polygons in the gap layer.
    pub gaps: usize,
    /// Gap polygons under the sliver area, left out of the gap layer.
    pub slivers_dropped: usize,
    /// Facilities of this category.
    pub facilities: usize,
    /// Of those, how many lie outside every community (they still serve).
    pub facilities_outside: usize,
    /// Where the radius and target come from.
    pub source: Option<String>,
}

/// Gap-layer counts for a category.
#[derive(Debug, Clone, Copy, Default)]
pub struct GapCounts {
    /// Polygons kept.
    pub kept: usize,
    /// Slivers dropped.
    pub dropped: usize,
}

/// Facility counts for a category.
#[derive(Debug, Clone, Copy, Default)]
pub struct FacilityCounts {
    /// Facilities in the category.
    pub total: usize,
    /// Facilities outside every community.
    pub outside: usize,
}

/// Sums up one category over all communities and judges it against its target.
pub fn summarise(
    spec: &CategorySpec,
    distance_model: &str,
    figures: &[CommunityFigures],
    gaps: GapCounts,
    facilities: FacilityCounts,
) -> Result<CategorySummary> {
    let area_m2: f64 = figures.iter().map(|f| f.area_m2).sum();
    let covered_m2: f64 = figures.iter().map(|f| f.covered_m2).sum();
    let served = figures.iter().filter(|f| f.served).count();
    let communities = figures.len();
    let has_population = !figures.is_empty() && figures.iter().all(|f| f.population.is_some());
    let (population, population_covered) = if has_population {
        let total: f64 = figures.iter().filter_map(|f| f.population).sum();
        let covered: f64 = figures
            .iter()
            .filter_map(|f| f.population.map(|p| p * share(f.covered_m2, f.area_m2)))
            .sum();
        (Some(total), Some(covered))
    } else {
        (None, None)
    };
    let population_coverage = match (population, population_covered) {
        (Some(t), Some(c)) if t > 0.0 => Some(c / t),
        _ => None,
    };
    let area_coverage = share(covered_m2, area_m2);
    let communities_served_share = if communities > 0 {
        served as f64 / communities as f64
    } else {
        0.0
    };

    let (basis, basis_reason) = match spec.basis {
        Some(b) => (b, "as configured".to_string()),
        None if population_coverage.is_some() => (
            Basis::Population,
            "default: the communities have populations".to_string(),
        ),
        None => (
            Basis::Area,
            "default: the communities have no population".to_string(),
        ),
    };
    let coverage = match basis {
        Basis::Population => population_coverage.ok_or_else(|| Error::Setting {
            setting: format!("category \"{}\" basis", spec.name),
            message: "is population, but the communities have no (non-zero) population; \
                      name the population field or use basis = \"area\""
                .into(),
        })?,
        Basis::Area => area_coverage,
        Basis::Communities => communities_served_share,
    };
    Ok(CategorySummary {
        name: spec.name.clone(),
        label: spec.label.clone(),
        radius_m: spec.radius_m,
        radius_basis: spec.radius_basis.clone(),
        distance_model: distance_model.to_string(),
        basis,
        basis_reason,
        target: spec.target,
        coverage,
        // Compared at the precision of summary.json (6 decimals): grid snapping in clipping
        // must not fail a community or a target that is covered in full.
        meets_target: spec.target.map(|t| round6(coverage) >= round6(t)),
        population_coverage,
        area_coverage,
        communities_served_share,
        communities,
        communities_served: served,
        served_threshold: spec.served_threshold,
        population,
        population_covered,
        area_m2,
        gap_area_m2: (area_m2 - covered_m2).max(0.0),
        gaps: gaps.kept,
        slivers_dropped: gaps.dropped,
        facilities: facilities.total,
        facilities_outside: facilities.outside,
        source: spec.source.clone(),
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
        }
    }

    fn fig(area: f64, covered: f64, population: Option<f64>) -> CommunityFigures {
        CommunityFigures {
            area_m2: area,
            covered_m2: covered,
            population,
            served: covered / area >= 0.5,
        }
    }

    /// Two communities: a dense one fully covered and a large sparse one a quarter covered.
    /// Population coverage (1000 + 250)/(1000 + 1000) = 62.5%, area coverage
    /// (100 + 75)/(100 + 300) = 43.75%, communities served 1 of 2.
    #[test]
    fn bases_differ_and_the_target_is_judged_on_the_chosen_one() {
        let figs = [
            fig(100.0, 100.0, Some(1000.0)),
            fig(300.0, 75.0, Some(1000.0)),
        ];
        let s = summarise(
            &spec(None, Some(0.6)),
            "straight-line circle",
            &figs,
            GapCounts::default(),
            FacilityCounts::default(),
        )
        .unwrap();
        assert_eq!(s.basis, Basis::Population);
        assert!((s.population_coverage.unwrap() - 0.625).abs() < 1e-12);
        assert!((s.area_coverage - 0.4375).abs() < 1e-12);
        assert_eq!(s.communities_served, 1);
        assert_eq!(s.meets_target, Some(true));
        assert!((s.gap_area_m2 - 225.0).abs() < 1e-12);

        let s = summarise(
            &spec(Some(Basis::Area), Some(0.6)),
            "straight-line circle",
            &figs,
            GapCounts::default(),
            FacilityCounts::default(),
        )
        .unwrap();
        assert!((s.coverage - 0.4375).abs() < 1e-12);
        assert_eq!(s.meets_target, Some(false));
    }

    #[test]
    fn population_basis_without_population_is_an_error() {
        let figs = [fig(100.0, 50.0, None)];
        let err = summarise(
            &spec(Some(Basis::Population), None),
            "straight-line circle",
            &figs,
            GapCounts::default(),
            FacilityCounts::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no (non-zero) population"), "{err}");
        let s = summarise(
            &spec(None, None),
            "straight-line circle",
            &figs,
            GapCounts::default(),
            FacilityCounts::default(),
        )
        .unwrap();
        assert_eq!(s.basis, Basis::Area);
        assert_eq!(s.meets_target, None);
    }
}
