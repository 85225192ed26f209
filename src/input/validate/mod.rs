//! Checking community boundaries, and repairing them when the user allows it.
//!
//! Hand-drawn boundaries are often invalid: self-crossing "bow-tie" rings, parts that
//! overlap, holes outside their shell, repeated vertices, rings too short to enclose
//! anything. Clipping would silently miscount such shapes (overlaps cancel), so each
//! boundary is checked, and then repaired, skipped or refused as [`InvalidPolicy`] says.

use geo::algorithm::bool_ops::FillRule;
use geo::{
    Area, BooleanOps, Euclidean, Length, LineString, MultiPolygon, OpType, Polygon,
    RemoveRepeatedPoints,
};
use serde::{Deserialize, Serialize};

use crate::warning::Defect;

mod rules;

/// What to do with an invalid community boundary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidPolicy {
    /// Repair it, with a warning; refuse it if it cannot be repaired.
    #[default]
    Repair,
    /// Leave it out of the analysis, with a warning.
    Skip,
    /// Stop with an error naming it.
    Fail,
}

impl std::str::FromStr for InvalidPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "repair" => Ok(InvalidPolicy::Repair),
            "skip" => Ok(InvalidPolicy::Skip),
            "fail" => Ok(InvalidPolicy::Fail),
            other => Err(format!(
                "unknown policy \"{other}\": expected repair, skip or fail"
            )),
        }
    }
}

/// What checking a boundary found.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// Valid as drawn.
    Valid,
    /// Invalid, and made valid.
    Repaired {
        /// The valid boundary.
        boundary: MultiPolygon<f64>,
        /// What was wrong.
        problems: Vec<Defect>,
    },
    /// Invalid beyond repair (empty, no area).
    Unusable {
        /// What was wrong.
        problems: Vec<Defect>,
    },
}

/// Checks a boundary. `problems` holds defects already found in the text (3D positions,
/// unclosed rings), which make the boundary count as repaired even if it is now valid.
///
/// Repair: repeated vertices are removed and rings with fewer than three distinct points
/// dropped; then, if geo's validation still objects, each part is rebuilt as its shell
/// (a self-crossing shell keeps every lobe, by the non-zero winding rule) minus its holes
/// (a hole outside the shell removes nothing), and the parts are merged, so overlaps count
/// once. The result is validated again; if it is still invalid or has no area, the
/// boundary is unusable.
pub fn check_boundary(boundary: &MultiPolygon<f64>, mut problems: Vec<Defect>) -> Check {
    let deduped = boundary.remove_repeated_points();
    if deduped != *boundary {
        problems.push(Defect::DuplicateVertices);
    }
    let rings_before: usize = deduped.0.iter().map(|p| 1 + p.interiors().len()).sum();
    let mut parts = Vec::with_capacity(deduped.0.len());
    for part in deduped.0 {
        let (exterior, interiors) = part.into_inner();
        if exterior.0.len() >= 4 {
            let kept = interiors.into_iter().filter(|h| h.0.len() >= 4).collect();
            parts.push((exterior, kept));
        }
    }
    let rings_after: usize = parts.iter().map(|(_, h): &(_, Vec<_>)| 1 + h.len()).sum();
    let short_rings = rings_before - rings_after;
    if short_rings > 0 {
        problems.push(Defect::ShortRings(short_rings));
    }
    if parts.is_empty() {
        problems.push(Defect::NoArea);
        return Check::Unusable { problems };
    }
    let mut shape = MultiPolygon(
        parts
            .iter()
            .map(|(e, h)| Polygon::new(e.clone(), h.clone()))
            .collect(),
    );
    if let Err(e) = rules::check(&shape) {
        problems.push(Defect::Invalid(e));
        shape = rebuild(parts);
        if let Err(e) = rules::check(&shape) {
            problems.push(Defect::RepairFailed(e));
            return Check::Unusable { problems };
        }
    }
    // Zero, up to the noise of a projection round trip: thinner than a micrometre.
    let perimeter: f64 = shape
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| Euclidean.length(r))
        .sum();
    if shape.unsigned_area() <= 1e-6 * perimeter {
        problems.push(Defect::ZeroArea);
        return Check::Unusable { problems };
    }
    if problems.is_empty() {
        Check::Valid
    } else {
        Check::Repaired {
            boundary: shape,
            problems,
        }
    }
}

/// Each part as its shell minus its holes, merged with the other parts.
fn rebuild(parts: Vec<(LineString<f64>, Vec<LineString<f64>>)>) -> MultiPolygon<f64> {
    let none = MultiPolygon::<f64>::new(vec![]);
    let non_zero = |rings: Vec<LineString<f64>>| {
        let mp = MultiPolygon(rings.into_iter().map(|r| Polygon::new(r, vec![])).collect());
        mp.boolean_op_with_fill_rule(&none, OpType::Union, FillRule::NonZero)
    };
    let cleaned: Vec<MultiPolygon<f64>> = parts
        .into_iter()
        .map(|(exterior, holes)| {
            let shell = non_zero(vec![exterior]);
            if holes.is_empty() {
                shell
            } else {
                shell.difference(&non_zero(holes))
            }
        })
        .collect();
    let all = MultiPolygon(cleaned.into_iter().flat_map(|m| m.0).collect());
    all.boolean_op_with_fill_rule(&none, OpType::Union, FillRule::NonZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{wkt, Validation};

    fn repaired(mp: MultiPolygon<f64>) -> (MultiPolygon<f64>, Vec<String>) {
        match check_boundary(&mp, Vec::new()) {
            Check::Repaired { boundary, problems } => {
                (boundary, problems.iter().map(|p| p.to_string()).collect())
            }
            other => panic!("expected a repair, got {other:?}"),
        }
    }

    #[test]
    fn valid_boundaries_pass() {
        let square = wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.),(2. 2.,2. 4.,4. 4.,4. 2.,2. 2.))));
        assert_eq!(check_boundary(&square, Vec::new()), Check::Valid);
    }

    #[test]
    fn a_bow_tie_keeps_both_lobes() {
        let bow = wkt!(MULTIPOLYGON(((0. 0.,10. 10.,10. 0.,0. 10.,0. 0.))));
        let (b, problems) = repaired(bow);
        assert!(
            (b.unsigned_area() - 50.0).abs() < 1e-6,
            "{}",
            b.unsigned_area()
        );
        assert!(b.is_valid());
        assert!(!problems.is_empty());
    }

    #[test]
    fn overlapping_parts_count_once() {
        let two = wkt!(MULTIPOLYGON(((0. 0.,20. 0.,20. 10.,0. 10.,0. 0.)),((10. 0.,30. 0.,30. 10.,10. 10.,10. 0.))));
        let (b, _) = repaired(two);
        assert!((b.unsigned_area() - 300.0).abs() < 1e-6);
    }

    #[test]
    fn a_hole_outside_its_shell_removes_nothing() {
        let p = wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.),(20. 20.,20. 22.,22. 22.,22. 20.,20. 20.))));
        let (b, problems) = repaired(p);
        assert!((b.unsigned_area() - 100.0).abs() < 1e-6);
        assert!(
            problems.iter().any(|p| p.contains("interior ring")),
            "{problems:?}"
        );
    }

    #[test]
    fn repeated_vertices_and_short_rings_are_mended() {
        let p = wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 0.,10. 10.,0. 10.,0. 0.)),((50. 50.,51. 51.,50. 50.))));
        let (b, problems) = repaired(p);
        assert!((b.unsigned_area() - 100.0).abs() < 1e-9);
        assert!(problems
            .iter()
            .any(|p| p.contains("duplicate consecutive vertices")));
        assert!(problems
            .iter()
            .any(|p| p.contains("fewer than 3 distinct points")));
    }

    #[test]
    fn zero_area_and_empty_are_unusable() {
        let flat = wkt!(MULTIPOLYGON(((0. 0.,10. 0.,20. 0.,0. 0.))));
        assert!(matches!(
            check_boundary(&flat, Vec::new()),
            Check::Unusable { .. }
        ));
        let empty = MultiPolygon::<f64>::new(vec![]);
        assert!(matches!(
            check_boundary(&empty, Vec::new()),
            Check::Unusable { .. }
        ));
    }

    #[test]
    fn text_defects_count_as_repairs() {
        let square = wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.))));
        let (b, problems) = repaired_with(square.clone(), vec![Defect::Unclosed]);
        assert_eq!(b, square);
        assert_eq!(problems, vec!["an unclosed ring (closed)".to_string()]);
    }

    fn repaired_with(mp: MultiPolygon<f64>, text: Vec<Defect>) -> (MultiPolygon<f64>, Vec<String>) {
        match check_boundary(&mp, text) {
            Check::Repaired { boundary, problems } => {
                (boundary, problems.iter().map(|p| p.to_string()).collect())
            }
            other => panic!("expected a repair, got {other:?}"),
        }
    }
}
