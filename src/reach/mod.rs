//! What "within reach" means, decided in one place: a [`CategoryReach`] per category, built
//! once per run, that the analysis asks for the nearest facility, the facilities within
//! reach, the reached part of a place and the dissolved service areas, and never how it
//! knows. Straight-line circles ([`circles`]) are one kind; the street network
//! ([`network`]) is the other. Adding a way of reaching is a file here and a key in the
//! configuration.
//!
//! Also here: the spatial indexes of facilities and places ([`index`]), and the place as
//! reach sees it ([`place::Place`]: a boundary in the working CRS).

use geo::algorithm::bool_ops::FillRule;
use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, OpType, Polygon};

pub mod choice;
pub mod circles;
pub mod index;
pub mod network;
pub mod place;

pub use place::Place;

/// What "within reach" means for one category, decided once per run: the analysis asks it
/// for the nearest facility, the facilities within reach, the reached part of a place and
/// the dissolved service areas, and never how it knows. Straight-line [`Circles`] are one
/// kind; the street network (`crate::reach::network::NetworkReach`) is the other.
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

    /// Makes what measuring `places` at `radius_m` will share, before they are measured in
    /// parallel (by default nothing).
    fn prepare(&self, places: &[Place], radius_m: f64) {
        let _ = (places, radius_m);
    }

    /// Where the category's facilities do not reach inside `place` within `radius_m`: the
    /// gaps. By default one overlay of the place against what [`CategoryReach::reaching`]
    /// gives ([`unreached_by_overlay`]).
    fn unreached(&self, place: &Place, radius_m: f64) -> Unreached {
        unreached_by_overlay(place, self.reaching(place, radius_m))
    }

    /// The service areas at `radius_m`, dissolved (working CRS).
    fn service_areas(&self, radius_m: f64) -> Vec<ServiceArea>;

    /// The covered share of `place` at each radius of `radii_m` (ascending): the coverage
    /// curve. By default one overlay per radius ([`shares_by_overlay`]).
    fn shares_at_radii(&self, place: &Place, radii_m: &[f64]) -> Vec<f64> {
        shares_by_overlay(place, self, radii_m)
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

/// Where a category's service areas do not reach inside a place.
#[derive(Debug, Clone)]
pub enum Unreached {
    /// The whole place: nothing reaches it.
    Whole,
    /// None of it: the whole place is within reach.
    Nothing,
    /// These parts (local coordinates, relative to [`Place::origin`]).
    Parts(MultiPolygon<f64>),
}

/// The parts of a place outside what `reaching` reaches: one overlay ([`outside_all`]).
pub fn unreached_by_overlay(place: &Place, reaching: Reaching) -> Unreached {
    match reaching {
        Reaching::Nowhere => Unreached::Whole,
        Reaching::Everywhere => Unreached::Nothing,
        Reaching::Partly(areas) => Unreached::Parts(outside_all(place, areas)),
    }
}

/// The parts of a place outside every one of `areas` (local coordinates): one overlay of
/// the place against all of them, where a point is covered if any area winds around it, so
/// the areas need no union first.
pub fn outside_all(place: &Place, areas: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
    place.local().boolean_op_with_fill_rule(
        &MultiPolygon(areas),
        OpType::Difference,
        FillRule::NonZero,
    )
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

/// A dissolved service area: the union of the circles of a group of facilities whose
/// circles touch or overlap.
#[derive(Debug, Clone)]
pub struct ServiceArea {
    /// The dissolved shape (working CRS).
    pub shape: MultiPolygon<f64>,
    /// Distinct facilities in the group.
    pub facilities: usize,
}

/// The union of `polygons` (counter-clockwise exteriors), as geo's `unary_union` makes it
/// but with i_overlay's list splitter: its tree splitter (which it picks above 4,000
/// segments) loops without end, eating memory, on some mixes of squares and clipped
/// circles in i_overlay 4.5.2. Output as OGC simple features, like `unary_union`.
pub(crate) fn union_of(polygons: &[Polygon<f64>]) -> MultiPolygon<f64> {
    use i_overlay::core::fill_rule::FillRule as Fill;
    use i_overlay::core::overlay_rule::OverlayRule;
    use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
    let paths: Vec<Vec<[f64; 2]>> = polygons.iter().flat_map(polygon_paths).collect();
    let shapes = FloatOverlay::with_subj_custom(&paths, OverlayOptions::ogc(), list_solver())
        .overlay(OverlayRule::Subject, Fill::NonZero);
    MultiPolygon(simple_polygons(&shapes))
}

/// The parts of `subject` (closed paths, not repeating their first point; a point is inside
/// where their winding number is not zero) outside every one of `clip` (counter-clockwise
/// exteriors, clockwise holes): one overlay, with the list splitter as [`union_of`].
pub(crate) fn difference_of(
    subject: &[Vec<Coord<f64>>],
    clip: &[Polygon<f64>],
) -> Vec<Polygon<f64>> {
    use i_overlay::core::fill_rule::FillRule as Fill;
    use i_overlay::core::overlay_rule::OverlayRule;
    use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
    let subject: Vec<Vec<[f64; 2]>> = subject
        .iter()
        .map(|path| path.iter().map(|c| [c.x, c.y]).collect())
        .collect();
    let clip: Vec<Vec<[f64; 2]>> = clip.iter().flat_map(polygon_paths).collect();
    let shapes = FloatOverlay::with_subj_and_clip_custom(
        &subject,
        &clip,
        OverlayOptions::ogc(),
        list_solver(),
    )
    .overlay(OverlayRule::Difference, Fill::NonZero);
    simple_polygons(&shapes)
}

/// i_overlay's list splitter at high precision (see [`union_of`]).
fn list_solver() -> i_overlay::core::solver::Solver {
    use i_overlay::core::solver::{Precision, Solver, Strategy};
    Solver::with_strategy_and_precision(Strategy::List, Precision::HIGH)
}

/// A polygon's rings as open paths (without the closing repeat), the exterior first.
pub(crate) fn open_rings(p: &Polygon<f64>) -> impl Iterator<Item = &[Coord<f64>]> + '_ {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|ring| {
            let n = ring.0.len().saturating_sub(1);
            &ring.0[..n]
        })
}

/// A polygon's rings as i_overlay paths (without the closing repeat).
fn polygon_paths(p: &Polygon<f64>) -> impl Iterator<Item = Vec<[f64; 2]>> + '_ {
    open_rings(p).map(|ring| ring.iter().map(|c| [c.x, c.y]).collect())
}

/// i_overlay's shapes (an outer path, then its holes) as polygons with closed rings.
fn simple_polygons(shapes: &[Vec<Vec<[f64; 2]>>]) -> Vec<Polygon<f64>> {
    let ring = |path: &Vec<[f64; 2]>| {
        let mut coords: Vec<Coord<f64>> = path.iter().map(|&[x, y]| Coord { x, y }).collect();
        if let Some(&first) = coords.first() {
            coords.push(first);
        }
        LineString(coords)
    };
    shapes
        .iter()
        .filter_map(|shape| {
            let (outer, holes) = shape.split_first()?;
            Some(Polygon::new(ring(outer), holes.iter().map(ring).collect()))
        })
        .collect()
}
