//! Measuring reach: service circles, covered share, gaps, nearest facility, count in reach.
//!
//! How far people can walk is one swappable piece, the [`DistanceModel`]: straight-line
//! circles today ([`StraightLine`]), distance along the street network later. The rest of
//! the stage only asks the model for a facility's service area and for a walking distance,
//! and uses the R-tree for candidates, which is valid for any model whose distance is never
//! shorter than the straight line.
//!
//! Each community is measured on its own: only the facilities whose service areas can reach
//! it are taken from the R-tree and clipped against it locally. There is no global union of
//! all circles, so communities are measured in parallel and the result does not depend on
//! the thread count.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use geo::algorithm::bool_ops::FillRule;
use geo::orient::Direction;
use geo::{
    unary_union, Area, BooleanOps, BoundingRect, Centroid, Contains, Coord, Distance, Euclidean,
    InteriorPoint, LineString, MultiPolygon, OpType, Orient, Point, Polygon, Rect, Translate,
};
use rayon::prelude::*;

use crate::index::{EdgeIndex, FacilityIndex};

pub mod cells;

pub use cells::NearestCells;

/// What "within reach" means for one category, decided once per run: the analysis asks it
/// for the nearest facility, the facilities within reach, the reached part of a place and
/// the dissolved service areas, and never how it knows. Straight-line [`Circles`] are one
/// kind; the street network (`crate::network::NetworkReach`) is the other.
pub trait CategoryReach: Sync {
    /// A short description for summaries, e.g. "straight-line circle".
    fn distance_model(&self) -> &'static str;

    /// Walking distance from `from` to the nearest facility (`None` if none can be
    /// reached), and the number of facilities within `radius_m` of it.
    fn nearest_and_count(&self, from: Coord<f64>, radius_m: f64) -> (Option<f64>, usize);

    /// Walking distance from `from` to the nearest facility, without the count.
    fn nearest_m(&self, from: Coord<f64>) -> Option<f64> {
        self.nearest_and_count(from, 0.0).0
    }

    /// The facilities (positions among the category's) within `radius_m` of `from`,
    /// ascending: what siting asks of candidate sites.
    fn within_reach(&self, from: Coord<f64>, radius_m: f64) -> Vec<usize>;

    /// Where the category's facilities reach inside `place` within `radius_m`.
    fn reaching(&self, place: &Place, radius_m: f64) -> Reaching;

    /// The service areas at `radius_m`, dissolved (working CRS).
    fn service_areas(&self, radius_m: f64) -> Vec<ServiceArea>;

    /// The covered share of `place` at each radius of `radii_m` (ascending): the coverage
    /// curve. By default one overlay per radius ([`shares_by_overlay`]).
    fn shares_at_radii(&self, place: &Place, radii_m: &[f64]) -> Vec<f64> {
        shares_by_overlay(place, self, radii_m)
    }
}

/// Straight-line reach of one category: its facilities' R-tree and a [`DistanceModel`].
pub struct Circles<'a> {
    /// The category's facility sites.
    pub index: FacilityIndex,
    /// How a facility's service area is drawn.
    pub model: &'a dyn DistanceModel,
    /// The facilities' nearest-facility cells, made on the first curve asked for.
    cells: std::sync::OnceLock<NearestCells>,
}

impl<'a> Circles<'a> {
    /// The reach of the facilities in `index`, drawn by `model`.
    pub fn new(index: FacilityIndex, model: &'a dyn DistanceModel) -> Circles<'a> {
        Circles {
            index,
            model,
            cells: std::sync::OnceLock::new(),
        }
    }
}

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
        let cells = self
            .cells
            .get_or_init(|| NearestCells::new(self.index.sites(), largest));
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

/// A community ready to measure: its boundary in the metric working CRS.
#[derive(Debug, Clone)]
pub struct Place {
    /// Boundary, metres.
    pub boundary: MultiPolygon<f64>,
    /// Area, m2.
    pub area_m2: f64,
    /// The point distances are measured from: the centroid when it lies inside the boundary,
    /// else a point inside (geo's `InteriorPoint`).
    pub centre: Coord<f64>,
    bbox: Rect<f64>,
    /// The edges of a large place (a district), for quick reach tests.
    edges: Option<EdgeIndex>,
}

impl Place {
    /// Prepares a boundary; `None` if it has no area.
    pub fn new(boundary: MultiPolygon<f64>) -> Option<Place> {
        // Exteriors counter-clockwise, holes clockwise: clipping counts a point as covered
        // or not by the winding of the rings around it.
        let boundary = boundary.orient(Direction::Default);
        let area_m2 = boundary.unsigned_area();
        let bbox = boundary.bounding_rect()?;
        if area_m2 <= 0.0 {
            return None;
        }
        let centre = boundary
            .centroid()
            .filter(|c| boundary.contains(c))
            .or_else(|| boundary.interior_point())?
            .0;
        let edges = EdgeIndex::of(&boundary);
        Some(Place {
            boundary,
            area_m2,
            centre,
            bbox,
            edges,
        })
    }

    /// The origin of the place's local coordinates: the corner of its bounding box.
    pub fn origin(&self) -> Coord<f64> {
        self.bbox.min()
    }

    /// The boundary in local coordinates.
    pub fn local(&self) -> MultiPolygon<f64> {
        let o = self.origin();
        self.boundary.translate(-o.x, -o.y)
    }

    /// The bounding box, working CRS.
    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// Whether the place may meet `rect` (working CRS): exact for a large place, its
    /// bounding box for a small one.
    pub fn meets(&self, rect: Rect<f64>) -> bool {
        match &self.edges {
            Some(edges) => edges.meets(rect.min(), rect.max()),
            None => geo::Intersects::intersects(&self.bbox, &rect),
        }
    }

    /// Whether `c` lies inside the place or within `distance_m` of its boundary.
    pub fn within(&self, c: Coord<f64>, distance_m: f64) -> bool {
        match &self.edges {
            Some(edges) => edges.within(c, distance_m),
            None => Euclidean.distance(&Point::from(c), &self.boundary) <= distance_m,
        }
    }
}

/// One category's reach at one community.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Area inside the union of service areas, m2.
    pub covered_m2: f64,
    /// `covered_m2` over the community's area, 0..1.
    pub share: f64,
    /// Walking distance from the community's centre to the nearest facility; `None` if the
    /// category has no facility at all.
    pub nearest_m: Option<f64>,
    /// Facilities within the radius of the community's centre.
    pub count: usize,
    /// The uncovered parts of the community (metres, working CRS).
    pub gaps: Vec<Polygon<f64>>,
}

/// Where a category reaches inside a place.
#[derive(Debug, Clone)]
pub enum Reach {
    /// Nowhere.
    Nowhere,
    /// Everywhere: one service area holds the whole place.
    Everywhere,
    /// Partly: the union of the service areas that reach the place, in the place's local
    /// coordinates (relative to [`Place::origin`]).
    Partly(MultiPolygon<f64>),
}

/// The service areas of `index` that reach `place`, within `radius_m`: their union,
/// clipped to (a little more than) the place's bounding box.
pub fn reach_into(place: &Place, reach: &dyn CategoryReach, radius_m: f64) -> Reach {
    match reach.reaching(place, radius_m) {
        Reaching::Nowhere => Reach::Nowhere,
        Reaching::Everywhere => Reach::Everywhere,
        Reaching::Partly(areas) => Reach::Partly(unary_union(&areas)),
    }
}

/// Where a category's service areas reach inside a place, before their union.
#[derive(Debug, Clone)]
pub enum Reaching {
    /// Nowhere.
    Nowhere,
    /// Everywhere: the whole place is within reach.
    Everywhere,
    /// Partly: the reached pieces over (at least) the place's bounding box, in the place's
    /// local coordinates (relative to [`Place::origin`]): counter-clockwise exteriors
    /// (holes clockwise where many circles came unioned). They may overlap: a point is
    /// reached when any piece holds it.
    Partly(Vec<Polygon<f64>>),
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
fn many_overlapping(count: usize, reach: f64, window: Rect<f64>) -> bool {
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

/// The parts of a place outside every one of `areas` (local coordinates): one overlay of
/// the place against all of them, where a point is covered if any area winds around it, so
/// the areas need no union first.
fn outside_all(place: &Place, areas: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
    place.local().boolean_op_with_fill_rule(
        &MultiPolygon(areas),
        OpType::Difference,
        FillRule::NonZero,
    )
}

/// Measures one category at one community.
pub fn measure_place(place: &Place, reach: &dyn CategoryReach, radius_m: f64) -> Coverage {
    let (nearest_m, count) = reach.nearest_and_count(place.centre, radius_m);
    match reach.reaching(place, radius_m) {
        Reaching::Nowhere => Coverage {
            covered_m2: 0.0,
            share: 0.0,
            nearest_m,
            count,
            gaps: place.boundary.0.clone(),
        },
        Reaching::Everywhere => Coverage {
            covered_m2: place.area_m2,
            share: 1.0,
            nearest_m,
            count,
            gaps: Vec::new(),
        },
        Reaching::Partly(areas) => {
            let origin = place.origin();
            let outside = outside_all(place, areas);
            // Covered is the rest of the place: one overlay gives both.
            let covered_m2 = (place.area_m2 - outside.unsigned_area()).max(0.0);
            let gaps = outside
                .0
                .into_iter()
                .map(|p| p.translate(origin.x, origin.y))
                .collect();
            Coverage {
                covered_m2,
                share: (covered_m2 / place.area_m2).clamp(0.0, 1.0),
                nearest_m,
                count,
                gaps,
            }
        }
    }
}

/// The covered share of a place at each radius of `radii_m` (ascending): one pass of
/// service areas per radius, with no clipping where a place is reached nowhere or
/// everywhere. A place held whole at one radius is held at every larger one.
pub fn shares_by_overlay<R: CategoryReach + ?Sized>(
    place: &Place,
    reach: &R,
    radii_m: &[f64],
) -> Vec<f64> {
    let mut shares = Vec::with_capacity(radii_m.len());
    let mut whole = false;
    for &r in radii_m {
        if whole {
            shares.push(1.0);
            continue;
        }
        let share = match reach.reaching(place, r) {
            Reaching::Nowhere => 0.0,
            Reaching::Everywhere => {
                whole = true;
                1.0
            }
            Reaching::Partly(areas) => {
                let outside = outside_all(place, areas).unsigned_area();
                (1.0 - outside / place.area_m2).clamp(0.0, 1.0)
            }
        };
        shares.push(share);
    }
    shares
}

/// The share of a place a [`Reach`] covers, 0..1.
pub fn covered_share(place: &Place, reach: &Reach) -> f64 {
    match reach {
        Reach::Nowhere => 0.0,
        Reach::Everywhere => 1.0,
        Reach::Partly(u) => {
            (place.local().intersection(u).unsigned_area() / place.area_m2).clamp(0.0, 1.0)
        }
    }
}

/// Where all of `reaches` (of one place) reach: the intersection, in local coordinates.
pub fn common_reach(place: &Place, reaches: &[Reach]) -> Reach {
    let mut region = Reach::Everywhere;
    for reach in reaches {
        region = match (region, reach) {
            (_, Reach::Nowhere) | (Reach::Nowhere, _) => return Reach::Nowhere,
            (r, Reach::Everywhere) => r,
            (Reach::Everywhere, Reach::Partly(u)) => Reach::Partly(place.local().intersection(u)),
            (Reach::Partly(p), Reach::Partly(u)) => Reach::Partly(p.intersection(u)),
        };
    }
    region
}

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

/// A dissolved service area: the union of the circles of a group of facilities whose
/// circles touch or overlap.
#[derive(Debug, Clone)]
pub struct ServiceArea {
    /// The dissolved shape (working CRS).
    pub shape: MultiPolygon<f64>,
    /// Distinct facilities in the group.
    pub facilities: usize,
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
    let sites = index.sites();
    let mut parent: Vec<usize> = (0..sites.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let reach = model.reach_m(radius_m);
    for (i, c) in sites.iter().enumerate() {
        for s in index.neighbours([c.x, c.y], 2.0 * reach) {
            let (a, b) = (root(&mut parent, i), root(&mut parent, s.data));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..sites.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    // One task per small group, one per tile of a large one.
    let tile = (8.0 * reach).max(10_000.0);
    let mut tasks: Vec<(Vec<usize>, Option<Rect<f64>>)> = Vec::new();
    for members in groups.into_values() {
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
        .par_iter()
        .filter_map(|(members, tile)| {
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
            let mut facilities: Vec<usize> =
                members.iter().map(|&i| index.facility_of(i)).collect();
            facilities.sort_unstable();
            facilities.dedup();
            Some(ServiceArea {
                shape: shape.translate(origin.x, origin.y),
                facilities: facilities.len(),
            })
        })
        .collect()
}

/// The union of `polygons` (counter-clockwise exteriors), as geo's `unary_union` makes it
/// but with i_overlay's list splitter: its tree splitter (which it picks above 4,000
/// segments) loops without end, eating memory, on some mixes of squares and clipped
/// circles in i_overlay 4.5.2. Output as OGC simple features, like `unary_union`.
pub(crate) fn union_of(polygons: &[Polygon<f64>]) -> MultiPolygon<f64> {
    use i_overlay::core::fill_rule::FillRule as Fill;
    use i_overlay::core::overlay_rule::OverlayRule;
    use i_overlay::core::solver::{Precision, Solver, Strategy};
    use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
    let paths: Vec<Vec<[f64; 2]>> = polygons
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|ring| {
            let n = ring.0.len().saturating_sub(1);
            ring.0[..n].iter().map(|c| [c.x, c.y]).collect()
        })
        .collect();
    let solver = Solver::with_strategy_and_precision(Strategy::List, Precision::HIGH);
    let shapes = FloatOverlay::with_subj_custom(&paths, OverlayOptions::ogc(), solver)
        .overlay(OverlayRule::Subject, Fill::NonZero);
    let ring = |path: &Vec<[f64; 2]>| {
        let mut coords: Vec<Coord<f64>> = path.iter().map(|&[x, y]| Coord { x, y }).collect();
        if let Some(&first) = coords.first() {
            coords.push(first);
        }
        LineString(coords)
    };
    MultiPolygon(
        shapes
            .iter()
            .filter_map(|shape| {
                let (outer, holes) = shape.split_first()?;
                Some(Polygon::new(ring(outer), holes.iter().map(ring).collect()))
            })
            .collect(),
    )
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
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::wkt;
    use geo::CoordsIter;

    fn place(mp: MultiPolygon<f64>) -> Place {
        Place::new(mp).unwrap()
    }

    fn circles(index: &FacilityIndex) -> Circles<'static> {
        Circles::new(index.clone(), Box::leak(Box::new(StraightLine::default())))
    }

    fn index(points: &[(f64, f64)]) -> FacilityIndex {
        FacilityIndex::new(
            points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| (Coord { x, y }, i)),
        )
    }

    #[test]
    fn circle_polygon_has_the_circle_area() {
        let c = StraightLine::default().service_area(Coord { x: 0.0, y: 0.0 }, 1000.0);
        assert_relative_eq!(c.unsigned_area(), PI * 1e6, max_relative = 1e-12);
        assert!(c.signed_area() > 0.0, "counter-clockwise");
    }

    /// A 200 m square with a facility at its corner: the circle's quarter inside the square
    /// has area πr²/4, which is half the square (40,000 m²) for r = 200·√(2/π) ≈ 159.6 m.
    #[test]
    fn square_half_inside_one_circle() {
        let sq = place(wkt!(MULTIPOLYGON(((0. 0.,200. 0.,200. 200.,0. 200.,0. 0.)))));
        let r = 200.0 * (2.0 / PI).sqrt();
        let idx = index(&[(0.0, 0.0)]);
        let cov = measure_place(&sq, &circles(&idx), r);
        // The polygon's quarter holds exactly a quarter of its (circle-equal) area; clipping
        // snaps to i_overlay's integer grid, a relative error of about 1e-6.
        assert_relative_eq!(cov.share, 0.5, max_relative = 1e-5);
        let gap_area: f64 = cov.gaps.iter().map(|g| g.unsigned_area()).sum();
        assert_relative_eq!(gap_area + cov.covered_m2, 40_000.0, max_relative = 1e-5);
    }

    /// A 1,000 m square centred on a facility with a 500 m circle: covered area π·500².
    #[test]
    fn circle_inside_square() {
        let sq = place(wkt!(MULTIPOLYGON(((0. 0.,1000. 0.,1000. 1000.,0. 1000.,0. 0.)))));
        let idx = index(&[(500.0, 500.0)]);
        let cov = measure_place(&sq, &circles(&idx), 500.0);
        assert_relative_eq!(cov.covered_m2, PI * 250_000.0, max_relative = 1e-5);
        assert_relative_eq!(cov.share, PI / 4.0, max_relative = 1e-5);
        assert_eq!(cov.nearest_m, Some(0.0));
        assert_eq!(cov.count, 1);
    }

    /// A square with a square hole: the hole is not part of the community, so a circle over
    /// the hole only covers the ring around it.
    #[test]
    fn community_with_a_hole() {
        let ring = place(
            wkt!(MULTIPOLYGON(((0. 0.,1000. 0.,1000. 1000.,0. 1000.,0. 0.),(300. 300.,300. 700.,700. 700.,700. 300.,300. 300.)))),
        );
        assert_relative_eq!(ring.area_m2, 1_000_000.0 - 160_000.0);
        // Centroid (500, 500) is in the hole: distances are measured from a point inside.
        assert!(ring.boundary.contains(&Point::from(ring.centre)));
        let idx = index(&[(500.0, 500.0)]);
        let cov = measure_place(&ring, &circles(&idx), 400.0);
        let expected = PI * 160_000.0 - 160_000.0;
        assert_relative_eq!(cov.covered_m2, expected, max_relative = 1e-5);
        assert_relative_eq!(cov.share, expected / 840_000.0, max_relative = 1e-5);
    }

    /// A facility 1,001 m from the nearest corner of a community does not reach it at
    /// 1,000 m; at 999 m it reaches a small corner.
    #[test]
    fn facility_just_outside_the_radius() {
        let sq = place(wkt!(MULTIPOLYGON(((0. 0.,100. 0.,100. 100.,0. 100.,0. 0.)))));
        let d = 1001.0 / 2f64.sqrt();
        let far = index(&[(-d, -d)]);
        let cov = measure_place(&sq, &circles(&far), 1000.0);
        assert_eq!(cov.share, 0.0);
        assert_eq!(cov.count, 0);
        let nearest = cov.nearest_m.unwrap();
        let expected = ((50.0 + d).powi(2) * 2.0).sqrt();
        assert_relative_eq!(nearest, expected, max_relative = 1e-12);
        let d = 999.0 / 2f64.sqrt();
        let near = index(&[(-d, -d)]);
        let cov = measure_place(&sq, &circles(&near), 1000.0);
        assert!(cov.share > 0.0 && cov.share < 0.01, "{}", cov.share);
    }

    #[test]
    fn whole_community_inside_one_circle_is_fully_covered() {
        let sq = place(wkt!(MULTIPOLYGON(((0. 0.,100. 0.,100. 100.,0. 100.,0. 0.)))));
        let idx = index(&[(50.0, 50.0), (5000.0, 5000.0)]);
        let cov = measure_place(&sq, &circles(&idx), 1000.0);
        assert_eq!(cov.share, 1.0);
        assert!(cov.gaps.is_empty());
        assert_eq!(cov.count, 1);
    }

    #[test]
    fn overlapping_circles_are_not_counted_twice() {
        let sq = place(wkt!(MULTIPOLYGON(((0. 0.,4000. 0.,4000. 4000.,0. 4000.,0. 0.)))));
        // Two circles of 500 m, centres 600 m apart: lens area from the closed form.
        let idx = index(&[(1700.0, 2000.0), (2300.0, 2000.0)]);
        let cov = measure_place(&sq, &circles(&idx), 500.0);
        let (r, d): (f64, f64) = (500.0, 600.0);
        let lens = 2.0 * r * r * (d / (2.0 * r)).acos() - d / 2.0 * (4.0 * r * r - d * d).sqrt();
        let expected = 2.0 * PI * r * r - lens;
        assert_relative_eq!(cov.covered_m2, expected, max_relative = 2e-4);
    }

    mod oracle {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// The covered share of a random block against a random set of facilities
            /// agrees with a brute-force count over a fine grid of points inside it (a
            /// point is covered if it lies within the radius of any facility), and the
            /// nearest distance and count agree with a scan of all facilities.
            #[test]
            fn share_matches_a_grid_count(
                w in 50.0..1500.0f64,
                h in 50.0..1500.0f64,
                sites in prop::collection::vec((-2000.0..3000.0f64, -2000.0..3000.0f64), 0..12),
                radius in 100.0..1500.0f64,
            ) {
                let block = Polygon::new(
                    LineString::from(vec![(0.0, 0.0), (w, 0.0), (w, h), (0.0, h), (0.0, 0.0)]),
                    vec![],
                );
                let place = Place::new(MultiPolygon(vec![block])).unwrap();
                let cov = measure_place(&place, &circles(&index(&sites)), radius);

                let n = 160;
                let mut inside = 0usize;
                for i in 0..n {
                    for j in 0..n {
                        let (x, y) = ((i as f64 + 0.5) * w / n as f64, (j as f64 + 0.5) * h / n as f64);
                        if sites.iter().any(|&(sx, sy)| (x - sx).hypot(y - sy) <= radius) {
                            inside += 1;
                        }
                    }
                }
                let expected = inside as f64 / (n * n) as f64;
                // Grid cells cut by a circle's edge: about perimeter/cell of n² cells.
                prop_assert!((cov.share - expected).abs() < 0.02, "{} vs {expected}", cov.share);

                let c = place.centre;
                let brute = sites.iter().map(|&(sx, sy)| (c.x - sx).hypot(c.y - sy));
                let nearest = brute.clone().fold(f64::INFINITY, f64::min);
                match cov.nearest_m {
                    Some(d) => prop_assert!((d - nearest).abs() < 1e-9),
                    None => prop_assert!(sites.is_empty()),
                }
                prop_assert_eq!(cov.count, brute.filter(|&d| d <= radius).count());
                let gap: f64 = cov.gaps.iter().map(|g| g.unsigned_area()).sum();
                prop_assert!((gap + cov.covered_m2 - w * h).abs() < 1e-4 * w * h);
            }
        }
    }

    /// A place under hundreds of overlapping circles is measured through the quadtree
    /// (squares where one circle holds a window): the same covered area and the same gaps
    /// as one overlay of every circle.
    #[test]
    fn a_place_under_many_circles_measures_as_one_overlay() {
        // A concave 30 x 20 km place with a bay, and 400 circles of 1 km on a jittered
        // grid: each window is covered about four times over.
        let boundary = wkt!(MULTIPOLYGON(((0. 0.,30000. 0.,30000. 20000.,16000. 20000.,
            15000. 8000.,14000. 20000.,0. 20000.,0. 0.))));
        let place = place(boundary);
        let points: Vec<(f64, f64)> = (0..400)
            .map(|i| {
                let (x, y) = ((i % 25) as f64, (i / 25) as f64);
                let jitter = ((i * 7919) % 97) as f64 * 13.0;
                (x * 1250.0 + jitter, y * 1300.0 + jitter * 0.7)
            })
            .collect();
        let model = StraightLine::default();
        let reach = circles(&index(&points));
        let window = place.bbox();
        assert!(many_overlapping(points.len(), 1000.0, window));
        let got = measure_place(&place, &reach, 1000.0);
        // One overlay of every circle, clipped to nothing.
        let origin = place.origin();
        let every: Vec<Polygon<f64>> = points
            .iter()
            .map(|&(x, y)| model.service_area(Coord { x, y } - origin, 1000.0))
            .collect();
        let outside = outside_all(&place, every);
        let want = place.area_m2 - outside.unsigned_area();
        assert_relative_eq!(got.covered_m2, want, max_relative = 1e-9);
        assert!(got.share > 0.3 && got.share < 0.99, "{}", got.share);
        assert_eq!(got.gaps.len(), outside.0.len());
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
