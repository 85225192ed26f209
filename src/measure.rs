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

use geo::{
    unary_union, Area, BooleanOps, BoundingRect, Centroid, Contains, Coord, Distance, Euclidean,
    InteriorPoint, LineString, MultiPolygon, Point, Polygon, Rect, Translate,
};
use rayon::prelude::*;

use crate::index::FacilityIndex;

/// How walking distance and reach are modelled.
pub trait DistanceModel: Sync {
    /// A short description for summaries, e.g. "straight-line circle".
    fn name(&self) -> &'static str;

    /// The area reachable from `site` within `radius_m`, as a counter-clockwise polygon.
    fn service_area(&self, site: Coord<f64>, radius_m: f64) -> Polygon<f64>;

    /// How far the service area can extend from its site; candidates are taken from the
    /// R-tree within this straight-line distance.
    fn reach_m(&self, radius_m: f64) -> f64;

    /// Walking distance between two points; never shorter than the straight line.
    fn distance_m(&self, from: Coord<f64>, to: Coord<f64>) -> f64;

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
}

impl StraightLine {
    /// Circles drawn with `segments` sides (at least 8).
    pub fn new(segments: usize) -> StraightLine {
        let n = segments.max(8) as f64;
        StraightLine {
            segments: segments.max(8),
            scale: (2.0 * PI / (n * (2.0 * PI / n).sin())).sqrt(),
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

    fn service_area(&self, site: Coord<f64>, radius_m: f64) -> Polygon<f64> {
        let r = radius_m * self.scale;
        let n = self.segments;
        let ring: Vec<Coord<f64>> = (0..=n)
            .map(|i| {
                let a = 2.0 * PI * (i % n) as f64 / n as f64;
                Coord {
                    x: site.x + r * a.cos(),
                    y: site.y + r * a.sin(),
                }
            })
            .collect();
        Polygon::new(LineString(ring), vec![])
    }

    fn reach_m(&self, radius_m: f64) -> f64 {
        radius_m * self.scale
    }

    fn distance_m(&self, from: Coord<f64>, to: Coord<f64>) -> f64 {
        (from.x - to.x).hypot(from.y - to.y)
    }

    /// The drawn circle is convex and holds the inner circle: a ring whose vertices all lie
    /// in the inner circle lies inside.
    fn holds_ring(&self, site: Coord<f64>, radius_m: f64, ring: &LineString<f64>) -> bool {
        let inner = self.inner_radius(radius_m);
        ring.0
            .iter()
            .all(|v| (v.x - site.x).hypot(v.y - site.y) <= inner)
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
}

impl Place {
    /// Prepares a boundary; `None` if it has no area.
    pub fn new(boundary: MultiPolygon<f64>) -> Option<Place> {
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
        Some(Place {
            boundary,
            area_m2,
            centre,
            bbox,
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

/// The service areas of `index` that reach `place`, within `radius_m`.
pub fn reach_into(
    place: &Place,
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radius_m: f64,
) -> Reach {
    let reach = model.reach_m(radius_m);
    let mut candidates: Vec<Coord<f64>> = index
        .reaching(place.bbox, reach)
        .map(|s| index.sites()[s.data])
        .filter(|c| Euclidean.distance(&Point::from(*c), &place.boundary) <= reach)
        .collect();
    if candidates.is_empty() {
        return Reach::Nowhere;
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
        return Reach::Everywhere;
    }
    // Clipped in coordinates relative to the place, away from large projected values.
    let origin = place.origin();
    let circles: Vec<Polygon<f64>> = candidates
        .iter()
        .map(|&c| model.service_area(c - origin, radius_m))
        .collect();
    Reach::Partly(unary_union(&circles))
}

/// Measures one category at one community.
pub fn measure_place(
    place: &Place,
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radius_m: f64,
) -> Coverage {
    let (nearest_m, count) = nearest_and_count(place.centre, index, model, radius_m);
    match reach_into(place, index, model, radius_m) {
        Reach::Nowhere => Coverage {
            covered_m2: 0.0,
            share: 0.0,
            nearest_m,
            count,
            gaps: place.boundary.0.clone(),
        },
        Reach::Everywhere => Coverage {
            covered_m2: place.area_m2,
            share: 1.0,
            nearest_m,
            count,
            gaps: Vec::new(),
        },
        Reach::Partly(reach_union) => {
            let origin = place.origin();
            let local = place.local();
            let covered_m2 = local.intersection(&reach_union).unsigned_area();
            let gaps = local
                .difference(&reach_union)
                .0
                .into_iter()
                .map(|p| p.translate(origin.x, origin.y))
                .collect();
            Coverage {
                covered_m2: covered_m2.min(place.area_m2),
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
pub fn shares_at_radii(
    place: &Place,
    index: &FacilityIndex,
    model: &dyn DistanceModel,
    radii_m: &[f64],
) -> Vec<f64> {
    let mut shares = Vec::with_capacity(radii_m.len());
    let mut whole = false;
    let local = std::cell::OnceCell::new();
    for &r in radii_m {
        if whole {
            shares.push(1.0);
            continue;
        }
        let share = match reach_into(place, index, model, r) {
            Reach::Nowhere => 0.0,
            Reach::Everywhere => {
                whole = true;
                1.0
            }
            Reach::Partly(u) => {
                let local = local.get_or_init(|| place.local());
                (local.intersection(&u).unsigned_area() / place.area_m2).clamp(0.0, 1.0)
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
    let mut in_reach: Vec<usize> = index
        .within(from, radius_m)
        .filter(|s| model.distance_m(from, index.sites()[s.data]) <= radius_m)
        .map(|s| index.facility_of(s.data))
        .collect();
    in_reach.sort_unstable();
    in_reach.dedup();
    (best, in_reach.len())
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

/// Dissolves the service areas of all sites, group by group: sites whose service areas can
/// overlap (closer than twice the reach) are grouped, and each group is unioned on its own,
/// in parallel. Groups come ordered by their first site.
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
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups
        .par_iter()
        .map(|members| {
            let origin = sites[members[0]];
            let circles: Vec<Polygon<f64>> = members
                .iter()
                .map(|&i| model.service_area(sites[i] - origin, radius_m))
                .collect();
            let mut facilities: Vec<usize> =
                members.iter().map(|&i| index.facility_of(i)).collect();
            facilities.sort_unstable();
            facilities.dedup();
            ServiceArea {
                shape: unary_union(&circles).translate(origin.x, origin.y),
                facilities: facilities.len(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::wkt;

    fn place(mp: MultiPolygon<f64>) -> Place {
        Place::new(mp).unwrap()
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
        let cov = measure_place(&sq, &idx, &StraightLine::default(), r);
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
        let cov = measure_place(&sq, &idx, &StraightLine::default(), 500.0);
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
        let cov = measure_place(&ring, &idx, &StraightLine::default(), 400.0);
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
        let cov = measure_place(&sq, &far, &StraightLine::default(), 1000.0);
        assert_eq!(cov.share, 0.0);
        assert_eq!(cov.count, 0);
        let nearest = cov.nearest_m.unwrap();
        let expected = ((50.0 + d).powi(2) * 2.0).sqrt();
        assert_relative_eq!(nearest, expected, max_relative = 1e-12);
        let d = 999.0 / 2f64.sqrt();
        let near = index(&[(-d, -d)]);
        let cov = measure_place(&sq, &near, &StraightLine::default(), 1000.0);
        assert!(cov.share > 0.0 && cov.share < 0.01, "{}", cov.share);
    }

    #[test]
    fn whole_community_inside_one_circle_is_fully_covered() {
        let sq = place(wkt!(MULTIPOLYGON(((0. 0.,100. 0.,100. 100.,0. 100.,0. 0.)))));
        let idx = index(&[(50.0, 50.0), (5000.0, 5000.0)]);
        let cov = measure_place(&sq, &idx, &StraightLine::default(), 1000.0);
        assert_eq!(cov.share, 1.0);
        assert!(cov.gaps.is_empty());
        assert_eq!(cov.count, 1);
    }

    #[test]
    fn overlapping_circles_are_not_counted_twice() {
        let sq = place(wkt!(MULTIPOLYGON(((0. 0.,4000. 0.,4000. 4000.,0. 4000.,0. 0.)))));
        // Two circles of 500 m, centres 600 m apart: lens area from the closed form.
        let idx = index(&[(1700.0, 2000.0), (2300.0, 2000.0)]);
        let cov = measure_place(&sq, &idx, &StraightLine::default(), 500.0);
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
                let cov = measure_place(&place, &index(&sites), &StraightLine::default(), radius);

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
