//! geo's validity rules for polygons, with each ring's self-intersection found through an
//! R-tree of its edges.
//!
//! geo's `Validation` tests every pair of a ring's edges for a self-intersection: a
//! district's 5,000-vertex ring is 25 million tests (0.6 s for Tianjin's 16 districts).
//! Here a ring's edges go into an R-tree and only edges whose boxes meet are tested, with
//! geo's own predicate; the other rules (too few points, non-finite coordinates, holes
//! inside the shell and apart from each other, parts apart) are geo's, through its
//! indexed `Relate`. The messages are geo's, so a report reads the same either way.

use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry, Relate};
use geo::{RemoveRepeatedPoints, Validation};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

/// Rings shorter than this are checked by geo itself: its pairwise test is as quick.
const INDEXED_FROM: usize = 64;

/// The first rule `shape` breaks, in geo's words; `Ok` when it is valid.
pub fn check(shape: &MultiPolygon<f64>) -> Result<(), String> {
    let small = shape
        .0
        .iter()
        .flat_map(rings)
        .all(|(_, ring)| ring.0.len() < INDEXED_FROM);
    if small {
        return shape.check_validation().map_err(|e| e.to_string());
    }
    for (i, polygon) in shape.0.iter().enumerate() {
        check_polygon(polygon).map_err(|e| format!("polygon at index {i} is invalid: {e}"))?;
        for (j, other) in shape.0.iter().enumerate().skip(i + 1) {
            let im = polygon.relate(other);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Err(format!("polygons at indices {i} and {j} overlap"));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Err(format!("polygons at indices {i} and {j} touch on a line"));
            }
        }
    }
    Ok(())
}

/// A polygon's rings with their names in geo's messages.
fn rings(polygon: &Polygon<f64>) -> impl Iterator<Item = (String, &LineString<f64>)> {
    std::iter::once(("exterior ring".to_string(), polygon.exterior())).chain(
        polygon
            .interiors()
            .iter()
            .enumerate()
            .map(|(k, r)| (format!("interior ring at index {k}"), r)),
    )
}

fn check_polygon(polygon: &Polygon<f64>) -> Result<(), String> {
    for (role, ring) in rings(polygon).filter(|(_, r)| !r.0.is_empty()) {
        if ring.remove_repeated_points().0.len() < 4 {
            return Err(format!("{role} must have at least 3 distinct points"));
        }
        if self_intersects(ring) {
            return Err(format!("{role} has a self-intersection"));
        }
        if let Some(k) = ring
            .0
            .iter()
            .position(|c| !(c.x.is_finite() && c.y.is_finite()))
        {
            return Err(format!("{role} has a non-finite coordinate at index {k}"));
        }
    }
    check_holes(polygon)
}

/// Holes inside the shell, touching it and each other at points only.
fn check_holes(polygon: &Polygon<f64>) -> Result<(), String> {
    let holes: Vec<&LineString<f64>> = polygon
        .interiors()
        .iter()
        .filter(|r| !r.0.is_empty())
        .collect();
    if holes.is_empty() {
        return Ok(());
    }
    let shell = Polygon::new(polygon.exterior().clone(), vec![]);
    let shell = PreparedGeometry::from(&shell);
    for (k, hole) in polygon.interiors().iter().enumerate() {
        if hole.0.is_empty() {
            continue;
        }
        let as_polygon = Polygon::new(hole.clone(), vec![]);
        let prepared = PreparedGeometry::from(&as_polygon);
        let im = shell.relate(&prepared);
        if !im.is_contains() {
            return Err(format!(
                "interior ring at index {k} is not contained within the polygon's exterior"
            ));
        }
        if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Err(format!(
                "exterior ring and interior ring at index {k} intersect on a line"
            ));
        }
        for (m, other) in polygon.interiors().iter().enumerate().skip(k + 1) {
            if other.0.is_empty() {
                continue;
            }
            let im = prepared.relate(&Polygon::new(other.clone(), vec![]));
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Err(format!(
                    "interior ring at index {k} and interior ring at index {m} intersect on an area"
                ));
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Err(format!(
                    "interior ring at index {k} and interior ring at index {m} intersect on a line"
                ));
            }
        }
    }
    Ok(())
}

/// Whether two edges of `ring` meet other than where consecutive edges share a vertex:
/// geo's test (`intersects`, and neither edge starts where the other ends), on the pairs
/// of edges whose boxes meet.
pub fn self_intersects(ring: &LineString<f64>) -> bool {
    let lines: Vec<Line<f64>> = ring.lines().collect();
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = lines
        .iter()
        .enumerate()
        .map(|(k, l)| {
            GeomWithData::new(
                Rectangle::from_corners(
                    [l.start.x.min(l.end.x), l.start.y.min(l.end.y)],
                    [l.start.x.max(l.end.x), l.start.y.max(l.end.y)],
                ),
                k,
            )
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    boxes.iter().any(|b| {
        let a = &lines[b.data];
        tree.locate_in_envelope_intersecting(&rstar::RTreeObject::envelope(b.geom()))
            .filter(|o| o.data > b.data)
            .any(|o| {
                let other = &lines[o.data];
                a.intersects(other) && a.start != other.end && a.end != other.start
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{wkt, Coord};

    /// A jagged ring of `n` vertices around a circle, valid; with `cross` two of its
    /// vertices swapped, which makes it cross itself.
    fn jagged(n: usize, cross: bool) -> LineString<f64> {
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|k| {
                let a = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
                let r = 1000.0 + if k % 2 == 0 { 7.0 } else { -5.0 };
                Coord {
                    x: r * a.cos(),
                    y: r * a.sin(),
                }
            })
            .collect();
        if cross {
            pts.swap(10, 12);
        }
        pts.push(pts[0]);
        LineString(pts)
    }

    /// The same verdict and message as geo's own validation, on rings long enough to be
    /// indexed.
    #[test]
    fn agrees_with_geo_on_long_rings() {
        let hole = wkt!(LINESTRING(-10. -10.,10. -10.,10. 10.,-10. 10.,-10. -10.));
        let outside = wkt!(LINESTRING(2000. 0.,2010. 0.,2010. 10.,2000. 0.));
        let far = wkt!(POLYGON((5000. 0.,5010. 0.,5010. 10.,5000. 0.)));
        let cases = [
            MultiPolygon(vec![Polygon::new(jagged(400, false), vec![])]),
            MultiPolygon(vec![Polygon::new(jagged(400, true), vec![])]),
            MultiPolygon(vec![Polygon::new(jagged(400, false), vec![hole.clone()])]),
            MultiPolygon(vec![Polygon::new(jagged(400, false), vec![outside])]),
            MultiPolygon(vec![Polygon::new(jagged(400, false), vec![]), far]),
            MultiPolygon(vec![
                Polygon::new(jagged(400, false), vec![]),
                Polygon::new(jagged(300, false), vec![]),
            ]),
        ];
        let expected = [true, false, true, false, true, false];
        for (k, (shape, valid)) in cases.iter().zip(expected).enumerate() {
            let ours = check(shape);
            let geo = shape.check_validation().map_err(|e| e.to_string());
            assert_eq!(ours, geo, "case {k}");
            assert_eq!(ours.is_ok(), valid, "case {k}: {ours:?}");
        }
    }

    #[test]
    fn a_touching_spike_and_a_crossing_are_self_intersections() {
        assert!(!self_intersects(&jagged(200, false)));
        assert!(self_intersects(&jagged(200, true)));
        // A ring that comes back to touch one of its vertices.
        let touching = wkt!(LINESTRING(0. 0.,10. 0.,10. 10.,5. 0.,0. 10.,0. 0.));
        assert!(self_intersects(&touching));
    }
}
