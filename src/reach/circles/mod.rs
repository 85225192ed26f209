//! Straight-line reach: a circle around each facility ([`StraightLine`], drawn as a
//! polygon of the circle's area), and the [`CategoryReach`] of a category's circles
//! ([`Circles`]): nearest facility and count through the R-tree, the circles that reach a
//! place clipped to it, service areas dissolved group by group, and the coverage curve from
//! nearest-facility cells ([`cells`]).
//!
//! The rest of the analysis only asks the [`DistanceModel`] for a facility's service area
//! and for a walking distance, and uses the R-tree for candidates, which is valid for any
//! model whose distance is never shorter than the straight line. Each place is measured on
//! its own: only the facilities whose service areas can reach it are taken from the R-tree
//! and clipped against it locally, so places are measured in parallel and the result does
//! not depend on the thread count.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use geo::{
    unary_union, BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect,
    Translate,
};
use rayon::prelude::*;

use super::{
    shares_by_overlay, union_of, unreached_by_overlay, CategoryReach, Place, Reaching, ServiceArea,
    Unreached,
};
use crate::reach::index::FacilityIndex;

pub mod cells;

use cells::Areas;
pub use cells::NearestCells;

/// Straight-line reach of one category: its facilities' R-tree and a [`DistanceModel`].
pub struct Circles<'a> {
    /// The category's facility sites.
    pub index: FacilityIndex,
    /// How a facility's service area is drawn.
    pub model: &'a dyn DistanceModel,
    /// The facilities' nearest-facility cells, made when first asked for (the curve, or
    /// the gaps of a large place).
    cells: std::sync::OnceLock<NearestCells>,
    /// The largest radius the run asks of the cells (the categories', levels' and curve's).
    cells_up_to_m: f64,
}

impl<'a> Circles<'a> {
    /// The reach of the facilities in `index`, drawn by `model`.
    pub fn new(index: FacilityIndex, model: &'a dyn DistanceModel) -> Circles<'a> {
        Circles {
            index,
            model,
            cells: std::sync::OnceLock::new(),
            cells_up_to_m: 0.0,
        }
    }

    /// The same reach, its cells made for radii up to `radius_m` (the largest the run asks
    /// of it), so that the single radius and the curve share them.
    #[must_use]
    pub fn cells_up_to(mut self, radius_m: f64) -> Circles<'a> {
        self.cells_up_to_m = radius_m;
        self
    }

    /// The cells, made the first time for radii up to `radius_m` or the run's largest,
    /// whichever is larger, with a margin of [`CELL_MARGIN`].
    fn cells(&self, radius_m: f64) -> &NearestCells {
        self.cells.get_or_init(|| {
            NearestCells::new(
                self.index.sites(),
                self.cells_up_to_m.max(radius_m) * CELL_MARGIN,
            )
        })
    }

    /// The gaps of a large place from the cells ([`NearestCells::uncovered`]): `None` for a
    /// place with few service areas over it (one overlay is quicker there), for models
    /// other than circles, and where the cells do not tile the place.
    fn unreached_by_cells(&self, place: &Place, radius_m: f64) -> Option<Unreached> {
        if !self.model.is_circle() {
            return None;
        }
        let reach = self.model.reach_m(radius_m);
        if !is_large(place, reach) {
            return None;
        }
        let size = place.bbox.max() - place.origin();
        let window = Rect::new(Coord::zero(), size);
        let count = self.index.reaching(place.bbox, reach).count();
        if !many_overlapping(count, reach, window) {
            return None;
        }
        let model = self.model;
        let within =
            |site: Coord<f64>, window: Rect<f64>| model.service_area_within(site, radius_m, window);
        let areas = Areas {
            inner_m: model.inner_m(radius_m),
            reach_m: reach,
            within: &within,
        };
        let gaps = self
            .cells(radius_m)
            .uncovered(&place.boundary, place.origin(), &areas)?;
        Some(if gaps.is_empty() {
            Unreached::Nothing
        } else {
            Unreached::Parts(MultiPolygon(gaps))
        })
    }
}

/// Whether a place is larger than a service area of `reach` (its bounding box is): only
/// such places are measured cell by cell; a small one is quicker by one overlay.
fn is_large(place: &Place, reach: f64) -> bool {
    let size = place.bbox.max() - place.origin();
    size.x * size.y >= PI * reach * reach
}

/// The radius the cells of a run are made for: the curve's largest, or
/// [`GAP_CELLS`] times the largest radius measured, whichever is larger.
pub fn cells_bound_m(longest_m: f64, curve_radii_m: &[f64]) -> f64 {
    curve_radii_m
        .iter()
        .copied()
        .fold(GAP_CELLS * longest_m, f64::max)
}

/// The gaps of a large place come from cells that reach this many radii: the place must lie
/// within that distance of its nearest facility everywhere, else it is measured by one
/// overlay. Gaps are mostly the corners between circles, well within twice the radius; a
/// place with a wide empty stretch (a reservoir, farmland) falls back, at the old cost.
const GAP_CELLS: f64 = 2.0;

/// How much farther than the largest radius the cells reach: a circle drawn as a polygon of
/// its area pokes out of the true circle (by 0.01 % at 128 sides), and the gaps of a large
/// place need the cells to hold all of it.
const CELL_MARGIN: f64 = 1.01;

impl CategoryReach for Circles<'_> {
    fn distance_model(&self) -> &'static str {
        self.model.name()
    }

    fn nearest_and_count(&self, from: Coord<f64>, radius_m: f64) -> (Option<f64>, usize) {
        nearest_and_count(from, &self.index, self.model, radius_m)
    }

    fn within_reach(&self, from: Coord<f64>, radius_m: f64) -> Vec<usize> {
        within_reach(from, &self.index, self.model, radius_m)
    }

    fn reaching(&self, place: &Place, radius_m: f64) -> Reaching {
        reaching_areas(place, &self.index, self.model, radius_m)
    }

    /// The cells, when some place is large enough to be measured by them.
    fn prepare(&self, places: &[Place], radius_m: f64) {
        let reach = self.model.reach_m(radius_m);
        if self.model.is_circle() && places.iter().any(|p| is_large(p, reach)) {
            self.cells(radius_m);
        }
    }

    /// A large place under many circles is measured cell by cell (see
    /// [`NearestCells::uncovered`]); others by one overlay.
    fn unreached(&self, place: &Place, radius_m: f64) -> Unreached {
        self.unreached_by_cells(place, radius_m)
            .unwrap_or_else(|| unreached_by_overlay(place, self.reaching(place, radius_m)))
    }

    fn service_areas(&self, radius_m: f64) -> Vec<ServiceArea> {
        dissolve_service_areas(&self.index, self.model, radius_m)
    }

    /// With true circles, the place is split once by the facilities' nearest-facility
    /// cells and every radius costs a closed form per piece ([`NearestCells`]); other models clip
    /// once per radius. The cells are made for the largest radius of the first call (a run
    /// asks every place for the same radii); a later call with a larger one clips.
    fn shares_at_radii(&self, place: &Place, radii_m: &[f64]) -> Vec<f64> {
        if radii_m.is_empty() {
            return Vec::new();
        }
        let largest = radii_m.iter().copied().fold(0.0, f64::max);
        if !self.model.is_circle() {
            return shares_by_overlay(place, self, radii_m);
        }
        let cells = self.cells(largest);
        if cells.max_radius_m() < largest {
            return shares_by_overlay(place, self, radii_m);
        }
        cells
            .covered_m2(&place.boundary, radii_m)
            .into_iter()
            .map(|a| (a / place.area_m2).clamp(0.0, 1.0))
            .collect()
    }
}

/// How walking distance and reach are modelled.
pub trait DistanceModel: Sync {
    /// A short description for summaries, e.g. "straight-line circle".
    fn name(&self) -> &'static str;

    /// The area reachable from `site` within `radius_m`, as a counter-clockwise polygon.
    fn service_area(&self, site: Coord<f64>, radius_m: f64) -> Polygon<f64>;

    /// The part of the service area inside `window` (or more of it: the default is the whole
    /// service area); the clipping of a place only needs the part over the place's bounding
    /// box, and fewer vertices clip faster. Counter-clockwise; empty if nothing is inside.
    fn service_area_within(
        &self,
        site: Coord<f64>,
        radius_m: f64,
        window: Rect<f64>,
    ) -> Polygon<f64> {
        let _ = window;
        self.service_area(site, radius_m)
    }

    /// How far the service area can extend from its site; candidates are taken from the
    /// R-tree within this straight-line distance.
    fn reach_m(&self, radius_m: f64) -> f64;

    /// Walking distance between two points; never shorter than the straight line.
    fn distance_m(&self, from: Coord<f64>, to: Coord<f64>) -> f64;

    /// Whether the service area is a circle of the radius around the site (drawn as a
    /// polygon of the same area): the coverage curve then uses true circles.
    fn is_circle(&self) -> bool {
        false
    }

    /// Every point within this distance of a site lies inside its service area (0 when
    /// not known).
    fn inner_m(&self, _radius_m: f64) -> f64 {
        0.0
    }

    /// Whether the service area of `site` surely holds the whole ring `ring`, so that no
    /// clipping is needed. `false` means "not known": the community is clipped.
    fn holds_ring(&self, _site: Coord<f64>, _radius_m: f64, _ring: &LineString<f64>) -> bool {
        false
    }
}

/// Straight-line reach: a circle around each facility.
///
/// The circle is a regular polygon with `segments` sides whose area equals the circle's, so
/// covered areas are unbiased; its edge stays within 0.03% of the radius for 128 sides
/// (0.3 m at 1,000 m).
#[derive(Debug, Clone, Copy)]
pub struct StraightLine {
    segments: usize,
    /// Vertex radius over true radius, for the equal-area polygon.
    scale: f64,
    /// Cosine and sine of each vertex's angle: every circle is this polygon scaled and
    /// moved, so no circle computes them again.
    unit: &'static [(f64, f64)],
}

/// The unit polygons made so far, one per number of sides (a handful per run).
static UNIT_POLYGONS: std::sync::Mutex<BTreeMap<usize, &'static [(f64, f64)]>> =
    std::sync::Mutex::new(BTreeMap::new());

fn unit_polygon(n: usize) -> &'static [(f64, f64)] {
    let make = || -> &'static [(f64, f64)] {
        let angles: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = 2.0 * PI * i as f64 / n as f64;
                (a.cos(), a.sin())
            })
            .collect();
        Box::leak(angles.into_boxed_slice())
    };
    match UNIT_POLYGONS.lock() {
        Ok(mut made) => made.entry(n).or_insert_with(make),
        Err(_) => make(),
    }
}

impl StraightLine {
    /// Circles drawn with `segments` sides (at least 8).
    pub fn new(segments: usize) -> StraightLine {
        let n = segments.max(8) as f64;
        StraightLine {
            segments: segments.max(8),
            scale: (2.0 * PI / (n * (2.0 * PI / n).sin())).sqrt(),
            unit: unit_polygon(segments.max(8)),
        }
    }

    /// Radius of the largest circle inside the polygon drawn for `radius_m`.
    fn inner_radius(&self, radius_m: f64) -> f64 {
        radius_m * self.scale * (PI / self.segments as f64).cos()
    }
}

impl Default for StraightLine {
    fn default() -> Self {
        StraightLine::new(128)
    }
}

impl DistanceModel for StraightLine {
    fn name(&self) -> &'static str {
        "straight-line circle"
    }

    fn is_circle(&self) -> bool {
        true
    }

    fn service_area(&self, site: Coord<f64>, radius_m: f64) -> Polygon<f64> {
        let r = radius_m * self.scale;
        let n = self.segments;
        let ring: Vec<Coord<f64>> = (0..=n)
            .map(|i| {
                let (cos, sin) = self.unit[i % n];
                Coord {
                    x: site.x + r * cos,
                    y: site.y + r * sin,
                }
            })
            .collect();
        Polygon::new(LineString(ring), vec![])
    }

    /// The circle is convex, so clipping it to the window edge by edge (Sutherland-Hodgman)
    /// gives exactly their intersection. Only the window's sides that cut the circle are
    /// clipped against, in two buffers.
    fn service_area_within(
        &self,
        site: Coord<f64>,
        radius_m: f64,
        window: Rect<f64>,
    ) -> Polygon<f64> {
        let r = radius_m * self.scale;
        let (lo, hi) = (window.min(), window.max());
        let empty = || Polygon::new(LineString(Vec::new()), vec![]);
        if site.x - r > hi.x || site.x + r < lo.x || site.y - r > hi.y || site.y + r < lo.y {
            return empty();
        }
        // The sides whose line passes inside the circle's box.
        let cuts = [
            site.x - r < lo.x,
            site.x + r > hi.x,
            site.y - r < lo.y,
            site.y + r > hi.y,
        ];
        if !cuts.iter().any(|&c| c) {
            return self.service_area(site, radius_m);
        }
        let n = self.segments;
        let mut points: Vec<Coord<f64>> = Vec::with_capacity(n + 8);
        points.extend(self.unit.iter().map(|&(cos, sin)| Coord {
            x: site.x + r * cos,
            y: site.y + r * sin,
        }));
        let mut kept: Vec<Coord<f64>> = Vec::with_capacity(n + 8);
        // Keep the side of x >= lo.x, x <= hi.x, y >= lo.y, y <= hi.y in turn.
        for side in (0..4).filter(|&side| cuts[side]) {
            let value = |c: Coord<f64>| match side {
                0 => c.x - lo.x,
                1 => hi.x - c.x,
                2 => c.y - lo.y,
                _ => hi.y - c.y,
            };
            kept.clear();
            let mut before = points[points.len() - 1];
            for &here in &points {
                let (a, b) = (value(before), value(here));
                if (a >= 0.0) != (b >= 0.0) {
                    let t = a / (a - b);
                    // On the window's edge exactly, so that neighbouring windows meet.
                    let mut cut = Coord {
                        x: before.x + t * (here.x - before.x),
                        y: before.y + t * (here.y - before.y),
                    };
                    match side {
                        0 => cut.x = lo.x,
                        1 => cut.x = hi.x,
                        2 => cut.y = lo.y,
                        _ => cut.y = hi.y,
                    }
                    kept.push(cut);
                }
                if b >= 0.0 {
                    kept.push(here);
                }
                before = here;
            }
            std::mem::swap(&mut points, &mut kept);
            if points.len() < 3 {
                return empty();
            }
        }
        points.push(points[0]);
        Polygon::new(LineString(points), vec![])
    }

    fn reach_m(&self, radius_m: f64) -> f64 {
        radius_m * self.scale
    }

    fn inner_m(&self, radius_m: f64) -> f64 {
        self.inner_radius(radius_m)
    }

    fn distance_m(&self, from: Coord<f64>, to: Coord<f64>) -> f64 {
        let (dx, dy) = (from.x - to.x, from.y - to.y);
        (dx * dx + dy * dy).sqrt()
    }

    /// The drawn circle is convex and holds the inner circle: a ring whose vertices all lie
    /// in the inner circle lies inside.
    fn holds_ring(&self, site: Coord<f64>, radius_m: f64, ring: &LineString<f64>) -> bool {
        // Squared distances, with a margin for their rounding.
        let inner = self.inner_radius(radius_m) * (1.0 - 1e-12);
        let inner2 = inner * inner;
        ring.0.iter().all(|v| {
            let (dx, dy) = (v.x - site.x, v.y - site.y);
            dx * dx + dy * dy <= inner2
        })
    }
}

/// The service areas that reach `place`, clipped to its bounding box grown by a metre (so
/// the window's edges do not run along the place's), in the place's local coordinates.
fn reaching_areas(
    place: &Place,
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radius_m: f64,
) -> Reaching {
    let reach = model.reach_m(radius_m);
    let mut candidates: Vec<Coord<f64>> = index
        .reaching(place.bbox, reach)
        .map(|s| index.sites()[s.data])
        .filter(|c| place.within(*c, reach))
        .collect();
    if candidates.is_empty() {
        return Reaching::Nowhere;
    }
    // The tree's order is an implementation detail; clip in a fixed order.
    candidates.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    candidates.dedup();
    let held = |site: &Coord<f64>| {
        place
            .boundary
            .0
            .iter()
            .all(|poly| model.holds_ring(*site, radius_m, poly.exterior()))
    };
    if candidates.iter().any(held) {
        return Reaching::Everywhere;
    }
    // Clipped in coordinates relative to the place, away from large projected values.
    let origin = place.origin();
    let size = place.bbox.max() - origin;
    let window = Rect::new(
        Coord { x: -1.0, y: -1.0 },
        Coord {
            x: size.x + 1.0,
            y: size.y + 1.0,
        },
    );
    let areas = if many_overlapping(candidates.len(), reach, window) {
        // A district under hundreds of circles: the parts held whole by one circle enter
        // the overlay as squares, as when service areas are dissolved.
        let local: Vec<Coord<f64>> = candidates.iter().map(|&c| c - origin).collect();
        let all: Vec<usize> = (0..local.len()).collect();
        let mut pieces = Vec::new();
        Cells {
            model,
            radius_m,
            reach,
            smallest: reach / 8.0,
            within: Some((place, origin)),
        }
        .dissolve(&local, &all, window, &mut pieces);
        // Unioned first, through i_overlay's list splitter (see `union_of`): squares must
        // not reach the overlay with the place.
        union_of(&pieces).0
    } else {
        candidates
            .iter()
            .map(|&c| model.service_area_within(c - origin, radius_m, window))
            .filter(|p| !p.exterior().0.is_empty())
            .collect()
    };
    if areas.is_empty() {
        return Reaching::Nowhere;
    }
    Reaching::Partly(areas)
}

/// Whether the service areas reaching a place are many and cover its window more than
/// [`MEASURE_OVERLAP`] times over on average: then the quadtree of [`Cells`] gives fewer
/// edges to clip than the circles themselves.
pub(crate) fn many_overlapping(count: usize, reach: f64, window: Rect<f64>) -> bool {
    const MANY: usize = 64;
    let overlap = count as f64 * PI * reach * reach
        / (window.width() * window.height()).max(f64::MIN_POSITIVE);
    count > MANY && overlap > MEASURE_OVERLAP
}

/// How many times over the circles must cover a place's window for the quadtree to pay
/// when measuring: more than when dissolving, since the place's own edges enter the
/// overlay with the pieces (Tianjin's districts: 5 times over, 0.47 s -> 0.22 s; 3 times,
/// 0.47 s -> 0.98 s).
const MEASURE_OVERLAP: f64 = 2.0;

/// Nearest facility by walking distance and the number of facilities within the radius.
pub fn nearest_and_count(
    from: Coord<f64>,
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radius_m: f64,
) -> (Option<f64>, usize) {
    // Sites come in increasing straight-line distance, a lower bound of walking distance:
    // stop once it exceeds the best walking distance found.
    let mut best: Option<f64> = None;
    for (site, d2) in index.nearest_iter(from) {
        if best.is_some_and(|b| d2.sqrt() > b) {
            break;
        }
        let d = model.distance_m(from, index.sites()[site.data]);
        if best.is_none_or(|b| d < b) {
            best = Some(d);
        }
    }
    (best, within_reach(from, index, model, radius_m).len())
}

/// The facilities with a site within `radius_m` of `from`, ascending.
pub fn within_reach(
    from: Coord<f64>,
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radius_m: f64,
) -> Vec<usize> {
    let mut in_reach: Vec<usize> = index
        .within(from, radius_m)
        .filter(|s| model.distance_m(from, index.sites()[s.data]) <= radius_m)
        .map(|s| index.facility_of(s.data))
        .collect();
    in_reach.sort_unstable();
    in_reach.dedup();
    in_reach
}

/// Groups of more circles than this are dissolved tile by tile (see
/// [`dissolve_service_areas`]).
pub const TILED_GROUP: usize = 2048;

/// Dissolves the service areas of all sites, group by group: sites whose service areas can
/// overlap (closer than twice the reach) are grouped, and each group is unioned on its own,
/// in parallel. Groups come ordered by their first site.
///
/// A group of more than [`TILED_GROUP`] sites (a city whose circles all touch) would be one
/// union of millions of vertices on one thread; it is cut along a grid of square tiles
/// (the larger of 10 km and 8 reaches) and each tile's part is dissolved on its own, in
/// parallel, in the tile's order (south to north, west to east). Its pieces meet along the
/// tile edges; `facilities` counts the sites' facilities reaching each piece.
///
/// Where the circles of a group or tile cover it more than twice over on average, most
/// circle edges lie deep inside the union; there the window is cut as a quadtree (see
/// `Cells`) so that the parts held whole by one circle enter the overlay as squares.
pub fn dissolve_service_areas(
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radius_m: f64,
) -> Vec<ServiceArea> {
    let reach = model.reach_m(radius_m);
    let groups = overlapping_groups(index, reach);
    dissolve_tasks(index.sites(), groups, reach)
        .par_iter()
        .filter_map(|(members, tile)| dissolve_task(index, model, radius_m, members, *tile))
        .collect()
}

/// The sites in groups whose service areas can overlap (closer than twice the reach,
/// through a chain of such sites), each group ordered, the groups by their first site.
fn overlapping_groups(index: &FacilityIndex, reach: f64) -> Vec<Vec<usize>> {
    let sites = index.sites();
    linked_groups(sites.len(), |i| {
        let c = sites[i];
        index.neighbours([c.x, c.y], 2.0 * reach).map(|s| s.data)
    })
}

/// Items `0..n` in groups linked through chains of `links` (the items linked to an item),
/// each group ascending, the groups by their first item (union-find).
pub(crate) fn linked_groups<I: IntoIterator<Item = usize>>(
    n: usize,
    mut links: impl FnMut(usize) -> I,
) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for j in links(i) {
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut slot: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        let r = root(&mut parent, i);
        match slot[r] {
            Some(g) => groups[g].push(i),
            None => {
                slot[r] = Some(groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// Sites dissolved together, and the tile they are cut to (`None`: a whole group).
type DissolveTask = (Vec<usize>, Option<Rect<f64>>);

/// One task per small group, one per tile of a large one (the sites reaching the tile and
/// the tile's square).
fn dissolve_tasks(sites: &[Coord<f64>], groups: Vec<Vec<usize>>, reach: f64) -> Vec<DissolveTask> {
    let tile = (8.0 * reach).max(10_000.0);
    let mut tasks: Vec<DissolveTask> = Vec::new();
    for members in groups {
        if members.len() <= TILED_GROUP {
            tasks.push((members, None));
            continue;
        }
        let mut tiles: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
        for &i in &members {
            let c = sites[i];
            let cell = |v: f64| (v / tile).floor() as i64;
            for j in cell(c.y - reach)..=cell(c.y + reach) {
                for k in cell(c.x - reach)..=cell(c.x + reach) {
                    tiles.entry((j, k)).or_default().push(i);
                }
            }
        }
        for ((j, k), members) in tiles {
            let min = Coord {
                x: k as f64 * tile,
                y: j as f64 * tile,
            };
            let rect = Rect::new(min, min + Coord { x: tile, y: tile });
            tasks.push((members, Some(rect)));
        }
    }
    tasks
}

/// The service areas of a task's sites dissolved, in its tile or around them; `None` if
/// nothing is left.
fn dissolve_task(
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radius_m: f64,
    members: &[usize],
    tile: Option<Rect<f64>>,
) -> Option<ServiceArea> {
    let sites = index.sites();
    let reach = model.reach_m(radius_m);
    let origin = match tile {
        Some(rect) => rect.min(),
        None => sites[members[0]],
    };
    let local: Vec<Coord<f64>> = members.iter().map(|&i| sites[i] - origin).collect();
    let window = match tile {
        Some(rect) => rect.translate(-origin.x, -origin.y),
        None => {
            let (mut lo, mut hi) = (local[0], local[0]);
            for c in &local {
                lo = Coord {
                    x: lo.x.min(c.x),
                    y: lo.y.min(c.y),
                };
                hi = Coord {
                    x: hi.x.max(c.x),
                    y: hi.y.max(c.y),
                };
            }
            let pad = Coord { x: reach, y: reach };
            Rect::new(lo - pad, hi + pad)
        }
    };
    // Circles covering their window more than twice over on average are
    // dissolved through the quadtree; the others in one overlay.
    let overlap = local.len() as f64 * PI * reach * reach
        / (window.width() * window.height()).max(f64::MIN_POSITIVE);
    let mut shape = if overlap > Cells::OVERLAP {
        let cells = Cells {
            model,
            radius_m,
            reach,
            smallest: reach / 8.0,
            within: None,
        };
        let mut pieces = Vec::new();
        let all: Vec<usize> = (0..local.len()).collect();
        cells.dissolve(&local, &all, window, &mut pieces);
        union_of(&pieces)
    } else {
        let circles: Vec<Polygon<f64>> = local
            .iter()
            .map(|&c| match tile {
                Some(_) => model.service_area_within(c, radius_m, window),
                None => model.service_area(c, radius_m),
            })
            .filter(|p| !p.exterior().0.is_empty())
            .collect();
        unary_union(&circles)
    };
    if tile.is_some() {
        // Models that do not clip to the window are cut here.
        let inside = shape.bounding_rect().is_none_or(|b| {
            b.min().x >= window.min().x - 1e-6
                && b.min().y >= window.min().y - 1e-6
                && b.max().x <= window.max().x + 1e-6
                && b.max().y <= window.max().y + 1e-6
        });
        if !inside {
            shape = shape.intersection(&window.to_polygon());
        }
    }
    if shape.0.is_empty() {
        return None;
    }
    let mut facilities: Vec<usize> = members.iter().map(|&i| index.facility_of(i)).collect();
    facilities.sort_unstable();
    facilities.dedup();
    Some(ServiceArea {
        shape: shape.translate(origin.x, origin.y),
        facilities: facilities.len(),
    })
}

/// The quadtree behind [`dissolve_service_areas`]: a window held whole by one service area
/// is a square, a window with few service areas (or a small one) gives them clipped to it,
/// any other is cut in four; the pieces are then unioned at once. Where circles overlap many times over, most of the area is
/// squares, and the circle edges deep inside the union are never intersected.
struct Cells<'a> {
    model: &'a dyn DistanceModel,
    radius_m: f64,
    reach: f64,
    /// Windows this small are not cut further.
    smallest: f64,
    /// Only windows that meet this place count (its origin: windows are local to it).
    within: Option<(&'a Place, Coord<f64>)>,
}

impl Cells<'_> {
    /// Windows with at most this many service areas give them, clipped, as pieces.
    const FEW: usize = 8;
    /// How many times over the service areas must cover their window, on average, for
    /// the quadtree to be worth it.
    const OVERLAP: f64 = 2.0;

    fn dissolve(
        &self,
        sites: &[Coord<f64>],
        members: &[usize],
        window: Rect<f64>,
        out: &mut Vec<Polygon<f64>>,
    ) {
        let (lo, hi) = (window.min(), window.max());
        let r = self.reach;
        let here: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| {
                let c = sites[i];
                c.x + r > lo.x && c.x - r < hi.x && c.y + r > lo.y && c.y - r < hi.y
            })
            .collect();
        if here.is_empty() {
            return;
        }
        if let Some((place, origin)) = self.within {
            if !place.meets(window.translate(origin.x, origin.y)) {
                return;
            }
        }
        let square = window.to_polygon();
        if here.iter().any(|&i| {
            self.model
                .holds_ring(sites[i], self.radius_m, square.exterior())
        }) {
            out.push(square);
            return;
        }
        if here.len() <= Self::FEW || window.width().max(window.height()) <= self.smallest {
            out.extend(
                here.iter()
                    .map(|&i| {
                        self.model
                            .service_area_within(sites[i], self.radius_m, window)
                    })
                    .filter(|p| !p.exterior().0.is_empty()),
            );
            return;
        }
        let mid = window.center();
        for (a, b) in [
            (lo, mid),
            (Coord { x: mid.x, y: lo.y }, Coord { x: hi.x, y: mid.y }),
            (Coord { x: lo.x, y: mid.y }, Coord { x: mid.x, y: hi.y }),
            (mid, hi),
        ] {
            self.dissolve(sites, &here, Rect::new(a, b), out);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::{Area, CoordsIter, MultiPolygon};

    /// A facility index of `points`, facility `i` at point `i`.
    pub(crate) fn index(points: &[(f64, f64)]) -> FacilityIndex {
        FacilityIndex::new(
            points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| (Coord { x, y }, i)),
        )
    }

    /// A group of more than `TILED_GROUP` touching circles is dissolved in tiles: the
    /// pieces do not overlap and their area is the union's, as a coarse grid count says.
    #[test]
    fn a_large_group_is_dissolved_in_tiles_of_the_same_area() {
        // 60 × 40 sites 300 m apart with overlapping 200 m circles: one group of 2,400.
        let points: Vec<(f64, f64)> = (0..60 * 40)
            .map(|i| {
                (
                    1000.0 + (i % 60) as f64 * 300.0,
                    1000.0 + (i / 60) as f64 * 300.0,
                )
            })
            .collect();
        assert!(points.len() > TILED_GROUP);
        let model = StraightLine::default();
        let areas = dissolve_service_areas(&index(&points), &model, 200.0);
        // 18 km × 12 km over 10 km tiles: 2 × 2 pieces.
        assert_eq!(areas.len(), 4);
        let total: f64 = areas.iter().map(|a| a.shape.unsigned_area()).sum();
        let circles: Vec<Polygon<f64>> = points
            .iter()
            .map(|&(x, y)| model.service_area(Coord { x, y }, 200.0))
            .collect();
        let whole = unary_union(&circles).unsigned_area();
        // Overlapping neighbours: less than 2,400 whole circles.
        assert!(whole < 2400.0 * PI * 200.0 * 200.0 * 0.99);
        assert_relative_eq!(total, whole, max_relative = 1e-6);
        for (a, x) in areas.iter().enumerate() {
            for y in &areas[a + 1..] {
                assert!(x.shape.intersection(&y.shape).unsigned_area() < 1e-3);
            }
        }
        // Circles cut by a tile edge count in both pieces.
        let counted: usize = areas.iter().map(|a| a.facilities).sum();
        assert!(counted > 2400 && counted < 2400 + 2 * 100, "{counted}");
    }

    /// Circles covering their tile many times over go through the quadtree: the same area
    /// as one overlay of all the circles, pieces that do not overlap, few vertices.
    #[test]
    fn heavily_overlapping_circles_dissolve_to_the_plain_union() {
        // 60 × 40 sites 300 m apart (jittered) with 1,000 m circles: about 35 deep.
        let points: Vec<(f64, f64)> = (0..60 * 40)
            .map(|i| {
                (
                    1000.0 + (i % 60) as f64 * 300.0 + ((i * 7919) % 97) as f64,
                    1000.0 + (i / 60) as f64 * 300.0 + ((i * 104_729) % 89) as f64,
                )
            })
            .collect();
        let model = StraightLine::default();
        let areas = dissolve_service_areas(&index(&points), &model, 1000.0);
        let circles: Vec<Polygon<f64>> = points
            .iter()
            .map(|&(x, y)| model.service_area(Coord { x, y }, 1000.0))
            .collect();
        let whole = unary_union(&circles);
        let total: f64 = areas.iter().map(|a| a.shape.unsigned_area()).sum();
        assert_relative_eq!(total, whole.unsigned_area(), max_relative = 1e-7);
        // What the pieces miss of the union, and what they add, is nothing.
        let pieces = MultiPolygon(areas.iter().flat_map(|a| a.shape.0.clone()).collect());
        assert!(whole.difference(&pieces).unsigned_area() < 1.0);
        assert!(pieces.difference(&whole).unsigned_area() < 1.0);
        for (a, x) in areas.iter().enumerate() {
            for y in &areas[a + 1..] {
                assert!(x.shape.intersection(&y.shape).unsigned_area() < 1e-3);
            }
        }
        // The outline only: no vertex of the circles deep inside survives.
        let vertices: usize = areas.iter().map(|a| a.shape.coords_count()).sum();
        assert!(vertices < 20_000, "{vertices}");
    }

    #[test]
    fn dissolve_groups_touching_circles() {
        let idx = index(&[(0.0, 0.0), (1500.0, 0.0), (10_000.0, 0.0)]);
        let areas = dissolve_service_areas(&idx, &StraightLine::default(), 1000.0);
        assert_eq!(areas.len(), 2);
        assert_eq!(areas[0].facilities, 2);
        assert_eq!(areas[0].shape.0.len(), 1);
        assert_eq!(areas[1].facilities, 1);
        assert_relative_eq!(
            areas[1].shape.unsigned_area(),
            PI * 1e6,
            max_relative = 1e-9
        );
    }
}
