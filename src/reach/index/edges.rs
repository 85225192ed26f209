//! An R-tree of a large place's edges, so that "is this facility within reach of the
//! place" and "does this district hold this point" cost a lookup rather than a pass over
//! every vertex of a district.

use geo::{Coord, MultiPolygon};
use rstar::primitives::Line;
use rstar::{RTree, AABB};

/// Places with at least this many vertices get an edge index; smaller ones are measured
/// directly.
pub const INDEXED_FROM: usize = 256;

/// The edges of a place's rings.
#[derive(Debug, Clone)]
pub struct EdgeIndex {
    tree: RTree<Line<[f64; 2]>>,
    max_x: f64,
}

impl EdgeIndex {
    /// The edges of `boundary` (closed rings), if it has `INDEXED_FROM` vertices or more.
    pub fn of(boundary: &MultiPolygon<f64>) -> Option<EdgeIndex> {
        // Counted first: most places are small, and need no list of their edges.
        if geo::CoordsIter::coords_count(boundary) < INDEXED_FROM {
            return None;
        }
        let lines: Vec<Line<[f64; 2]>> = boundary
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|ring| ring.lines())
            .map(|l| Line::new([l.start.x, l.start.y], [l.end.x, l.end.y]))
            .collect();
        if lines.len() < INDEXED_FROM {
            return None;
        }
        let max_x = lines
            .iter()
            .map(|l| l.from[0].max(l.to[0]))
            .fold(f64::NEG_INFINITY, f64::max);
        Some(EdgeIndex {
            tree: RTree::bulk_load(lines),
            max_x,
        })
    }

    /// Whether `c` lies inside the place or within `distance_m` of its boundary.
    pub fn within(&self, c: Coord<f64>, distance_m: f64) -> bool {
        let p = [c.x, c.y];
        let d = distance_m.max(0.0);
        self.tree.locate_within_distance(p, d * d).next().is_some() || self.inside(c)
    }

    /// Whether the place and the rectangle from `min` to `max` meet: an edge crosses it, or
    /// it lies inside the place.
    pub fn meets(&self, min: Coord<f64>, max: Coord<f64>) -> bool {
        let rect = AABB::from_corners([min.x, min.y], [max.x, max.y]);
        self.tree
            .locate_in_envelope_intersecting(&rect)
            .next()
            .is_some()
            || self.inside((min + max) / 2.0)
    }

    /// Whether `c` is inside the rings (even-odd rule): edges crossed by the ray from `c`
    /// to the east, each counted on its half-open span of y.
    fn inside(&self, c: Coord<f64>) -> bool {
        if c.x > self.max_x {
            return false;
        }
        let ray = AABB::from_corners([c.x, c.y], [self.max_x, c.y]);
        let crossings = self
            .tree
            .locate_in_envelope_intersecting(&ray)
            .filter(|l| {
                let ([x0, y0], [x1, y1]) = (l.from, l.to);
                if (y0 > c.y) == (y1 > c.y) {
                    return false;
                }
                let x = x0 + (c.y - y0) / (y1 - y0) * (x1 - x0);
                x > c.x
            })
            .count();
        crossings % 2 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Euclidean, LineString, Point, Polygon};

    /// A star with a hole: 400 vertices, concave, so every rule is tried.
    fn star() -> MultiPolygon<f64> {
        let ring = |r0: f64, r1: f64, n: usize| -> LineString<f64> {
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|k| {
                    let a = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
                    let r = if k % 2 == 0 { r0 } else { r1 };
                    Coord {
                        x: 5.0e5 + r * a.cos(),
                        y: 4.3e6 + r * a.sin(),
                    }
                })
                .collect();
            pts.push(pts[0]);
            LineString(pts)
        };
        MultiPolygon(vec![Polygon::new(
            ring(1000.0, 700.0, 400),
            vec![ring(200.0, 150.0, 40)],
        )])
    }

    /// The same answer as geo's distance from a point to the polygon, on a grid of points
    /// in, out, in the hole and near the edges.
    #[test]
    fn agrees_with_the_distance_to_the_boundary() {
        let place = star();
        let index = EdgeIndex::of(&place).unwrap();
        let mut tried = 0;
        for i in -60..=60 {
            for j in -60..=60 {
                let c = Coord {
                    x: 5.0e5 + 19.3 * i as f64,
                    y: 4.3e6 + 19.7 * j as f64,
                };
                let d = Euclidean.distance(&Point::from(c), &place);
                for reach in [0.0, 25.0, 100.0] {
                    // Away from the exact threshold, where rounding could differ.
                    if (d - reach).abs() > 1e-6 {
                        assert_eq!(index.within(c, reach), d <= reach, "{c:?} at {reach}");
                        tried += 1;
                    }
                }
            }
        }
        assert!(tried > 30_000, "{tried}");
    }

    #[test]
    fn small_places_are_not_indexed() {
        let square = geo::wkt!(MULTIPOLYGON(((0. 0.,1. 0.,1. 1.,0. 1.,0. 0.))));
        assert!(EdgeIndex::of(&square).is_none());
    }
}
