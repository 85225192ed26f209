//! The parts of a large place that no service area reaches, found cell by cell.
//!
//! Measuring a district against the thousands of service areas that reach it as one overlay
//! costs their edges' crossings. But a point of the place lies in the nearest-facility cell
//! of some site `i`, and only service areas near that cell can hold it:
//!
//! ```text
//! place − ⋃_j area(j)  =  ⋃_i ( (place ∩ cell_i) − ⋃_{j near cell_i} area(j) )
//! ```
//!
//! The equality is exact for any service areas, so the gaps are those of the one overlay
//! (up to its rounding): only the work is cut.
//!
//! 1. **Held cells.** Most pieces `place ∩ cell_i` lie within the inner radius of site
//!    `i`'s own area (every vertex inside it, and the area is convex): covered, skipped.
//! 2. **Gap cells.** Each other piece is overlaid with its own site's area, which leaves
//!    little (the cell's corners beyond the radius), then with the neighbours' areas over
//!    what is left. A cell with something left holds part of a gap.
//! 3. **Gaps.** A gap often spans the cells around a Voronoi vertex. The bits of two cells
//!    overlaid apart do not meet exactly along their shared border (each is cut by it, and
//!    each overlay rounds to its own grid), so gap cells whose boxes touch are grouped, and
//!    a group of more than one is overlaid again as one: the place within the group's box
//!    against the areas that reach it, as the one overlay would, with no cell borders.
//!
//! The cells are clipped to the square `site ± max_radius_m`: a part of the place outside
//! every clipped cell would be missed. So each ring of the place is checked to be tiled by
//! its pieces (their areas add up to its own); where one is not, the caller measures the
//! place the one-overlay way.

use geo::{Coord, Polygon, Rect};
use rstar::{Envelope, RTreeObject, AABB};

use rayon::prelude::*;

use super::LOCAL_MIN_VERTICES;
use super::{
    clip_half_plane, dot, points_box, prepare_rings, twice_ring_area, NearestCells, Ring, Scratch,
};
use crate::reach::circles::linked_groups;
use crate::reach::{difference_of, open_rings};

/// Pieces tile a ring when their areas add up to the ring's within this share of it (and
/// [`TILE_SLACK_M2`]): the rounding of thousands of pieces' areas, far below any gap.
const TILE_TOLERANCE: f64 = 1e-9;

/// Absolute slack of the tiling check, m².
const TILE_SLACK_M2: f64 = 1e-3;

/// The service areas a place is measured against, seen from the cells.
pub(crate) struct Areas<'a> {
    /// Every point within this distance of a site lies inside its service area.
    pub inner_m: f64,
    /// No point farther than this from a site lies inside its service area.
    pub reach_m: f64,
    /// The service area of a site (local coordinates), over (at least) a window (local
    /// coordinates); counter-clockwise.
    pub within: &'a (dyn Fn(Coord<f64>, Rect<f64>) -> Polygon<f64> + Sync),
}

impl NearestCells {
    /// The parts of `place` (a valid boundary, working CRS) outside every site's service
    /// area, in coordinates relative to `origin`; `None` when the cells do not tile the
    /// place (see the module's notes), or when `areas` reach farther than the cells.
    pub(crate) fn uncovered(
        &self,
        place: &geo::MultiPolygon<f64>,
        origin: Coord<f64>,
        areas: &Areas<'_>,
    ) -> Option<Vec<Polygon<f64>>> {
        if areas.reach_m.is_nan() || areas.reach_m > self.max_radius_m {
            return None;
        }
        let rings = prepare_rings(place, LOCAL_MIN_VERTICES);
        let bbox = rings.iter().map(|r| r.bbox).reduce(|a, b| a.merged(&b))?;
        // Cell by cell, in parallel (a district meets thousands): each cell's share of each
        // ring's area, and its gap bits if it has any, in the order of the hits.
        let hits: Vec<_> = self.index.locate_in_envelope_intersecting(&bbox).collect();
        let per_cell: Vec<(RingShares, Vec<Polygon<f64>>)> = hits
            .par_iter()
            .map_init(Scratch::default, |scratch, hit| {
                self.gap_in_cell(&rings, (hit.data, hit.envelope()), origin, areas, scratch)
            })
            .collect();
        let mut tiled = vec![0.0; rings.len()];
        // The uncovered bits of each cell that has any.
        let mut found: Vec<Vec<Polygon<f64>>> = Vec::new();
        for (shares, bits) in per_cell {
            for (k, twice) in shares {
                tiled[k] += twice;
            }
            if !bits.is_empty() {
                found.push(bits);
            }
        }
        // Twice the areas, signed as the rings wind.
        let tiles = rings.iter().zip(&tiled).all(|(ring, &sum)| {
            let twice = twice_ring_area(&ring.pts);
            (sum - twice).abs() <= TILE_TOLERANCE * twice.abs() + 2.0 * TILE_SLACK_M2
        });
        if !tiles {
            return None;
        }
        let mut gaps = Vec::new();
        for (group, window) in touching_groups(&found) {
            match group.as_slice() {
                [one] => gaps.append(&mut found[*one]),
                _ => {
                    // Everything of the place outside the bits' box is covered, or belongs
                    // to another group: only its part inside it is overlaid again.
                    let subject = place_within(&rings, window, origin);
                    gaps.extend(self.uncovered_by_near(&subject, None, origin, areas));
                }
            }
        }
        Some(gaps)
    }

    /// The place's pieces in cell `i` (its box `cell_box`): twice their signed areas by
    /// ring, and what of them no service area covers (nothing where all pieces lie within
    /// the inner radius).
    fn gap_in_cell(
        &self,
        rings: &[Ring],
        (i, cell_box): (usize, AABB<[f64; 2]>),
        origin: Coord<f64>,
        areas: &Areas<'_>,
        scratch: &mut Scratch,
    ) -> (RingShares, Vec<Polygon<f64>>) {
        let site = self.sites[i];
        let cell = &self.cells[i];
        let inner2 = areas.inner_m * areas.inner_m * (1.0 - 1e-12);
        let mut shares = Vec::new();
        let mut pieces: Vec<Vec<Coord<f64>>> = Vec::new();
        let mut held = true;
        for (k, ring) in rings.iter().enumerate() {
            if !ring.bbox.intersects(&cell_box) {
                continue;
            }
            let piece = scratch.piece(ring, site, cell, &cell_box);
            if piece.len() < 3 {
                continue;
            }
            shares.push((k, twice_ring_area(piece)));
            // Held when all its vertices are: the site's area is convex.
            held &= piece.iter().all(|&p| dot(p, p) <= inner2);
            // Winding +1 inside the place: reversed where the ring winds the other way.
            let mut path: Vec<Coord<f64>> = piece.iter().map(|&p| p + site - origin).collect();
            if ring.sign < 0.0 {
                path.reverse();
            }
            pieces.push(path);
        }
        if held {
            return (shares, Vec::new());
        }
        let bits = self.uncovered_bit(&pieces, site, origin, areas);
        (shares, bits)
    }

    /// `subject` (the pieces of the place in `site`'s cell, relative to `origin`) minus the
    /// service areas that can reach it: first the site's own, which leaves little (the
    /// cell's corners beyond its radius), then the neighbours' over what is left.
    fn uncovered_bit(
        &self,
        subject: &[Vec<Coord<f64>>],
        site: Coord<f64>,
        origin: Coord<f64>,
        areas: &Areas<'_>,
    ) -> Vec<Polygon<f64>> {
        let centre = site - origin;
        let Some(beyond) = beyond_inner(subject, centre, areas.inner_m) else {
            return Vec::new();
        };
        // Only the part of the subject in that box can be uncovered: the own area is
        // overlaid there, clipped to it, with a few of its vertices instead of all.
        let near: Vec<Vec<Coord<f64>>> = subject
            .iter()
            .map(|path| clip_to(path, beyond))
            .filter(|path| path.len() >= 3)
            .collect();
        let own = (areas.within)(centre, beyond);
        let left = difference_of(&near, std::slice::from_ref(&own));
        if left.is_empty() {
            return left;
        }
        self.uncovered_by_near(&pieces_of(&left), Some(site), origin, areas)
    }

    /// `subject` (relative to `origin`) minus the service areas of every site that can
    /// reach it, but `except`.
    fn uncovered_by_near(
        &self,
        subject: &[Vec<Coord<f64>>],
        except: Option<Coord<f64>>,
        origin: Coord<f64>,
        areas: &Areas<'_>,
    ) -> Vec<Polygon<f64>> {
        let window = window_around(subject);
        let reach = areas.reach_m;
        let near = AABB::from_corners(
            [
                window.min().x + origin.x - reach,
                window.min().y + origin.y - reach,
            ],
            [
                window.max().x + origin.x + reach,
                window.max().y + origin.y + reach,
            ],
        );
        // A site's area can meet the subject only if the site is within reach of its box.
        let subject_box = AABB::from_corners(
            [window.min().x + origin.x, window.min().y + origin.y],
            [window.max().x + origin.x, window.max().y + origin.y],
        );
        let clip: Vec<Polygon<f64>> = self
            .index
            .locate_in_envelope_intersecting(&near)
            .map(|hit| self.sites[hit.data])
            .filter(|&s| Some(s) != except && subject_box.distance_2(&[s.x, s.y]) <= reach * reach)
            .map(|s| (areas.within)(s - origin, window))
            .filter(|area| !area.exterior().0.is_empty())
            .collect();
        difference_of(subject, &clip)
    }
}

/// A box holding every part of `paths` farther than `inner_m` from `centre` (a metre
/// larger on each side), `None` if there is none: the box of the edges with an end beyond
/// `inner_m`. An edge with both ends within lies within (the disk is convex), and the parts
/// of the paths beyond reach their farthest extent on such edges, never inside an arc of
/// the circle (there the part lies on the circle's outer side).
fn beyond_inner(paths: &[Vec<Coord<f64>>], centre: Coord<f64>, inner_m: f64) -> Option<Rect<f64>> {
    let inner2 = inner_m * inner_m;
    let far = |p: Coord<f64>| dot(p - centre, p - centre) > inner2;
    let mut ends: Vec<Coord<f64>> = Vec::new();
    for path in paths {
        for (k, &a) in path.iter().enumerate() {
            let b = path[(k + 1) % path.len()];
            if far(a) || far(b) {
                ends.extend([a, b]);
            }
        }
    }
    (!ends.is_empty()).then(|| window_around(std::slice::from_ref(&ends)))
}

/// Twice the signed areas of a cell's pieces, by ring (its position in the place's rings).
type RingShares = Vec<(usize, f64)>;

/// The gap cells (their uncovered bits) in groups whose bits may touch (their boxes do,
/// through a chain of such cells), each group ascending, the groups by their first cell,
/// each with the box of its bits (a metre larger on each side). Groups are joined until no
/// two groups' boxes meet, so that the place inside one group's box holds no other group's
/// bits.
fn touching_groups(bits: &[Vec<Polygon<f64>>]) -> Vec<(Vec<usize>, Rect<f64>)> {
    let window = |group: &[usize]| {
        let paths: Vec<Vec<Coord<f64>>> = group.iter().flat_map(|&k| pieces_of(&bits[k])).collect();
        window_around(&paths)
    };
    let mut groups: Vec<(Vec<usize>, Rect<f64>)> =
        (0..bits.len()).map(|k| (vec![k], window(&[k]))).collect();
    loop {
        let windows: Vec<Rect<f64>> = groups.iter().map(|(_, w)| *w).collect();
        let joined = touching(&windows);
        if joined.len() == groups.len() {
            return groups;
        }
        groups = joined
            .into_iter()
            .map(|ids| {
                let mut group: Vec<usize> = ids.iter().flat_map(|&g| groups[g].0.clone()).collect();
                group.sort_unstable();
                let w = window(&group);
                (group, w)
            })
            .collect();
    }
}

/// Rectangles in groups that meet (through a chain), each group ascending, the groups by
/// their first rectangle.
fn touching(windows: &[Rect<f64>]) -> Vec<Vec<usize>> {
    use rstar::primitives::{GeomWithData, Rectangle};
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = windows
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let (lo, hi) = (w.min(), w.max());
            GeomWithData::new(Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]), k)
        })
        .collect();
    let tree = rstar::RTree::bulk_load(boxes.clone());
    linked_groups(windows.len(), |k| {
        tree.locate_in_envelope_intersecting(&boxes[k].envelope())
            .map(|other| other.data)
    })
}

/// The place's rings clipped to a window (local coordinates, relative to `origin`), each
/// wound +1 inside the place.
fn place_within(rings: &[Ring], window: Rect<f64>, origin: Coord<f64>) -> Vec<Vec<Coord<f64>>> {
    let near = AABB::from_corners(
        [window.min().x + origin.x, window.min().y + origin.y],
        [window.max().x + origin.x, window.max().y + origin.y],
    );
    rings
        .iter()
        .filter(|ring| ring.bbox.intersects(&near))
        .map(|ring| {
            let mut path: Vec<Coord<f64>> = ring.pts.iter().map(|&p| p - origin).collect();
            if ring.sign < 0.0 {
                path.reverse();
            }
            clip_to(&path, window)
        })
        .filter(|path| path.len() >= 3)
        .collect()
}

/// The part of a closed path inside a rectangle, its winding kept (see
/// [`clip_half_plane`]).
fn clip_to(path: &[Coord<f64>], window: Rect<f64>) -> Vec<Coord<f64>> {
    let (lo, hi) = (window.min(), window.max());
    let mut a = path.to_vec();
    let mut b = Vec::with_capacity(a.len() + 4);
    let sides: [&dyn Fn(Coord<f64>) -> f64; 4] =
        [&|p| lo.x - p.x, &|p| p.x - hi.x, &|p| lo.y - p.y, &|p| {
            p.y - hi.y
        }];
    for side in sides {
        clip_half_plane(&a, &mut b, side);
        std::mem::swap(&mut a, &mut b);
    }
    a
}

/// Polygons' rings as open paths (their orientation kept).
fn pieces_of(polygons: &[Polygon<f64>]) -> Vec<Vec<Coord<f64>>> {
    polygons
        .iter()
        .flat_map(open_rings)
        .map(<[Coord<f64>]>::to_vec)
        .collect()
}

/// The bounding box of some paths, a metre larger on each side so that a window's edges do
/// not run along the paths' edges.
fn window_around(paths: &[Vec<Coord<f64>>]) -> Rect<f64> {
    let b = paths
        .iter()
        .map(|path| points_box(path))
        .reduce(|a, b| a.merged(&b))
        .unwrap_or_else(|| AABB::from_point([0.0, 0.0]));
    let (lo, hi) = (b.lower(), b.upper());
    Rect::new(
        Coord {
            x: lo[0] - 1.0,
            y: lo[1] - 1.0,
        },
        Coord {
            x: hi[0] + 1.0,
            y: hi[1] + 1.0,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{c, poly, Rng, O};
    use super::*;
    use geo::{Area, LineString};
    use std::f64::consts::PI;

    /// A regular polygon of `n` sides around `centre` with its vertices at `r`,
    /// counter-clockwise.
    fn gon(centre: Coord<f64>, r: f64, n: usize) -> Polygon<f64> {
        let pts = (0..n).map(|k| {
            let a = 2.0 * PI * k as f64 / n as f64;
            centre
                + Coord {
                    x: r * a.cos(),
                    y: r * a.sin(),
                }
        });
        Polygon::new(LineString::from(pts.collect::<Vec<_>>()), vec![])
    }

    fn total(polygons: &[Polygon<f64>]) -> f64 {
        polygons.iter().map(|p| p.unsigned_area()).sum()
    }

    /// Four square service areas of side 800 centred in the quarters of a 2,000 m square:
    /// what is left is one gap, the square with four holes, 4,000,000 − 4 × 640,000 m². It
    /// spans all four cells, so their bits must come back joined.
    #[test]
    fn four_squares_leave_one_gap_with_four_holes() {
        let place = poly(
            &[(0.0, 0.0), (2000.0, 0.0), (2000.0, 2000.0), (0.0, 2000.0)],
            &[],
        );
        let sites = [
            c(500.0, 500.0),
            c(1500.0, 500.0),
            c(500.0, 1500.0),
            c(1500.0, 1500.0),
        ];
        let square = |site: Coord<f64>, _: Rect<f64>| gon(site, 400.0 * 2f64.sqrt(), 4);
        let within = |site: Coord<f64>, w: Rect<f64>| {
            let mut s = square(site, w);
            s.exterior_mut(|ring| {
                for p in ring.0.iter_mut() {
                    // Turn the diamond into an axis-aligned square.
                    let d = *p - site;
                    let (sin, cos) = (PI / 4.0).sin_cos();
                    *p = site
                        + Coord {
                            x: d.x * cos - d.y * sin,
                            y: d.x * sin + d.y * cos,
                        };
                }
            });
            s
        };
        let areas = Areas {
            inner_m: 400.0,
            reach_m: 400.0 * 2f64.sqrt(),
            within: &within,
        };
        let cells = NearestCells::new(&sites, 1200.0);
        let gaps = cells
            .uncovered(&place, O, &areas)
            .expect("the cells tile the square");
        assert_eq!(
            gaps.len(),
            1,
            "one gap: {:?}",
            gaps.iter().map(|g| g.unsigned_area()).collect::<Vec<_>>()
        );
        assert_eq!(gaps[0].interiors().len(), 4);
        let want = 4_000_000.0 - 4.0 * 640_000.0;
        assert!(
            (total(&gaps) - want).abs() <= 1e-6 * want,
            "{} vs {want}",
            total(&gaps)
        );
    }

    /// A district-sized place (a jagged 12 km square with a lake), 150 facilities, 1 km
    /// 64-gons: the gaps found cell by cell are those of one overlay of the place against
    /// every service area, one for one.
    #[test]
    fn gaps_equal_those_of_one_overlay() {
        let mut rng = Rng(18);
        let side = 12_000.0;
        let n = 400;
        let mut boundary = Vec::new();
        for k in 0..4 {
            for i in 0..n {
                let s = side * i as f64 / n as f64;
                let j = rng.range(0.0, 150.0) * (s.min(side - s) / 500.0).min(1.0);
                boundary.push(match k {
                    0 => (s, j),
                    1 => (side - j, s),
                    2 => (side - s, side - j),
                    _ => (j, side - s),
                });
            }
        }
        let lake: Vec<(f64, f64)> = (0..40)
            .map(|k| {
                let a = -2.0 * PI * k as f64 / 40.0;
                (5000.0 + 1500.0 * a.cos(), 6000.0 + 900.0 * a.sin())
            })
            .collect();
        let place = poly(&boundary, &[&lake]);
        let sites: Vec<Coord<f64>> = (0..150)
            .map(|_| {
                c(
                    rng.range(-500.0, side + 500.0),
                    rng.range(-500.0, side + 500.0),
                )
            })
            .collect();
        let r = 1000.0;
        let within = |site: Coord<f64>, _: Rect<f64>| gon(site, r, 64);
        let areas = Areas {
            inner_m: r * (PI / 64.0).cos(),
            reach_m: r,
            within: &within,
        };
        let cells = NearestCells::new(&sites, 2.0 * r);
        let got = cells
            .uncovered(&place, O, &areas)
            .expect("the cells tile the place");

        let open = |ring: &LineString<f64>| -> Vec<Coord<f64>> {
            ring.0[..ring.0.len() - 1].iter().map(|&p| p - O).collect()
        };
        let polygon = &place.0[0];
        let paths: Vec<Vec<Coord<f64>>> = std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .map(open)
            .collect();
        let all: Vec<Polygon<f64>> = sites.iter().map(|&s| gon(s - O, r, 64)).collect();
        let want = difference_of(&paths, &all);

        assert!(want.len() > 10, "a case with gaps: {}", want.len());
        assert!(total(&want) > 1e5);
        assert!(
            (total(&got) - total(&want)).abs() <= 1e-9 * place.unsigned_area(),
            "{} vs {}",
            total(&got),
            total(&want)
        );
        let sizes = |gaps: &[Polygon<f64>]| {
            let mut a: Vec<f64> = gaps
                .iter()
                .map(|g| g.unsigned_area())
                .filter(|&a| a > 1e-3)
                .collect();
            a.sort_by(f64::total_cmp);
            a
        };
        // Each overlay rounds to its own integer grid over its own box (here 12 km in 2³¹
        // steps, 6 µm): a gap's area moves by about its perimeter times a step.
        let (g, w) = (sizes(&got), sizes(&want));
        assert_eq!(g.len(), w.len(), "gaps one for one");
        for (a, b) in g.iter().zip(&w) {
            assert!((a - b).abs() <= 1e-3 + 1e-6 * b, "{a} vs {b}");
        }
    }

    /// Where part of the place lies beyond every cell (beyond `max_radius_m` of every
    /// site), or the areas reach farther than the cells, the cells cannot say.
    #[test]
    fn untiled_places_are_left_to_the_one_overlay() {
        let place = poly(
            &[(0.0, 0.0), (5000.0, 0.0), (5000.0, 1000.0), (0.0, 1000.0)],
            &[],
        );
        let sites = [c(500.0, 500.0), c(1500.0, 500.0)];
        let within = |site: Coord<f64>, _: Rect<f64>| gon(site, 600.0, 32);
        let areas = Areas {
            inner_m: 590.0,
            reach_m: 600.0,
            within: &within,
        };
        assert!(NearestCells::new(&sites, 1200.0)
            .uncovered(&place, O, &areas)
            .is_none());
        let near = poly(
            &[(0.0, 0.0), (2000.0, 0.0), (2000.0, 1000.0), (0.0, 1000.0)],
            &[],
        );
        let cells = NearestCells::new(&sites, 1200.0);
        let gaps = cells.uncovered(&near, O, &areas).expect("tiled");
        assert!(total(&gaps) > 0.0);
        let wide = Areas {
            reach_m: 1300.0,
            ..areas
        };
        assert!(cells.uncovered(&near, O, &wide).is_none());
    }
}
