//! Measuring one category at one place: the covered share and area, the gaps, the nearest
//! facility and the count within the radius, from whatever [`CategoryReach`] the category
//! has; and for life circles, where several categories reach at once.

use geo::{unary_union, Area, BooleanOps, MultiPolygon, Polygon, Translate};

use crate::reach::{CategoryReach, Place, Reaching, Unreached};

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

/// Measures one category at one community.
pub fn measure_place(place: &Place, reach: &dyn CategoryReach, radius_m: f64) -> Coverage {
    let (nearest_m, count) = reach.nearest_and_count(place.centre, radius_m);
    match reach.unreached(place, radius_m) {
        Unreached::Whole => Coverage {
            covered_m2: 0.0,
            share: 0.0,
            nearest_m,
            count,
            gaps: place.boundary.0.clone(),
        },
        Unreached::Nothing => Coverage {
            covered_m2: place.area_m2,
            share: 1.0,
            nearest_m,
            count,
            gaps: Vec::new(),
        },
        Unreached::Parts(outside) => {
            let origin = place.origin();
            // Covered is the rest of the place.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reach::circles::many_overlapping;
    use crate::reach::circles::tests::index;
    use crate::reach::circles::{Circles, DistanceModel, StraightLine};
    use crate::reach::index::FacilityIndex;
    use crate::reach::outside_all;
    use approx::assert_relative_eq;
    use geo::wkt;
    use geo::{Contains, Coord, LineString, MultiPolygon, Point};
    use std::f64::consts::PI;

    fn place(mp: MultiPolygon<f64>) -> Place {
        Place::new(mp).unwrap()
    }

    fn circles(index: &FacilityIndex) -> Circles<'static> {
        Circles::new(index.clone(), Box::leak(Box::new(StraightLine::default())))
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
}
