//! The street graph: nodes where ways meet or end, edges between them, islands dropped, and
//! points attached to the nearest street.
//!
//! The model, so that an independent computation can agree (tests/reference has one):
//! - a node is a way's end, a vertex shared by two or more ways (the same OSM node id; in a
//!   line layer the same coordinates as written in the file), or a vertex repeated in one
//!   way; lines that cross without a shared vertex do not connect (bridges, tunnels);
//! - an edge is the piece of a way between two consecutive nodes, undirected, as long as its
//!   polyline in the working CRS;
//! - connected components with fewer than `min_component_nodes` nodes are dropped;
//! - a point attaches to the nearest point of the nearest kept edge, if that is within the
//!   snapping distance; the leg from the point to the street counts in its distance.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use geo::Coord;
use rstar::primitives::{GeomWithData, Line as SegmentLine};
use rstar::RTree;

/// What makes two vertices the same street node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VertexKey {
    /// An OpenStreetMap node id.
    Osm(i64),
    /// Coordinates as written in a line layer (the bits of x and y).
    At(u64, u64),
}

impl VertexKey {
    /// The key of a coordinate as read from a line layer.
    pub fn at(c: Coord<f64>) -> VertexKey {
        // 0.0 and -0.0 are the same place.
        VertexKey::At((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
    }
}

/// One way (a line feature or an OSM way), its vertices in the working CRS.
#[derive(Debug, Clone)]
pub struct Way {
    /// Which vertex is which node.
    pub keys: Vec<VertexKey>,
    /// The vertices, working CRS (metres).
    pub coords: Vec<Coord<f64>>,
}

/// An undirected edge between two nodes.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The node at the polyline's first vertex.
    pub a: u32,
    /// The node at its last vertex.
    pub b: u32,
    /// Length along the polyline, metres.
    pub length_m: f64,
    /// The polyline, working CRS.
    pub line: Vec<Coord<f64>>,
}

/// Where a point meets the street network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attachment {
    /// The edge attached to.
    pub edge: u32,
    /// Distance along the edge from its node `a` to the attachment point, metres.
    pub along_m: f64,
    /// Straight-line distance from the point to the attachment point, metres.
    pub leg_m: f64,
}

/// What building the graph found, for the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphReport {
    /// Ways given.
    pub ways: usize,
    /// Ways with fewer than two distinct vertices, which give no edge.
    pub ways_degenerate: usize,
    /// Ways whose vertices repeat another way's exactly (either direction), not added again.
    pub ways_duplicated: usize,
    /// Edges of zero length (two distinct nodes at the same place), kept so that the way
    /// stays connected.
    pub edges_zero_length: usize,
    /// Nodes kept.
    pub nodes: usize,
    /// Edges kept.
    pub edges: usize,
    /// Total length of the kept edges, metres.
    pub length_m: f64,
    /// Components dropped for having fewer than the minimum number of nodes.
    pub components_dropped: usize,
    /// Nodes in the dropped components.
    pub nodes_dropped: usize,
}

/// A segment in the snapping tree: its edge and the distance along the edge to its start.
type Segment = GeomWithData<SegmentLine<[f64; 2]>, (u32, f64)>;

/// The walkable street network in the working CRS.
pub struct StreetGraph {
    edges: Vec<Edge>,
    /// Per node, the range of `adjacent` that lists its edges.
    first: Vec<usize>,
    /// (neighbour node, edge length), grouped by node.
    adjacent: Vec<(u32, f64)>,
    segments: RTree<Segment>,
    report: GraphReport,
}

impl StreetGraph {
    /// Builds the graph from `ways`, dropping components of fewer than
    /// `min_component_nodes` nodes.
    pub fn build(ways: &[Way], min_component_nodes: usize) -> StreetGraph {
        let mut report = GraphReport {
            ways: ways.len(),
            ..GraphReport::default()
        };
        let ways = distinct_ways(ways, &mut report);
        let (edges, node_count) = cut_into_edges(&ways, &mut report);
        let (edges, node_count) = drop_islands(edges, node_count, min_component_nodes, &mut report);
        report.nodes = node_count;
        report.edges = edges.len();
        report.length_m = edges.iter().map(|e| e.length_m).sum();
        let (first, adjacent) = adjacency(&edges, node_count);
        let segments = RTree::bulk_load(
            edges
                .iter()
                .enumerate()
                .flat_map(|(i, e)| {
                    let mut along = 0.0;
                    e.line.windows(2).map(move |w| {
                        let start = along;
                        along += dist(w[0], w[1]);
                        GeomWithData::new(
                            SegmentLine::new([w[0].x, w[0].y], [w[1].x, w[1].y]),
                            (i as u32, start),
                        )
                    })
                })
                .collect(),
        );
        StreetGraph {
            edges,
            first,
            adjacent,
            segments,
            report,
        }
    }

    /// What building found.
    pub fn report(&self) -> &GraphReport {
        &self.report
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.first.len().saturating_sub(1)
    }

    /// The kept edges.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Attaches `point` to the nearest point of the nearest edge, if within `snap_max_m`.
    pub fn attach(&self, point: Coord<f64>, snap_max_m: f64) -> Option<Attachment> {
        let q = [point.x, point.y];
        // Ties between segments at the same distance go to the lowest edge, then the
        // segment nearest the edge's start, so the answer does not depend on the tree.
        let mut best: Option<(f64, u32, f64, f64)> = None;
        // Segments come nearest first: stop past the snapping distance or the best found.
        for (seg, d2) in self.segments.nearest_neighbor_iter_with_distance_2(&q) {
            if d2 > snap_max_m * snap_max_m || best.is_some_and(|(bd2, ..)| d2 > bd2) {
                break;
            }
            let (edge, start) = seg.data;
            let better = match best {
                None => true,
                Some((bd2, be, bs, _)) => match d2.total_cmp(&bd2) {
                    Ordering::Less => true,
                    Ordering::Greater => false,
                    Ordering::Equal => (edge, start) < (be, bs),
                },
            };
            if better {
                let at = seg.geom().nearest_point(&q);
                let from = seg.geom().from;
                let along = start + (at[0] - from[0]).hypot(at[1] - from[1]);
                best = Some((d2, edge, start, along));
            }
        }
        let (d2, edge, _, along_m) = best?;
        let length = self.edges[edge as usize].length_m;
        Some(Attachment {
            edge,
            along_m: along_m.min(length),
            leg_m: d2.sqrt(),
        })
    }

    /// Shortest distance from the seeds (node, starting distance) to every node, stopping
    /// at `bound_m`: nodes farther than that (or unreachable) get infinity.
    pub fn distances(&self, seeds: &[(u32, f64)], bound_m: f64) -> Vec<f64> {
        let mut dist = vec![f64::INFINITY; self.nodes()];
        let mut heap = BinaryHeap::new();
        for &(node, d) in seeds {
            if d <= bound_m && d < dist[node as usize] {
                dist[node as usize] = d;
                heap.push(Visit { d, node });
            }
        }
        while let Some(Visit { d, node }) = heap.pop() {
            if d > dist[node as usize] {
                continue;
            }
            for &(next, len) in
                &self.adjacent[self.first[node as usize]..self.first[node as usize + 1]]
            {
                let nd = d + len;
                if nd <= bound_m && nd < dist[next as usize] {
                    dist[next as usize] = nd;
                    heap.push(Visit { d: nd, node: next });
                }
            }
        }
        dist
    }

    /// The same as [`StreetGraph::distances`], keeping only the nodes reached, for searches
    /// that reach a small part of a large network.
    pub fn distances_within(&self, seeds: &[(u32, f64)], bound_m: f64) -> HashMap<u32, f64> {
        let mut dist: HashMap<u32, f64> = HashMap::new();
        let mut heap = BinaryHeap::new();
        for &(node, d) in seeds {
            if d <= bound_m && dist.get(&node).is_none_or(|&old| d < old) {
                dist.insert(node, d);
                heap.push(Visit { d, node });
            }
        }
        while let Some(Visit { d, node }) = heap.pop() {
            if dist.get(&node).is_some_and(|&old| d > old) {
                continue;
            }
            for &(next, len) in
                &self.adjacent[self.first[node as usize]..self.first[node as usize + 1]]
            {
                let nd = d + len;
                if nd <= bound_m && dist.get(&next).is_none_or(|&old| nd < old) {
                    dist.insert(next, nd);
                    heap.push(Visit { d: nd, node: next });
                }
            }
        }
        dist
    }

    /// The two seeds an attachment gives a search: its edge's ends, at the leg plus the
    /// way along the edge to each.
    pub fn seeds(&self, at: &Attachment) -> [(u32, f64); 2] {
        let e = &self.edges[at.edge as usize];
        [
            (e.a, at.leg_m + at.along_m),
            (e.b, at.leg_m + (e.length_m - at.along_m).max(0.0)),
        ]
    }
}

/// A node on the search's frontier; the heap pops the smallest distance first.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Visit {
    d: f64,
    node: u32,
}

impl Eq for Visit {}

impl Ord for Visit {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .d
            .total_cmp(&self.d)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Visit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// The ways with consecutive repeated vertices removed, without degenerate ways and without
/// exact duplicates of an earlier way (in either direction).
fn distinct_ways(ways: &[Way], report: &mut GraphReport) -> Vec<(Vec<VertexKey>, Vec<Coord<f64>>)> {
    let mut seen: std::collections::HashSet<Vec<VertexKey>> = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(ways.len());
    for way in ways {
        let mut keys: Vec<VertexKey> = Vec::with_capacity(way.keys.len());
        let mut coords: Vec<Coord<f64>> = Vec::with_capacity(way.coords.len());
        for (k, c) in way.keys.iter().zip(&way.coords) {
            if keys.last() != Some(k) {
                keys.push(*k);
                coords.push(*c);
            }
        }
        if keys.len() < 2 {
            report.ways_degenerate += 1;
            continue;
        }
        let reversed: Vec<VertexKey> = keys.iter().rev().copied().collect();
        let canonical = if reversed < keys {
            reversed
        } else {
            keys.clone()
        };
        if !seen.insert(canonical) {
            report.ways_duplicated += 1;
            continue;
        }
        out.push((keys, coords));
    }
    out
}

/// Cuts every way at its nodes; returns the edges and the number of nodes.
fn cut_into_edges(
    ways: &[(Vec<VertexKey>, Vec<Coord<f64>>)],
    report: &mut GraphReport,
) -> (Vec<Edge>, usize) {
    // How often each vertex occurs, over all ways (twice in one way counts twice).
    let mut occurs: HashMap<VertexKey, u32> = HashMap::new();
    for (keys, _) in ways {
        for k in keys {
            *occurs.entry(*k).or_default() += 1;
        }
    }
    let mut node_of: HashMap<VertexKey, u32> = HashMap::new();
    let node = |k: VertexKey, node_of: &mut HashMap<VertexKey, u32>| -> u32 {
        let next = node_of.len() as u32;
        *node_of.entry(k).or_insert(next)
    };
    let mut edges = Vec::new();
    for (keys, coords) in ways {
        let last = keys.len() - 1;
        let mut start = 0;
        for i in 1..=last {
            if i != last && occurs[&keys[i]] < 2 {
                continue;
            }
            let line: Vec<Coord<f64>> = coords[start..=i].to_vec();
            let length_m: f64 = line.windows(2).map(|w| dist(w[0], w[1])).sum();
            let a = node(keys[start], &mut node_of);
            let b = node(keys[i], &mut node_of);
            // A piece of zero length joins two distinct nodes at one place (two OSM nodes
            // with the same coordinates): kept, so the way stays connected, and counted.
            if length_m == 0.0 && a != b {
                report.edges_zero_length += 1;
            }
            if a != b || length_m > 0.0 {
                edges.push(Edge {
                    a,
                    b,
                    length_m,
                    line,
                });
            }
            start = i;
        }
    }
    (edges, node_of.len())
}

/// Drops the components with fewer than `min_nodes` nodes and numbers the rest's nodes
/// afresh, in the order they were first met.
fn drop_islands(
    edges: Vec<Edge>,
    nodes: usize,
    min_nodes: usize,
    report: &mut GraphReport,
) -> (Vec<Edge>, usize) {
    let mut parent: Vec<u32> = (0..nodes as u32).collect();
    fn root(parent: &mut [u32], mut i: u32) -> u32 {
        while parent[i as usize] != i {
            parent[i as usize] = parent[parent[i as usize] as usize];
            i = parent[i as usize];
        }
        i
    }
    for e in &edges {
        let (a, b) = (root(&mut parent, e.a), root(&mut parent, e.b));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    let mut size: HashMap<u32, usize> = HashMap::new();
    for i in 0..nodes as u32 {
        *size.entry(root(&mut parent, i)).or_default() += 1;
    }
    report.components_dropped = size.values().filter(|&&n| n < min_nodes).count();
    report.nodes_dropped = size.values().filter(|&&n| n < min_nodes).sum();
    let mut renumber: Vec<Option<u32>> = vec![None; nodes];
    let mut next = 0u32;
    let mut kept = Vec::with_capacity(edges.len());
    for mut e in edges {
        let r = root(&mut parent, e.a);
        if size[&r] < min_nodes {
            continue;
        }
        for n in [&mut e.a, &mut e.b] {
            let id = *renumber[*n as usize].get_or_insert_with(|| {
                next += 1;
                next - 1
            });
            *n = id;
        }
        kept.push(e);
    }
    (kept, next as usize)
}

/// Adjacency lists in one array: node `n`'s neighbours are `adjacent[first[n]..first[n+1]]`.
fn adjacency(edges: &[Edge], nodes: usize) -> (Vec<usize>, Vec<(u32, f64)>) {
    let mut degree = vec![0usize; nodes + 1];
    for e in edges {
        degree[e.a as usize] += 1;
        degree[e.b as usize] += 1;
    }
    let mut first = vec![0usize; nodes + 1];
    for n in 0..nodes {
        first[n + 1] = first[n] + degree[n];
    }
    let mut fill = first.clone();
    let mut adjacent = vec![(0u32, 0.0); first[nodes]];
    for e in edges {
        adjacent[fill[e.a as usize]] = (e.b, e.length_m);
        fill[e.a as usize] += 1;
        adjacent[fill[e.b as usize]] = (e.a, e.length_m);
        fill[e.b as usize] += 1;
    }
    (first, adjacent)
}

/// A way keyed by its coordinates, for hand-made networks in tests.
#[cfg(test)]
pub(crate) fn way(points: &[(f64, f64)]) -> Way {
    let coords: Vec<Coord<f64>> = points.iter().map(|&(x, y)| Coord { x, y }).collect();
    Way {
        keys: coords.iter().map(|&c| VertexKey::at(c)).collect(),
        coords,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicated_ways_and_zero_length_edges_are_counted_not_added() {
        let ways = [
            way(&[(0.0, 0.0), (100.0, 0.0)]),
            way(&[(100.0, 0.0), (0.0, 0.0)]),
            way(&[(5.0, 5.0)]),
            way(&[(7.0, 7.0), (7.0, 7.0)]),
        ];
        let g = StreetGraph::build(&ways, 1);
        let r = g.report();
        assert_eq!(r.ways_duplicated, 1);
        assert_eq!(r.ways_degenerate, 2);
        assert_eq!(r.edges, 1);
        assert_eq!(r.length_m, 100.0);
    }

    /// Two OSM nodes at one place, each a junction of its own way: the zero-length piece
    /// between them is kept, so the street through them stays connected.
    #[test]
    fn a_zero_length_piece_between_two_osm_nodes_keeps_the_street_connected() {
        let c = |x: f64| Coord { x, y: 0.0 };
        let osm = |ids: &[i64], xs: &[f64]| Way {
            keys: ids.iter().map(|&i| VertexKey::Osm(i)).collect(),
            coords: xs.iter().map(|&x| c(x)).collect(),
        };
        let ways = [
            osm(&[1, 2, 3, 4], &[0.0, 100.0, 100.0, 200.0]),
            osm(&[2, 5], &[100.0, 150.0]),
            osm(&[3, 6], &[100.0, 50.0]),
        ];
        let g = StreetGraph::build(&ways, 1);
        assert_eq!(g.report().edges_zero_length, 1);
        assert_eq!(g.edges().len(), 5);
        let start = g.attach(c(0.0), 1.0).unwrap();
        let end = g.attach(c(200.0), 1.0).unwrap();
        let d = g.distances(&g.seeds(&start), f64::INFINITY);
        let e = &g.edges()[end.edge as usize];
        let walk = (d[e.a as usize] + end.along_m).min(d[e.b as usize] + e.length_m - end.along_m);
        assert!((walk - 200.0).abs() < 1e-9, "{walk}");
    }

    #[test]
    fn a_vertex_repeated_in_one_way_is_a_node() {
        // A lollipop: out, round a loop and back to the loop's start.
        let g = StreetGraph::build(
            &[way(&[
                (0.0, 0.0),
                (100.0, 0.0),
                (100.0, 100.0),
                (200.0, 0.0),
                (100.0, 0.0),
            ])],
            1,
        );
        assert_eq!(g.nodes(), 2);
        assert_eq!(g.edges().len(), 2);
    }

    #[test]
    fn the_attachment_is_the_nearest_point_of_the_nearest_edge() {
        let g = StreetGraph::build(&[way(&[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0)])], 1);
        let at = g.attach(Coord { x: 130.0, y: 60.0 }, 100.0).unwrap();
        assert_eq!(at.edge, 0);
        assert!((at.along_m - 160.0).abs() < 1e-9);
        assert!((at.leg_m - 30.0).abs() < 1e-9);
        assert_eq!(g.attach(Coord { x: 300.0, y: 60.0 }, 100.0), None);
    }
}
