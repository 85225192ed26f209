//! Which facilities can cut a facility's nearest-facility cell: its neighbours in the
//! Delaunay triangulation of the sites.
//!
//! The Voronoi cell of a site is the intersection of the half-planes towards it bounded by
//! the bisectors with its Delaunay neighbours (two sites share a Voronoi edge exactly when
//! they share a Delaunay edge), so clipping the square around a site by its neighbours'
//! bisectors gives the same cell as clipping by every site nearest first, at a fixed cost
//! of about six clips a site. Four sites on one circle may be joined by either diagonal;
//! the other pair's bisector then passes through the cell's vertex and cuts nothing. The
//! triangulation's in-circle test rounds, so four sites on one circle to within rounding
//! are such a case too: a pair it leaves out could cut the cell by a sliver of rounding
//! size, no more.

use geo::Coord;

/// Each site's Delaunay neighbours, as one list with offsets (site `i`'s are
/// `list[offsets[i]..offsets[i + 1]]`).
pub(super) struct Neighbours {
    offsets: Vec<usize>,
    list: Vec<usize>,
}

impl Neighbours {
    /// The neighbours of distinct `sites`; `None` when the triangulation leaves a site out:
    /// fewer than three sites, all on one line, or sites so close that the triangulation
    /// skips one as a duplicate. The cells are then found nearest first instead.
    pub(super) fn of(sites: &[Coord<f64>]) -> Option<Neighbours> {
        let points: Vec<delaunator::Point> = sites
            .iter()
            .map(|c| delaunator::Point { x: c.x, y: c.y })
            .collect();
        let t = delaunator::triangulate(&points);
        if t.triangles.is_empty() {
            return None;
        }
        // Each edge once per direction: an inner edge is two half-edges, a hull edge one.
        let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(2 * t.triangles.len());
        for (e, &from) in t.triangles.iter().enumerate() {
            let to = t.triangles[delaunator::next_halfedge(e)];
            pairs.push((from, to));
            if t.halfedges[e] == delaunator::EMPTY {
                pairs.push((to, from));
            }
        }
        let mut offsets = vec![0; sites.len() + 1];
        for &(from, _) in &pairs {
            offsets[from + 1] += 1;
        }
        for i in 0..sites.len() {
            offsets[i + 1] += offsets[i];
        }
        if (0..sites.len()).any(|i| offsets[i + 1] == offsets[i]) {
            return None;
        }
        let mut next = offsets.clone();
        let mut list = vec![0; pairs.len()];
        for (from, to) in pairs {
            list[next[from]] = to;
            next[from] += 1;
        }
        Some(Neighbours { offsets, list })
    }

    /// The neighbours of site `i`.
    pub(super) fn of_site(&self, i: usize) -> &[usize] {
        &self.list[self.offsets[i]..self.offsets[i + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn a_square_and_its_centre() {
        // The centre neighbours every corner; each corner its two sides and the centre.
        let sites = [
            c(0.0, 0.0),
            c(2.0, 0.0),
            c(2.0, 2.0),
            c(0.0, 2.0),
            c(1.0, 1.0),
        ];
        let n = Neighbours::of(&sites).expect("a triangulation");
        let mut centre = n.of_site(4).to_vec();
        centre.sort_unstable();
        assert_eq!(centre, [0, 1, 2, 3]);
        let mut corner = n.of_site(0).to_vec();
        corner.sort_unstable();
        assert_eq!(corner, [1, 3, 4]);
    }

    #[test]
    fn none_when_a_site_is_left_out() {
        assert!(Neighbours::of(&[c(0.0, 0.0), c(1.0, 0.0)]).is_none());
        assert!(Neighbours::of(&[c(0.0, 0.0), c(1.0, 1.0), c(2.0, 2.0)]).is_none());
        // Distinct, but within the triangulation's duplicate tolerance: one is skipped.
        let sites = [
            c(0.0, 0.0),
            c(1.0, 0.0),
            c(0.0, 1.0),
            c(1.0, 1.0),
            c(0.5, 0.5),
            c(0.45, 0.5),
            c(0.9, 0.1),
            c(0.9 + f64::EPSILON, 0.1),
        ];
        assert!(Neighbours::of(&sites).is_none());
    }
}
