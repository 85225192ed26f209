//! Exact covered area of a place by straight-line service circles, for many radii at once.
//!
//! The covered part of a place at radius `r` is `place ∩ ⋃_f disk(f, r)`. Every point of
//! that union is within `r` of its *nearest* facility, so the union splits without overlap
//! along the Voronoi diagram of the facilities:
//!
//! ```text
//! covered(place, r) = Σ_f area(place ∩ cell_f ∩ disk(f, r))
//! ```
//!
//! However many circles overlap, each point is counted once, and each term involves one true
//! circle and one convex cell. The method:
//!
//! 1. **NearestCells** ([`NearestCells::new`]). Each facility's Voronoi cell, clipped to the square
//!    `site ± R` (`R` the largest radius asked for; the disk of radius `R` fits in it). The
//!    square is clipped by the bisector half-plane of each of the facility's neighbours in
//!    the Delaunay triangulation of the facilities (see `neighbours.rs`). Where the
//!    triangulation leaves a facility out (all on a line, or two closer than 1e-15), every
//!    other facility is taken from an R-tree nearest first instead, until one is farther
//!    than twice the cell's farthest vertex (its bisector then misses the cell).
//!    Coordinates are relative to the site, so projected coordinates (~5e5, 4e6) lose no
//!    precision. Facilities at the same point count once.
//! 2. **Pieces.** For each cell whose bounding box meets the place's, every ring of the place
//!    is clipped against the convex cell by Sutherland–Hodgman, ring by ring, keeping its
//!    orientation. A ring with many vertices is first cut down to its edges near the cell
//!    (see *Long rings* below).
//! 3. **Area.** By Green's theorem the area of `piece ∩ disk(f, r)` is a signed sum over the
//!    piece's edges `a → b` of `area(triangle(f, a, b) ∩ disk(f, r))` ([`disk_ring_area`]):
//!    the parts of an edge inside the circle give triangles, the parts outside give circular
//!    sectors `r²·Δθ/2`. Exterior rings add, holes subtract (whatever their orientation in
//!    the input), and the sum over facilities is clamped to `[0, area(place)]`.
//!
//! **Why degenerate edges are harmless.** Clipping a non-convex ring against a convex cell
//! replaces each excursion of the ring outside the cell by a path along the cell's border, so
//! the result can hold zero-width spikes: the same stretch of border walked one way and back.
//! Nothing downstream needs a valid polygon. The per-edge term `w(a, b)` is antisymmetric
//! (`w(b, a) = −w(a, b)`) and additive along a line (`w(a, b) + w(b, c) = w(a, c)` for `b`
//! on segment `ac`), so the edges of a spike cancel to rounding. More generally the signed
//! sum over any closed polyline is `∫ winding number × 1_disk dA`, and clipping by a
//! half-plane keeps the winding number of every point inside it. So the sum gives the area
//! of `place ∩ cell ∩ disk` exactly, and the same holds when a place edge lies on a bisector
//! or a facility sits on a vertex or edge of the place.
//!
//! **Long rings.** Clipping a 20,000-vertex boundary against each of 20,000 cells would cost
//! their product. Instead, a ring with at least `LOCAL_MIN_VERTICES` (64) vertices keeps an
//! R-tree of its edges, and for each cell we take only the runs of consecutive edges whose
//! boxes meet the cell's box `B`. The runs are joined by paths that run outside `B`, along a
//! box around `B` and the runs' ends. Each join differs from the stretch of ring it replaces
//! by a closed curve outside `B`, which changes the winding number by the same integer `K`
//! at every point of `B`. `K` is found at `B`'s centre (one ray query in the edge R-tree),
//! and `K` loops around the outer box put it right. Cost per cell is then the number of
//! edges near it, not the ring's length.

use geo::{Area, Coord, MultiPolygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{Envelope, RTree, RTreeObject, AABB};

mod gaps;
mod neighbours;

pub(crate) use gaps::Areas;
use neighbours::Neighbours;

/// Rings with at least this many vertices are cut down to their edges near each cell
/// before clipping; shorter rings are clipped whole.
const LOCAL_MIN_VERTICES: usize = 64;

type BoxTree = RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>;

/// Signed area of `ring ∩ disk(centre, r)`: positive for a counter-clockwise ring,
/// negative for a clockwise one.
///
/// `ring` may be given closed (last vertex = first) or open; the edge from the last
/// vertex back to the first is always implied. Self-intersecting or degenerate rings give
/// `∫ winding number × 1_disk`, which is what makes zero-width spikes cancel. A
/// negative or NaN `r` counts as 0. The centre is subtracted from every vertex first, so
/// projected coordinates lose no precision.
#[must_use]
pub fn disk_ring_area(centre: Coord<f64>, r: f64, ring: &[Coord<f64>]) -> f64 {
    let r = if r > 0.0 { r } else { 0.0 };
    let rel = |p: Coord<f64>| p - centre;
    let mut sum = 0.0;
    let mut prev = match ring.last() {
        Some(&p) => rel(p),
        None => return 0.0,
    };
    for &p in ring {
        let cur = rel(p);
        sum += wedge_area(prev, cur, r);
        prev = cur;
    }
    sum
}

/// Signed area of `triangle(0, a, b) ∩ disk(0, r)`.
///
/// Edges collinear with the centre (including through it, and zero-length edges) give 0.
/// Otherwise the segment `a + t(b − a)`, `t ∈ [0, 1]`, meets the circle at `t₁ ≤ t₂`;
/// clamped to `[0, 1]` they split it into an outer part (a sector), an inner part (a
/// triangle) and another outer part (a sector). Tangent and missing lines are one sector.
fn wedge_area(a: Coord<f64>, b: Coord<f64>, r: f64) -> f64 {
    let twice_triangle = cross(a, b);
    if twice_triangle == 0.0 {
        return 0.0;
    }
    let d = b - a;
    let dd = dot(d, d);
    // Squared half-chord times |d|²: r²|d|² − (a × d)², with a × d = a × b.
    let disc = r * r * dd - twice_triangle * twice_triangle;
    if disc <= 0.0 {
        return sector(a, b, r);
    }
    let ad = dot(a, d);
    let root = disc.sqrt();
    let t1 = ((-ad - root) / dd).clamp(0.0, 1.0);
    let t2 = ((-ad + root) / dd).clamp(0.0, 1.0);
    let p = a + d * t1;
    let q = a + d * t2;
    sector(a, p, r) + 0.5 * cross(p, q) + sector(q, b, r)
}

/// Signed area of the sector of radius `r` from direction `u` to direction `v` (the angle
/// between them is below π in magnitude wherever this is used).
fn sector(u: Coord<f64>, v: Coord<f64>, r: f64) -> f64 {
    0.5 * r * r * cross(u, v).atan2(dot(u, v))
}

fn cross(a: Coord<f64>, b: Coord<f64>) -> f64 {
    a.x * b.y - a.y * b.x
}

fn dot(a: Coord<f64>, b: Coord<f64>) -> f64 {
    a.x * b.x + a.y * b.y
}

/// Twice the signed area of a ring (open or closed), computed relative to its first vertex.
fn twice_ring_area(ring: &[Coord<f64>]) -> f64 {
    let Some(&o) = ring.first() else { return 0.0 };
    let mut sum = 0.0;
    let mut prev = match ring.last() {
        Some(&p) => p - o,
        None => return 0.0,
    };
    for &p in ring {
        let cur = p - o;
        sum += cross(prev, cur);
        prev = cur;
    }
    sum
}

/// Keeps the part of the closed polyline `src` where `side(p) <= 0`, Sutherland–Hodgman
/// style: each run outside is replaced by the straight piece of the boundary line between
/// where it left and where it came back. The winding number of every point where
/// `side(p) < 0` is kept (see the module's notes on degenerate edges).
pub(crate) fn clip_half_plane(
    src: &[Coord<f64>],
    dst: &mut Vec<Coord<f64>>,
    side: impl Fn(Coord<f64>) -> f64,
) {
    dst.clear();
    let Some(&last) = src.last() else { return };
    let (mut prev, mut s_prev) = (last, side(last));
    for &cur in src {
        let s_cur = side(cur);
        if (s_prev <= 0.0) != (s_cur <= 0.0) {
            let t = s_prev / (s_prev - s_cur);
            dst.push(prev + (cur - prev) * t);
        }
        if s_cur <= 0.0 {
            dst.push(cur);
        }
        (prev, s_prev) = (cur, s_cur);
    }
}

/// The square `± half` around a site, relative to it, counter-clockwise and not closed.
fn square(half: f64) -> Vec<Coord<f64>> {
    vec![
        Coord { x: -half, y: -half },
        Coord { x: half, y: -half },
        Coord { x: half, y: half },
        Coord { x: -half, y: half },
    ]
}

/// Cuts `cell` (relative to its site) by the bisector with a site at `d` from it.
fn cut(cell: &mut Vec<Coord<f64>>, buf: &mut Vec<Coord<f64>>, d: Coord<f64>) {
    let dd = dot(d, d);
    if dd == 0.0 {
        return;
    }
    clip_half_plane(cell, buf, |p| dot(p, d) - 0.5 * dd);
    std::mem::swap(cell, buf);
}

/// The Voronoi cell of `site` clipped to the square `± half` around it, relative to the
/// site, counter-clockwise and not closed, cut by its Delaunay `neighbours`.
fn cell_of_neighbours(
    site: Coord<f64>,
    neighbours: impl Iterator<Item = Coord<f64>>,
    half: f64,
) -> Vec<Coord<f64>> {
    let mut cell = square(half);
    let mut buf = Vec::with_capacity(8);
    for n in neighbours {
        cut(&mut cell, &mut buf, n - site);
    }
    cell
}

/// The Voronoi cell of `sites[i]` clipped to the square `± half` around it, relative to the
/// site, counter-clockwise and not closed, cut by the other sites nearest first. `tree`
/// holds all `sites` (distinct points).
fn voronoi_cell(
    i: usize,
    sites: &[Coord<f64>],
    tree: &BoxTreePoints,
    half: f64,
) -> Vec<Coord<f64>> {
    let mut cell = square(half);
    let mut reach2 = 2.0 * half * half;
    let mut buf = Vec::with_capacity(8);
    let site = sites[i];
    for neighbour in tree.nearest_neighbor_iter(&[site.x, site.y]) {
        if neighbour.data == i {
            continue;
        }
        let [x, y] = *neighbour.geom();
        let d = Coord { x, y } - site;
        // The bisector is |d|/2 away: past the farthest vertex it cannot cut.
        if dot(d, d) >= 4.0 * reach2 {
            break;
        }
        cut(&mut cell, &mut buf, d);
        reach2 = cell.iter().map(|&p| dot(p, p)).fold(0.0, f64::max);
    }
    cell
}

/// The cells of distinct `sites` clipped to `± half`: by Delaunay neighbours, or nearest
/// first where the triangulation leaves a site out.
fn cells_of(sites: &[Coord<f64>], half: f64) -> Vec<Vec<Coord<f64>>> {
    if let Some(neighbours) = Neighbours::of(sites) {
        return (0..sites.len())
            .into_par_iter()
            .map(|i| {
                let near = neighbours.of_site(i).iter().map(|&j| sites[j]);
                cell_of_neighbours(sites[i], near, half)
            })
            .collect();
    }
    let tree = point_tree(sites);
    (0..sites.len())
        .into_par_iter()
        .map(|i| voronoi_cell(i, sites, &tree, half))
        .collect()
}

/// The sites' R-tree; data is the position in `sites`.
fn point_tree(sites: &[Coord<f64>]) -> BoxTreePoints {
    let points = sites.iter().enumerate();
    RTree::bulk_load(
        points
            .map(|(i, p)| GeomWithData::new([p.x, p.y], i))
            .collect(),
    )
}

type BoxTreePoints = RTree<GeomWithData<[f64; 2], usize>>;

/// The facilities' Voronoi cells, clipped to the largest radius, ready to measure any
/// number of places at any radii up to that one.
#[derive(Clone, Debug)]
pub struct NearestCells {
    /// The distinct facility sites.
    sites: Vec<Coord<f64>>,
    /// Each site's cell, relative to the site, counter-clockwise, not closed.
    cells: Vec<Vec<Coord<f64>>>,
    /// The cells' bounding boxes (absolute coordinates); data is the position in `sites`.
    index: BoxTree,
    /// The largest radius the cells serve.
    max_radius_m: f64,
}

impl NearestCells {
    /// Builds the cells of `sites` for radii up to `max_radius_m` (metres, projected).
    ///
    /// Sites with a non-finite coordinate are skipped, and sites at the same point count
    /// once. A `max_radius_m` that is not finite and positive gives cells that cover nothing.
    #[must_use]
    pub fn new(sites: &[Coord<f64>], max_radius_m: f64) -> NearestCells {
        let max_radius_m = if max_radius_m.is_finite() && max_radius_m > 0.0 {
            max_radius_m
        } else {
            0.0
        };
        let sites = distinct_sites(sites);
        if max_radius_m == 0.0 {
            return NearestCells {
                sites,
                cells: Vec::new(),
                index: RTree::new(),
                max_radius_m,
            };
        }
        let cells = cells_of(&sites, max_radius_m);
        let boxes = cells.iter().enumerate().filter_map(|(i, cell)| {
            let rect = cell_box(sites[i], cell)?;
            Some(GeomWithData::new(rect, i))
        });
        NearestCells {
            index: RTree::bulk_load(boxes.collect()),
            sites,
            cells,
            max_radius_m,
        }
    }

    /// The largest radius these cells serve; larger radii are measured at this one.
    #[must_use]
    pub fn max_radius_m(&self) -> f64 {
        self.max_radius_m
    }

    /// The number of distinct facility sites.
    #[must_use]
    pub fn site_count(&self) -> usize {
        self.sites.len()
    }

    /// The area (m²) of `place` within each of `radii_m` of a facility, one per radius,
    /// in the order given (ascending is usual but not needed).
    ///
    /// A radius above [`NearestCells::max_radius_m`] is measured at that maximum, and a negative
    /// or NaN radius at 0. Exterior rings add and holes subtract whatever their
    /// orientation; rings with a non-finite coordinate are skipped. Each area is clamped
    /// to `[0, area(place)]`, which only trims rounding for a valid place.
    #[must_use]
    pub fn covered_m2(&self, place: &MultiPolygon<f64>, radii_m: &[f64]) -> Vec<f64> {
        self.covered_with(place, radii_m, LOCAL_MIN_VERTICES)
    }

    /// [`NearestCells::covered_m2`], cutting rings with at least `local_min` vertices down to
    /// their edges near each cell.
    fn covered_with(
        &self,
        place: &MultiPolygon<f64>,
        radii_m: &[f64],
        local_min: usize,
    ) -> Vec<f64> {
        let radii: Vec<f64> = radii_m.iter().map(|&r| self.clamp_radius(r)).collect();
        let mut total = vec![0.0; radii.len()];
        let rings = prepare_rings(place, local_min);
        let Some(bbox) = rings
            .iter()
            .map(|ring| ring.bbox)
            .reduce(|a, b| a.merged(&b))
        else {
            return total;
        };
        let mut scratch = Scratch::default();
        for hit in self.index.locate_in_envelope_intersecting(&bbox) {
            let cell_box = hit.envelope();
            let site = self.sites[hit.data];
            let cell = &self.cells[hit.data];
            for ring in rings.iter().filter(|ring| ring.bbox.intersects(&cell_box)) {
                let piece = scratch.piece(ring, site, cell, &cell_box);
                add_piece(piece, &radii, ring.sign, &mut total);
            }
        }
        let area = place.unsigned_area();
        total.iter().map(|v| v.max(0.0).min(area)).collect()
    }

    fn clamp_radius(&self, r: f64) -> f64 {
        if r > 0.0 {
            r.min(self.max_radius_m)
        } else {
            0.0
        }
    }
}

/// The finite sites, each point once (with −0.0 read as 0.0).
fn distinct_sites(sites: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = sites
        .iter()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .map(|p| Coord {
            x: p.x + 0.0,
            y: p.y + 0.0,
        })
        .collect();
    out.sort_unstable_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    out.dedup();
    out
}

/// The absolute bounding box of a cell given relative to `site` (`None` if degenerate).
fn cell_box(site: Coord<f64>, cell: &[Coord<f64>]) -> Option<Rectangle<[f64; 2]>> {
    if cell.len() < 3 {
        return None;
    }
    let first = *cell.first()?;
    let (lo, hi) = cell.iter().fold((first, first), |(lo, hi), p| {
        (
            Coord {
                x: lo.x.min(p.x),
                y: lo.y.min(p.y),
            },
            Coord {
                x: hi.x.max(p.x),
                y: hi.y.max(p.y),
            },
        )
    });
    let (lo, hi) = (site + lo, site + hi);
    Some(Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]))
}

/// One ring of the place, ready to be clipped against many cells.
struct Ring {
    /// Vertices, absolute, without the closing repeat.
    pts: Vec<Coord<f64>>,
    /// +1 or −1, so that `sign × winding number` is 1 inside the place.
    sign: f64,
    bbox: AABB<[f64; 2]>,
    /// Boxes of edge `i` (from `pts[i]` to the next vertex), for long rings.
    edges: Option<BoxTree>,
}

/// The place's rings with at least 3 vertices and finite coordinates.
fn prepare_rings(place: &MultiPolygon<f64>, local_min: usize) -> Vec<Ring> {
    let mut rings = Vec::new();
    for polygon in &place.0 {
        let holes = polygon.interiors().iter().map(|ring| (ring, -1.0));
        for (ring, role) in std::iter::once((polygon.exterior(), 1.0)).chain(holes) {
            let mut pts = ring.0.clone();
            if pts.len() > 1 && pts.first() == pts.last() {
                pts.pop();
            }
            if pts.len() < 3 || pts.iter().any(|p| !(p.x.is_finite() && p.y.is_finite())) {
                continue;
            }
            let sign = if twice_ring_area(&pts) >= 0.0 {
                role
            } else {
                -role
            };
            let bbox = points_box(&pts);
            let edges = (pts.len() >= local_min).then(|| edge_tree(&pts));
            rings.push(Ring {
                pts,
                sign,
                bbox,
                edges,
            });
        }
    }
    rings
}

/// The bounding box of some points (of at least one).
fn points_box(pts: &[Coord<f64>]) -> AABB<[f64; 2]> {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for p in pts {
        lo = [lo[0].min(p.x), lo[1].min(p.y)];
        hi = [hi[0].max(p.x), hi[1].max(p.y)];
    }
    AABB::from_corners(lo, hi)
}

/// An R-tree of the boxes of a ring's edges; data is the edge's first vertex.
fn edge_tree(pts: &[Coord<f64>]) -> BoxTree {
    let n = pts.len();
    let boxes = (0..n).map(|i| {
        let (a, b) = (pts[i], pts[(i + 1) % n]);
        GeomWithData::new(Rectangle::from_corners([a.x, a.y], [b.x, b.y]), i)
    });
    RTree::bulk_load(boxes.collect())
}

/// Buffers reused from cell to cell.
#[derive(Default)]
struct Scratch {
    local: Vec<Coord<f64>>,
    hits: Vec<usize>,
    a: Vec<Coord<f64>>,
    b: Vec<Coord<f64>>,
}

impl Scratch {
    /// `ring` clipped to `cell` (relative to `site`, as is the result).
    fn piece(
        &mut self,
        ring: &Ring,
        site: Coord<f64>,
        cell: &[Coord<f64>],
        cell_box: &AABB<[f64; 2]>,
    ) -> &[Coord<f64>] {
        let subject = match &ring.edges {
            Some(tree) => {
                local_ring(ring, tree, cell_box, &mut self.hits, &mut self.local);
                &self.local
            }
            None => &ring.pts,
        };
        self.a.clear();
        self.a.extend(subject.iter().map(|&p| p - site));
        let n = cell.len();
        for k in 0..n {
            let (c0, c1) = (cell[k], cell[(k + 1) % n]);
            let e = c1 - c0;
            clip_half_plane(&self.a, &mut self.b, |p| cross(p - c0, e));
            std::mem::swap(&mut self.a, &mut self.b);
            if self.a.is_empty() {
                break;
            }
        }
        &self.a
    }
}

/// Adds `sign ×` the area of `piece ∩ disk(0, r)` to `total` for each radius.
fn add_piece(piece: &[Coord<f64>], radii: &[f64], sign: f64, total: &mut [f64]) {
    if piece.len() < 3 {
        return;
    }
    let reach2 = piece.iter().map(|&p| dot(p, p)).fold(0.0, f64::max);
    let mut whole = None;
    for (&r, t) in radii.iter().zip(total.iter_mut()) {
        let area = if r * r >= reach2 {
            // The disk holds every vertex, hence the whole piece.
            *whole.get_or_insert_with(|| 0.5 * twice_ring_area(piece))
        } else {
            disk_ring_area(Coord::zero(), r, piece)
        };
        *t += sign * area;
    }
}

/// Writes into `out` a closed polyline with the same winding number as `ring` at every
/// point inside `b`, made of the ring's edges whose boxes meet `b`, joined outside `b`.
fn local_ring(
    ring: &Ring,
    tree: &BoxTree,
    b: &AABB<[f64; 2]>,
    hits: &mut Vec<usize>,
    out: &mut Vec<Coord<f64>>,
) {
    out.clear();
    hits.clear();
    hits.extend(tree.locate_in_envelope_intersecting(b).map(|e| e.data));
    hits.sort_unstable();
    let pts = &ring.pts;
    let n = pts.len();
    if hits.len() == n {
        out.extend_from_slice(pts);
        return;
    }
    let runs = runs(hits, n);
    // Each run's vertices are `start ..= start + len` (mod n); its ends lie outside `b`.
    let ends = runs
        .iter()
        .flat_map(|&(s, len)| [pts[s], pts[(s + len) % n]]);
    let outer = ends.fold(*b, |acc, p| acc.merged(&AABB::from_point([p.x, p.y])));
    for (k, &(start, len)) in runs.iter().enumerate() {
        out.extend((0..=len).map(|j| pts[(start + j) % n]));
        let next = runs[(k + 1) % runs.len()].0;
        join_outside(pts[(start + len) % n], pts[next], b, &outer, out);
    }
    let centre = Coord::from(b.center());
    let k = ring_winding(ring, tree, centre) - winding(out, centre);
    push_loops(k, &outer, out);
}

/// Runs of consecutive (cyclic) edge indices in the sorted `hits`: `(first, edge count)`.
fn runs(hits: &[usize], n: usize) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &i in hits {
        match runs.last_mut() {
            Some((start, len)) if *start + *len == i => *len += 1,
            _ => runs.push((i, 1)),
        }
    }
    // A run ending at the last edge continues into one starting at edge 0.
    if runs.len() > 1 {
        if let (Some(&(first, first_len)), Some(&(last, last_len))) = (runs.first(), runs.last()) {
            if first == 0 && last + last_len == n {
                runs.pop();
                runs[0] = (last, last_len + first_len);
            }
        }
    }
    runs
}

/// Appends a path from `from` to `to` (both outside `inner`, inside `outer`), not touching
/// `inner`'s interior: straight out to `outer`'s border, along it counter-clockwise, and
/// straight in. `from` and `to` themselves are not appended.
fn join_outside(
    from: Coord<f64>,
    to: Coord<f64>,
    inner: &AABB<[f64; 2]>,
    outer: &AABB<[f64; 2]>,
    out: &mut Vec<Coord<f64>>,
) {
    let (p, q) = (exit_point(from, inner, outer), exit_point(to, inner, outer));
    out.push(p);
    let perimeter = border_position(outer.upper().into(), outer) * 2.0;
    let tp = border_position(p, outer);
    let mut tq = border_position(q, outer);
    if tq < tp {
        tq += perimeter;
    }
    let corners = corners_ccw(outer);
    for lap in [0.0, perimeter] {
        for (c, tc) in corners {
            if tc + lap > tp && tc + lap < tq {
                out.push(c);
            }
        }
    }
    out.push(q);
}

/// The point of `outer`'s border reached from `p` (outside `inner`) along an axis,
/// moving away from `inner`.
fn exit_point(p: Coord<f64>, inner: &AABB<[f64; 2]>, outer: &AABB<[f64; 2]>) -> Coord<f64> {
    let ([x0, y0], [x1, y1]) = (inner.lower(), inner.upper());
    let ([ox0, oy0], [ox1, oy1]) = (outer.lower(), outer.upper());
    if p.x > x1 {
        Coord { x: ox1, y: p.y }
    } else if p.x < x0 {
        Coord { x: ox0, y: p.y }
    } else if p.y > y1 {
        Coord { x: p.x, y: oy1 }
    } else if p.y < y0 {
        Coord { x: p.x, y: oy0 }
    } else {
        p
    }
}

/// Distance along the border of `b`, counter-clockwise from its lower-left corner, of
/// a point on that border.
fn border_position(p: Coord<f64>, b: &AABB<[f64; 2]>) -> f64 {
    let ([x0, y0], [x1, y1]) = (b.lower(), b.upper());
    let (w, h) = (x1 - x0, y1 - y0);
    if p.y <= y0 {
        p.x - x0
    } else if p.x >= x1 {
        w + (p.y - y0)
    } else if p.y >= y1 {
        w + h + (x1 - p.x)
    } else {
        2.0 * w + h + (y1 - p.y)
    }
}

/// The corners of `b`, counter-clockwise from the lower left, with their border positions.
fn corners_ccw(b: &AABB<[f64; 2]>) -> [(Coord<f64>, f64); 4] {
    let ([x0, y0], [x1, y1]) = (b.lower(), b.upper());
    let (w, h) = (x1 - x0, y1 - y0);
    [
        (Coord { x: x0, y: y0 }, 0.0),
        (Coord { x: x1, y: y0 }, w),
        (Coord { x: x1, y: y1 }, w + h),
        (Coord { x: x0, y: y1 }, 2.0 * w + h),
    ]
}

/// Appends `|k|` loops around `b`'s border (counter-clockwise for `k > 0`), starting and
/// ending at the last point of `out` (which is on the border) or at a corner.
fn push_loops(k: i64, b: &AABB<[f64; 2]>, out: &mut Vec<Coord<f64>>) {
    if k == 0 {
        return;
    }
    let start = out.last().copied();
    let from = start.map_or(0.0, |p| border_position(p, b));
    let corners = corners_ccw(b);
    let after = corners.iter().filter(|&&(_, t)| t > from);
    let before = corners.iter().filter(|&&(_, t)| t <= from);
    let mut lap: Vec<Coord<f64>> = after.chain(before).map(|&(c, _)| c).collect();
    if k < 0 {
        lap.reverse();
    }
    lap.extend(start);
    for _ in 0..k.unsigned_abs() {
        out.extend_from_slice(&lap);
    }
}

/// Winding number contribution of edge `a → b` around `c` (crossings of the ray from `c`
/// towards +x, upward +1, downward −1, half-open in y).
fn crossing(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> i64 {
    let left = cross(b - a, c - a);
    if a.y <= c.y {
        i64::from(b.y > c.y && left > 0.0)
    } else {
        -i64::from(b.y <= c.y && left < 0.0)
    }
}

/// Winding number of the closed polyline `pts` around `c`.
fn winding(pts: &[Coord<f64>], c: Coord<f64>) -> i64 {
    let Some(&last) = pts.last() else { return 0 };
    let mut prev = last;
    let mut sum = 0;
    for &p in pts {
        sum += crossing(prev, p, c);
        prev = p;
    }
    sum
}

/// Winding number of `ring` around `c`, from the edges its R-tree finds on the ray.
fn ring_winding(ring: &Ring, tree: &BoxTree, c: Coord<f64>) -> i64 {
    let x_max = ring.bbox.upper()[0];
    if c.x > x_max {
        return 0;
    }
    let ray = AABB::from_corners([c.x, c.y], [x_max, c.y]);
    let n = ring.pts.len();
    tree.locate_in_envelope_intersecting(&ray)
        .map(|e| crossing(ring.pts[e.data], ring.pts[(e.data + 1) % n], c))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};
    use std::f64::consts::{PI, SQRT_2};

    /// Projected-looking origin, to check that precision survives large coordinates.
    pub(super) const O: Coord<f64> = Coord {
        x: 512_345.678,
        y: 4_012_345.321,
    };

    pub(super) fn c(x: f64, y: f64) -> Coord<f64> {
        Coord {
            x: O.x + x,
            y: O.y + y,
        }
    }

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(pts.iter().map(|&(x, y)| c(x, y)).collect::<Vec<_>>())
    }

    fn square(a: f64) -> Vec<(f64, f64)> {
        vec![(-a, -a), (a, -a), (a, a), (-a, a)]
    }

    pub(super) fn poly(exterior: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> MultiPolygon<f64> {
        let holes = holes.iter().map(|h| ring(h)).collect();
        MultiPolygon(vec![Polygon::new(ring(exterior), holes)])
    }

    /// Area of the square `[-a, a]²` within `r` of its centre.
    fn square_disk(a: f64, r: f64) -> f64 {
        if r <= a {
            PI * r * r
        } else if r <= a * SQRT_2 {
            PI * r * r - 4.0 * (r * r * (a / r).acos() - a * (r * r - a * a).sqrt())
        } else {
            4.0 * a * a
        }
    }

    fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
        assert!(
            (got - want).abs() <= tol,
            "{what}: got {got}, want {want}, diff {:e}",
            got - want
        );
    }

    /// Covered area by horizontal scan lines (midpoint rule): the place's and the disks'
    /// intervals on each line, intersected. Independent of everything above.
    fn scan_covered(place: &MultiPolygon<f64>, sites: &[Coord<f64>], r: f64, lines: usize) -> f64 {
        let pts: Vec<Coord<f64>> = place
            .0
            .iter()
            .flat_map(|p| p.exterior().0.clone())
            .collect();
        let (y0, y1) = pts.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p.y), hi.max(p.y))
        });
        let dy = (y1 - y0) / lines as f64;
        let mut sum = 0.0;
        for k in 0..lines {
            let y = y0 + (k as f64 + 0.5) * dy;
            let mut xs = Vec::new();
            for polygon in &place.0 {
                for ls in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    for line in ls.lines() {
                        let (a, b) = (line.start, line.end);
                        if (a.y <= y) != (b.y <= y) {
                            xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
                        }
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            let inside: Vec<(f64, f64)> = xs.chunks(2).map(|w| (w[0], w[1])).collect();
            let mut disks: Vec<(f64, f64)> = sites
                .iter()
                .filter(|s| (y - s.y).abs() < r)
                .map(|s| {
                    let h = (r * r - (y - s.y) * (y - s.y)).sqrt();
                    (s.x - h, s.x + h)
                })
                .collect();
            disks.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut merged: Vec<(f64, f64)> = Vec::new();
            for d in disks {
                match merged.last_mut() {
                    Some(m) if d.0 <= m.1 => m.1 = m.1.max(d.1),
                    _ => merged.push(d),
                }
            }
            for &(a, b) in &inside {
                for &(p, q) in &merged {
                    sum += (b.min(q) - a.max(p)).max(0.0);
                }
            }
        }
        sum * dy
    }

    /// Checks `covered_m2` against the scan-line integral at every radius, and that
    /// the long-ring path agrees with clipping whole rings.
    fn check_against_scan(
        place: &MultiPolygon<f64>,
        sites: &[Coord<f64>],
        radii: &[f64],
        tol_rel: f64,
    ) {
        let max = radii.iter().copied().fold(0.0, f64::max);
        let cells = NearestCells::new(sites, max);
        let got = cells.covered_m2(place, radii);
        let local = cells.covered_with(place, radii, 3);
        let whole = cells.covered_with(place, radii, usize::MAX);
        let area = place.unsigned_area();
        for (i, &r) in radii.iter().enumerate() {
            let want = scan_covered(place, sites, r, 100_000);
            assert_close(got[i], want, tol_rel * area, &format!("r = {r}"));
            assert_close(local[i], whole[i], 1e-10 * area, &format!("local r = {r}"));
        }
    }

    #[test]
    fn square_centred_on_facility_matches_closed_form() {
        let a = 1000.0;
        let place = poly(&square(a), &[]);
        let radii = [
            1.0,
            0.5 * a,
            a - 1e-9,
            a,
            a + 1e-9,
            1.2 * a,
            a * SQRT_2,
            a * SQRT_2 + 1e-6,
            1.5 * a,
            2.0 * a,
        ];
        let cells = NearestCells::new(&[c(0.0, 0.0)], 2.0 * a);
        let got = cells.covered_m2(&place, &radii);
        for (&r, &g) in radii.iter().zip(&got) {
            let want = square_disk(a, r);
            assert_close(g, want, 1e-9 * want, &format!("r = {r}"));
            let direct = disk_ring_area(c(0.0, 0.0), r, &place.0[0].exterior().0);
            assert_close(direct, want, 1e-9 * want, &format!("direct r = {r}"));
        }
    }

    #[test]
    fn disk_ring_area_edge_cases() {
        let sq: Vec<Coord<f64>> = square(1.0).iter().map(|&(x, y)| c(x, y)).collect();
        let mut closed = sq.clone();
        closed.push(sq[0]);
        let mut cw = sq.clone();
        cw.reverse();
        // Repeated vertices are zero-length edges.
        let stutter: Vec<Coord<f64>> = sq.iter().flat_map(|&p| [p, p, p]).collect();
        for r in [0.3, 1.0, 1.2, SQRT_2, 3.0] {
            let want = square_disk(1.0, r);
            assert_close(disk_ring_area(c(0.0, 0.0), r, &sq), want, 1e-12, "open");
            assert_close(
                disk_ring_area(c(0.0, 0.0), r, &closed),
                want,
                1e-12,
                "closed",
            );
            assert_close(
                disk_ring_area(c(0.0, 0.0), r, &cw),
                -want,
                1e-12,
                "clockwise",
            );
            assert_close(
                disk_ring_area(c(0.0, 0.0), r, &stutter),
                want,
                1e-12,
                "repeated",
            );
            // Centre on a vertex: a quarter; on an edge's midpoint: a half (small r).
            let quarter = disk_ring_area(c(-1.0, -1.0), r.min(2.0) / 2.0, &sq);
            assert_close(
                quarter,
                PI * (r.min(2.0) / 2.0).powi(2) / 4.0,
                1e-12,
                "vertex",
            );
            let half = disk_ring_area(c(0.0, -1.0), r.min(1.0), &sq);
            assert_close(half, PI * r.min(1.0).powi(2) / 2.0, 1e-12, "edge");
        }
        assert_eq!(disk_ring_area(c(0.0, 0.0), 1.0, &[]), 0.0);
        assert_eq!(disk_ring_area(c(0.0, 0.0), -1.0, &sq), 0.0);
        assert_eq!(disk_ring_area(c(0.0, 0.0), f64::NAN, &sq), 0.0);
    }

    #[test]
    fn wedge_area_tangent_and_through_centre() {
        let r = 2.0;
        // Tangent edge from (2, -2) to (2, 2), touching at (2, 0): one quarter-turn sector.
        let tangent = wedge_area(Coord { x: 2.0, y: -2.0 }, Coord { x: 2.0, y: 2.0 }, r);
        assert_close(tangent, 0.5 * r * r * (PI / 2.0), 1e-14, "tangent");
        // Through the centre, and zero-length.
        assert_eq!(
            wedge_area(Coord { x: -3.0, y: 0.0 }, Coord { x: 3.0, y: 0.0 }, r),
            0.0
        );
        assert_eq!(
            wedge_area(Coord { x: 1.0, y: 1.0 }, Coord { x: 1.0, y: 1.0 }, r),
            0.0
        );
        // Both ends exactly on the circle: the triangle itself.
        let chord = wedge_area(Coord { x: r, y: 0.0 }, Coord { x: 0.0, y: r }, r);
        assert_close(chord, 0.5 * r * r, 1e-14, "chord");
        // Both ends outside, chord inside: sector + triangle + sector.
        let (a, b) = (Coord { x: 1.0, y: -3.0 }, Coord { x: 1.0, y: 3.0 });
        // Chord at x = 1 of half-length h (triangle area h), and two sectors from
        // atan(3) down to atan(h) = π/3 on each side.
        let h = (r * r - 1.0f64).sqrt();
        let want = h + r * r * (3.0f64.atan() - h.atan());
        assert_close(wedge_area(a, b, r), want, 1e-14, "secant");
    }

    #[test]
    fn place_with_hole() {
        let place = poly(
            &square(10.0),
            &[&[(-2.0, -2.0), (-2.0, 2.0), (2.0, 2.0), (2.0, -2.0)]],
        );
        let radii = [
            1.0,
            2.0,
            2.5,
            2.0 * SQRT_2,
            5.0,
            10.0,
            12.0,
            10.0 * SQRT_2,
            20.0,
        ];
        let got = NearestCells::new(&[c(0.0, 0.0)], 20.0).covered_m2(&place, &radii);
        for (&r, &g) in radii.iter().zip(&got) {
            let want = square_disk(10.0, r) - square_disk(2.0, r);
            assert_close(g, want, 1e-9 * 400.0, &format!("r = {r}"));
        }
        // Holes count whatever their orientation.
        let ccw_hole = poly(&square(10.0), &[&square(2.0)]);
        let again = NearestCells::new(&[c(0.0, 0.0)], 20.0).covered_m2(&ccw_hole, &radii);
        for (a, b) in got.iter().zip(&again) {
            assert_close(*a, *b, 1e-9, "hole orientation");
        }
    }

    #[test]
    fn concave_places_and_outside_facility() {
        let l_shape = poly(
            &[
                (0.0, 0.0),
                (20.0, 0.0),
                (20.0, 8.0),
                (8.0, 8.0),
                (8.0, 20.0),
                (0.0, 20.0),
            ],
            &[],
        );
        let u_shape = poly(
            &[
                (0.0, 0.0),
                (30.0, 0.0),
                (30.0, 20.0),
                (22.0, 20.0),
                (22.0, 6.0),
                (8.0, 6.0),
                (8.0, 20.0),
                (0.0, 20.0),
            ],
            &[],
        );
        let sites = [
            c(15.0, 15.0),
            c(4.0, 4.0),
            c(-3.0, 12.0),
            c(26.0, 18.0),
            c(15.0, 25.0),
        ];
        let radii = [0.0, 2.0, 5.0, 9.0, 14.0, 30.0];
        check_against_scan(&l_shape, &sites, &radii, 1e-6);
        check_against_scan(&u_shape, &sites, &radii, 1e-6);
        // The inside of the U, wholly outside the place, from a facility there.
        let got = NearestCells::new(&[c(15.0, 15.0)], 30.0).covered_m2(&u_shape, &[5.0, 8.0]);
        assert_close(got[0], 0.0, 1e-9, "outside");
        assert!(got[1] > 0.0);
    }

    #[test]
    fn facilities_on_vertex_and_edge() {
        let place = poly(&[(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (0.0, 30.0)], &[]);
        let cells = NearestCells::new(&[c(0.0, 0.0), c(20.0, 0.0)], 50.0);
        let got = cells.covered_m2(&place, &[5.0, 10.0]);
        // Disjoint quarter and half disks.
        assert_close(got[0], PI * 25.0 * 0.75, 1e-9, "r = 5");
        assert_close(got[1], PI * 100.0 * 0.75, 1e-9, "r = 10");
        check_against_scan(
            &place,
            &[c(0.0, 0.0), c(20.0, 0.0), c(40.0, 15.0)],
            &[5.0, 12.0, 25.0, 50.0],
            1e-6,
        );
    }

    #[test]
    fn duplicate_facilities_count_once() {
        let place = poly(&square(10.0), &[]);
        let radii = [3.0, 11.0, 20.0];
        let one = NearestCells::new(&[c(1.0, 2.0)], 20.0);
        let dup = NearestCells::new(
            &[
                c(1.0, 2.0),
                c(1.0, 2.0),
                Coord {
                    x: f64::NAN,
                    y: 0.0,
                },
                c(1.0, 2.0),
            ],
            20.0,
        );
        assert_eq!(dup.site_count(), 1);
        assert_eq!(
            one.covered_m2(&place, &radii),
            dup.covered_m2(&place, &radii)
        );
        // Signed zeros are the same point.
        let zeros = NearestCells::new(&[Coord { x: 0.0, y: 0.0 }, Coord { x: -0.0, y: -0.0 }], 1.0);
        assert_eq!(zeros.site_count(), 1);
    }

    #[test]
    fn collinear_facilities_and_bisector_on_an_edge() {
        let place = poly(&[(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (0.0, 30.0)], &[]);
        let row: Vec<_> = (0..6).map(|i| c(-5.0 + 10.0 * i as f64, 10.0)).collect();
        check_against_scan(&place, &row, &[3.0, 5.0, 7.5, 12.0, 40.0], 1e-6);
        // (20, -1) and (20, 1) have the bottom edge y = 0 as their bisector.
        let pair = [c(20.0, -1.0), c(20.0, 1.0), c(20.0, 29.0), c(20.0, 31.0)];
        check_against_scan(&place, &pair, &[0.5, 1.0, 3.0, 16.0, 50.0], 1e-6);
    }

    #[test]
    fn radii_are_clamped() {
        let place = poly(&square(10.0), &[]);
        let cells = NearestCells::new(&[c(0.0, 0.0)], 5.0);
        let got = cells.covered_m2(&place, &[-1.0, f64::NAN, 5.0, 50.0, f64::INFINITY]);
        assert_eq!(got[0], 0.0);
        assert_eq!(got[1], 0.0);
        assert_eq!(got[2], got[3]);
        assert_eq!(got[2], got[4]);
        assert!(NearestCells::new(&[c(0.0, 0.0)], f64::NAN).covered_m2(&place, &[1.0])[0] == 0.0);
        assert!(NearestCells::new(&[], 5.0).covered_m2(&place, &[1.0])[0] == 0.0);
        assert!(cells.covered_m2(&MultiPolygon(vec![]), &[1.0])[0] == 0.0);
    }

    /// Deterministic pseudo-random numbers in [0, 1) (splitmix64).
    pub(super) struct Rng(pub(super) u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / 2f64.powi(64)
        }

        pub(super) fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.next()
        }
    }

    /// A star-shaped ring of `n` vertices around `(cx, cy)` (simple, usually concave).
    fn star(rng: &mut Rng, cx: f64, cy: f64, n: usize, rmin: f64, rmax: f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let a = 2.0 * PI * (i as f64 + rng.range(-0.3, 0.3)) / n as f64;
                let r = rng.range(rmin, rmax);
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect()
    }

    #[test]
    fn long_rings_match_whole_rings_and_scan() {
        let mut rng = Rng(7);
        let outer = star(&mut rng, 0.0, 0.0, 400, 60.0, 100.0);
        let mut hole = star(&mut rng, 5.0, 0.0, 90, 15.0, 40.0);
        hole.reverse();
        let place = poly(&outer, &[&hole]);
        let sites: Vec<_> = (0..40)
            .map(|_| c(rng.range(-110.0, 110.0), rng.range(-110.0, 110.0)))
            .collect();
        check_against_scan(&place, &sites, &[4.0, 10.0, 20.0, 45.0, 120.0], 1e-6);
        // A spiral-ish place: a thin ring around a facility's cell, so joins must wind.
        let ring_place = poly(
            &star(&mut rng, 0.0, 0.0, 300, 90.0, 100.0),
            &[&star(&mut rng, 0.0, 0.0, 200, 70.0, 80.0)],
        );
        check_against_scan(
            &ring_place,
            &[c(0.0, 0.0), c(150.0, 0.0)],
            &[60.0, 85.0, 95.0, 200.0],
            1e-6,
        );
    }

    /// Everything on an integer grid, so ties abound: sites on vertices and on each
    /// other, bisectors along edges, cell-box centres level with vertices.
    #[test]
    fn grid_snapped_ties() {
        for seed in 0..4 {
            let mut rng = Rng(100 + seed);
            let snap = |(x, y): (f64, f64)| (x.round(), y.round());
            let outer: Vec<_> = star(&mut rng, 0.0, 0.0, 80, 200.0, 400.0)
                .into_iter()
                .map(snap)
                .collect();
            let hole: Vec<_> = star(&mut rng, 10.0, 0.0, 20, 40.0, 120.0)
                .into_iter()
                .rev()
                .map(snap)
                .collect();
            let place = poly(&outer, &[&hole]);
            let mut sites: Vec<_> = (0..30)
                .map(|_| {
                    c(
                        (rng.range(-45.0, 45.0)).round() * 10.0,
                        (rng.range(-45.0, 45.0)).round() * 10.0,
                    )
                })
                .collect();
            sites.extend(outer.iter().step_by(9).map(|&(x, y)| c(x, y)));
            sites.extend_from_slice(&sites.clone()[..5]);
            check_against_scan(&place, &sites, &[10.0, 40.0, 100.0, 250.0], 1e-6);
        }
    }

    /// The cells by Delaunay neighbours against the cells nearest first: the same polygon
    /// (area and farthest vertex) for every site.
    fn cells_agree(sites: &[Coord<f64>], half: f64) {
        let sites = distinct_sites(sites);
        assert!(Neighbours::of(&sites).is_some(), "a triangulation");
        let by_neighbours = cells_of(&sites, half);
        let tree = point_tree(&sites);
        for (i, cell) in by_neighbours.iter().enumerate() {
            let nearest = voronoi_cell(i, &sites, &tree, half);
            let far = |c: &[Coord<f64>]| c.iter().map(|&p| dot(p, p).sqrt()).fold(0.0, f64::max);
            let (a, b) = (twice_ring_area(cell), twice_ring_area(&nearest));
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "site {i}: {a} vs {b}"
            );
            assert!((far(cell) - far(&nearest)).abs() <= 1e-9 * half, "site {i}");
        }
    }

    #[test]
    fn delaunay_cells_equal_nearest_first_cells() {
        let mut rng = Rng(7);
        // Scattered, at projected magnitudes.
        let scattered: Vec<_> = (0..2000)
            .map(|_| c(5.0e5 + rng.range(0.0, 3.0e4), 4.3e6 + rng.range(0.0, 3.0e4)))
            .collect();
        cells_agree(&scattered, 1000.0);
        // A grid: every four neighbours on one circle, the triangulation's hardest case.
        let grid: Vec<_> = (0..40)
            .flat_map(|i| {
                (0..40).map(move |j| c(5.0e5 + 250.0 * i as f64, 4.3e6 + 250.0 * j as f64))
            })
            .collect();
        cells_agree(&grid, 600.0);
        // Clusters: a dense town centre and a few sites far out.
        let mut clustered: Vec<_> = (0..500)
            .map(|_| c(rng.range(-50.0, 50.0), rng.range(-50.0, 50.0)))
            .collect();
        clustered
            .extend((0..20).map(|_| c(rng.range(-5000.0, 5000.0), rng.range(-5000.0, 5000.0))));
        cells_agree(&clustered, 1500.0);
    }

    #[test]
    fn monotone_in_radius() {
        let mut rng = Rng(11);
        let place = poly(&star(&mut rng, 0.0, 0.0, 200, 500.0, 1000.0), &[]);
        let sites: Vec<_> = (0..100)
            .map(|_| c(rng.range(-1200.0, 1200.0), rng.range(-1200.0, 1200.0)))
            .collect();
        let radii: Vec<f64> = (0..=60).map(|i| 5.0 * i as f64).collect();
        let got = NearestCells::new(&sites, 300.0).covered_m2(&place, &radii);
        for w in got.windows(2) {
            assert!(w[1] >= w[0] - 1e-6, "{w:?}");
        }
    }

    /// The numbers of a JSON array.
    fn nums(v: &serde_json::Value) -> Vec<f64> {
        v.as_array()
            .expect("an array")
            .iter()
            .map(|x| x.as_f64().expect("a number"))
            .collect()
    }

    /// A JSON `[x, y]`.
    fn coord(v: &serde_json::Value) -> Coord<f64> {
        let xy = nums(v);
        Coord { x: xy[0], y: xy[1] }
    }

    fn array(v: &serde_json::Value) -> &[serde_json::Value] {
        v.as_array().expect("an array")
    }

    /// Compares with `tests/reference/cells_expected.json` from `cells_reference.py`: shapely buffers with quad_segs 1024
    /// and 2048 and their Richardson extrapolation. A buffer's vertices lie on its circle,
    /// so with 4·2048 segments it falls short by (π/4096)²/6 ≈ 1e-7 of the disk's area,
    /// and the covered area by about as much: ours must not be below shapely's 2048 and may
    /// exceed it by 1e-6 of the place's area (the brief's tolerance). The extrapolation
    /// removes the 1/q² term, so against it we allow 1e-9 of the place's area.
    #[test]
    fn matches_shapely_cases() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/reference/cells_expected.json"
        );
        let text = std::fs::read_to_string(path).expect("tests/reference/cells_expected.json");
        let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let mut worst = (0.0, String::new());
        let cases = array(&json["cases"]);
        assert_eq!(cases.len(), 7, "the cases cells_reference.py writes");
        for case in cases {
            let name = case["name"].as_str().expect("a name");
            let polygons = array(&case["place"]).iter().map(|rings| {
                let mut rings = array(rings).iter().map(|ring| {
                    LineString::from(array(ring).iter().map(coord).collect::<Vec<_>>())
                });
                let exterior = rings.next().unwrap();
                Polygon::new(exterior, rings.collect())
            });
            let place = MultiPolygon(polygons.collect());
            let sites: Vec<Coord<f64>> = array(&case["sites"]).iter().map(coord).collect();
            let radii = nums(&case["radii"]);
            let area = case["place_area"].as_f64().expect("place_area");
            assert_close(place.unsigned_area(), area, 1e-9 * area, "place area");
            let max_radius = case["max_radius"].as_f64().expect("max_radius");
            let got = NearestCells::new(&sites, max_radius).covered_m2(&place, &radii);
            let fine = nums(&case["shapely_2048"]);
            let extrapolated = nums(&case["extrapolated"]);
            for (i, &r) in radii.iter().enumerate() {
                let what = format!("{name} r = {r}");
                let shortfall = got[i] - fine[i];
                assert!(
                    shortfall >= -1e-9 * area && shortfall <= 1e-6 * area,
                    "{what}: {} vs shapely {}",
                    got[i],
                    fine[i]
                );
                assert_close(got[i], extrapolated[i], 1e-9 * area, &what);
                let rel = (got[i] - extrapolated[i]).abs() / area;
                eprintln!("{what}: ours {:.6} shapely2048 {:.6} extrapolated {:.6} (ours-2048)/area {:.2e} |ours-extrap|/area {:.2e}", got[i], fine[i], extrapolated[i], shortfall / area, rel);
                if rel > worst.0 {
                    worst = (rel, what);
                }
            }
        }
        eprintln!(
            "largest |ours - extrapolated| / place area: {:.3e} ({})",
            worst.0, worst.1
        );
    }

    /// 20,000 facilities over a 100 km square with a jagged 20,000-vertex boundary, radii
    /// 100..=3000 m. Run with
    /// `cargo test --release -- --ignored --nocapture scale`.
    #[test]
    #[ignore = "timing: run in release with --ignored --nocapture"]
    fn scale_20k_facilities() {
        use std::time::Instant;
        let mut rng = Rng(2024);
        let side = 100_000.0;
        let per_side = 5000;
        let mut boundary = Vec::with_capacity(4 * per_side);
        for k in 0..4 {
            for i in 0..per_side {
                let s = side * i as f64 / per_side as f64;
                // Inward jags up to 200 m, tapering to 0 at the corners.
                let taper = (s.min(side - s) / 1000.0).min(1.0);
                let j = rng.range(0.0, 200.0) * taper;
                boundary.push(match k {
                    0 => (s, j),
                    1 => (side - j, s),
                    2 => (side - s, side - j),
                    _ => (j, side - s),
                });
            }
        }
        let place = poly(&boundary, &[]);
        let sites: Vec<_> = (0..20_000)
            .map(|_| c(rng.range(0.0, side), rng.range(0.0, side)))
            .collect();
        let radii: Vec<f64> = (1..=30).map(|i| 100.0 * i as f64).collect();
        let t = Instant::now();
        let cells = NearestCells::new(&sites, 3000.0);
        let build = t.elapsed();
        let t = Instant::now();
        let got = cells.covered_m2(&place, &radii);
        let measure = t.elapsed();
        eprintln!("NearestCells::new: {build:?}; covered_m2 (30 radii): {measure:?}");
        let area = place.unsigned_area();
        eprintln!(
            "place area {area:.1}; covered at 100 m {:.1}, 1000 m {:.1}, 3000 m {:.1}",
            got[0], got[9], got[29]
        );
        let t = Instant::now();
        let whole = cells.covered_with(&place, &radii, usize::MAX);
        eprintln!(
            "clipping the whole ring against every cell instead: {:?}",
            t.elapsed()
        );
        let worst = got
            .iter()
            .zip(&whole)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!("largest difference between the two: {worst:e} m²");
        assert!(worst <= 1e-9 * area);
        // No circles overlap at 100 m often enough to matter: about n π r² less overlaps.
        assert!(got[0] <= 20_000.0 * PI * 1e4);
        assert_close(got[29], area, 1e-6 * area, "all covered at 3 km");
    }
}
