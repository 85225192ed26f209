//! R-trees over facility sites and community boundaries (rstar).

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

mod edges;

pub use edges::EdgeIndex;

/// A facility site in the tree: its point, and its position in [`FacilityIndex::sites`].
pub type Site = GeomWithData<[f64; 2], usize>;

/// The sites of one category's facilities, for nearest and within-distance queries.
///
/// A facility has one site (a point) or several (the entrances of a MultiPoint).
#[derive(Clone)]
pub struct FacilityIndex {
    tree: RTree<Site>,
    sites: Vec<Coord<f64>>,
    facility_of: Vec<usize>,
}

impl FacilityIndex {
    /// Bulk-loads the sites, each given with the facility it belongs to.
    pub fn new(sites: impl IntoIterator<Item = (Coord<f64>, usize)>) -> FacilityIndex {
        let (sites, facility_of): (Vec<Coord<f64>>, Vec<usize>) = sites.into_iter().unzip();
        let entries = sites
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new([c.x, c.y], i))
            .collect();
        FacilityIndex {
            tree: RTree::bulk_load(entries),
            sites,
            facility_of,
        }
    }

    /// All sites, in the order given.
    pub fn sites(&self) -> &[Coord<f64>] {
        &self.sites
    }

    /// The facility that site `site` belongs to.
    pub fn facility_of(&self, site: usize) -> usize {
        self.facility_of[site]
    }

    /// Sites in increasing straight-line distance from `from`, with the squared distance.
    pub fn nearest_iter(&self, from: Coord<f64>) -> impl Iterator<Item = (&Site, f64)> {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&[from.x, from.y])
    }

    /// Sites within straight-line distance `radius` of `from` (boundary included).
    pub fn within(&self, from: Coord<f64>, radius: f64) -> impl Iterator<Item = &Site> {
        self.tree
            .locate_within_distance([from.x, from.y], radius * radius)
    }

    /// Sites whose circle of `radius` can reach `rect`: those in `rect` grown by `radius`.
    pub fn reaching(&self, rect: Rect<f64>, radius: f64) -> impl Iterator<Item = &Site> {
        let envelope = AABB::from_corners(
            [rect.min().x - radius, rect.min().y - radius],
            [rect.max().x + radius, rect.max().y + radius],
        );
        self.tree.locate_in_envelope(&envelope)
    }

    /// Sites within `distance` of site `of` (for grouping overlapping circles).
    pub fn neighbours(&self, of: [f64; 2], distance: f64) -> impl Iterator<Item = &Site> {
        self.tree.locate_within_distance(of, distance * distance)
    }
}

/// The communities' bounding boxes, for point-in-study-area tests.
pub struct CommunityIndex<'a> {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    boundaries: Vec<&'a MultiPolygon<f64>>,
    /// The edges of the large boundaries (districts), by position: made once with each
    /// place ([`crate::reach::Place::edges`]).
    edges: Vec<Option<&'a EdgeIndex>>,
}

impl<'a> CommunityIndex<'a> {
    /// Indexes the boundaries by their bounding boxes; each comes with its edges' index if
    /// it is large.
    pub fn new(
        boundaries: impl IntoIterator<Item = (&'a MultiPolygon<f64>, Option<&'a EdgeIndex>)>,
    ) -> CommunityIndex<'a> {
        let (boundaries, edges): (Vec<_>, Vec<_>) = boundaries.into_iter().unzip();
        let entries = boundaries
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let r = b.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        CommunityIndex {
            tree: RTree::bulk_load(entries),
            boundaries,
            edges,
        }
    }

    /// Whether boundary `i` holds `c`, edge included.
    fn holds(&self, i: usize, c: Coord<f64>) -> bool {
        match self.edges[i] {
            // On the edge, up to the rounding of the distance to it.
            Some(edges) => edges.within(c, 1e-12 * (c.x.abs() + c.y.abs()).max(1.0)),
            None => {
                let (b, p) = (self.boundaries[i], geo::Point::from(c));
                b.contains(&p) || geo::Intersects::intersects(b, &p)
            }
        }
    }

    /// The first community (lowest position) that holds `c`, edge included.
    pub fn locate(&self, c: Coord<f64>) -> Option<usize> {
        self.tree
            .locate_all_at_point(&[c.x, c.y])
            .filter(|e| self.holds(e.data, c))
            .map(|e| e.data)
            .min()
    }

    /// The communities whose bounding boxes meet `rect`, in position order.
    pub fn overlapping(&self, rect: Rect<f64>) -> Vec<usize> {
        let envelope =
            rstar::AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        let mut found: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| e.data)
            .collect();
        found.sort_unstable();
        found
    }

    /// Whether `c` lies inside (or on the edge of) any community.
    pub fn covers(&self, c: Coord<f64>) -> bool {
        self.tree
            .locate_all_at_point(&[c.x, c.y])
            .any(|e| self.holds(e.data, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn coords() -> impl Strategy<Value = Vec<(f64, f64)>> {
        prop::collection::vec((-5000.0..5000.0f64, -5000.0..5000.0f64), 1..200)
    }

    proptest! {
        /// Nearest and within-radius queries agree with a brute-force scan.
        #[test]
        fn queries_match_brute_force(
            sites in coords(),
            qx in -6000.0..6000.0f64,
            qy in -6000.0..6000.0f64,
            radius in 1.0..3000.0f64,
        ) {
            let index = FacilityIndex::new(
                sites.iter().enumerate().map(|(i, &(x, y))| (Coord { x, y }, i)),
            );
            let q = Coord { x: qx, y: qy };
            let dist = |&(x, y): &(f64, f64)| ((x - qx).powi(2) + (y - qy).powi(2)).sqrt();

            let brute_nearest = sites.iter().map(dist).fold(f64::INFINITY, f64::min);
            let (site, d2) = index.nearest_iter(q).next().unwrap();
            prop_assert!((d2.sqrt() - brute_nearest).abs() < 1e-9);
            prop_assert!((dist(&sites[site.data]) - brute_nearest).abs() < 1e-9);

            let mut brute_within: Vec<usize> = sites
                .iter()
                .enumerate()
                .filter(|(_, s)| dist(s) <= radius)
                .map(|(i, _)| i)
                .collect();
            let mut got: Vec<usize> = index.within(q, radius).map(|s| s.data).collect();
            brute_within.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(got, brute_within);

            // The nearest iterator returns every site, in non-decreasing distance.
            let ds: Vec<f64> = index.nearest_iter(q).map(|(_, d2)| d2).collect();
            prop_assert_eq!(ds.len(), sites.len());
            prop_assert!(ds.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn covers_points_inside_and_on_the_edge() {
        let square: MultiPolygon<f64> =
            geo::wkt!(MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.))));
        let edges = EdgeIndex::of(&square);
        let index = CommunityIndex::new([(&square, edges.as_ref())]);
        assert!(index.covers(Coord { x: 5.0, y: 5.0 }));
        assert!(index.covers(Coord { x: 10.0, y: 5.0 }));
        assert!(!index.covers(Coord { x: 10.5, y: 5.0 }));
    }
}
