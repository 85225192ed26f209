//! Reach along streets for one category: [`NetworkReach`], the street network's
//! [`CategoryReach`].
//!
//! distance(facility, point) = leg(facility) + the shortest path between the two
//! attachment points along the network (through the edges' ends, or directly along the edge
//! when both attach to the same one) + leg(point). One search from all of a category's
//! facilities at once gives every node its nearest facility; counts take each facility's
//! own search, bounded by the largest radius asked for.
//!
//! Areas are sampled on a square grid of `cell_m` aligned to the working CRS: a cell is
//! reached when its centre is, and a place's reached part is the reached cells over it, so
//! the covered share written is exactly the area of the place inside the service area
//! written (the union of reached cells).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::RangeInclusive;
use std::sync::{Arc, OnceLock, RwLock};

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Point, Polygon, Rect};

use super::graph::{Attachment, StreetGraph};
use crate::reach::index::FacilityIndex;
use crate::reach::{union_of, CategoryReach, Place, Reaching, ServiceArea};

/// The name summaries give this distance model.
pub const STREET_NETWORK: &str = "street network";

/// The street graph and how points meet it, shared by every category of a run.
pub struct Streets {
    graph: StreetGraph,
    snap_max_m: f64,
    cell_m: f64,
    /// Attachments of the cells over a place's bounding box, by the block of cells (the
    /// same for every category, so each place snaps its cells once).
    blocks: Memo<[i64; 4], Attachments>,
    /// Attachments of points met so far (demand points, community centres), by their
    /// coordinates' bits.
    points: Memo<[u64; 2], Option<Attachment>>,
}

/// Where each cell of a block meets the network, row by row.
type Attachments = Arc<[Option<Attachment>]>;

/// A cell block: columns `i0..=i1`, rows `j0..=j1`.
type Block = (RangeInclusive<i64>, RangeInclusive<i64>);

impl Streets {
    /// Prepares a graph for measuring: points farther than `snap_max_m` from every edge
    /// are unreachable; areas are sampled on cells of `cell_m`.
    pub fn new(graph: StreetGraph, snap_max_m: f64, cell_m: f64) -> Streets {
        Streets {
            graph,
            snap_max_m,
            cell_m,
            blocks: Memo::new(),
            points: Memo::new(),
        }
    }

    /// The graph.
    pub fn graph(&self) -> &StreetGraph {
        &self.graph
    }

    /// Where `point` meets the network, if within the snapping distance.
    pub fn attach(&self, point: Coord<f64>) -> Option<Attachment> {
        self.points
            .get_or_insert_with([point.x.to_bits(), point.y.to_bits()], || {
                self.graph.attach(point, self.snap_max_m)
            })
    }

    fn cell_centre(&self, (i, j): (i64, i64)) -> Coord<f64> {
        Coord {
            x: (i as f64 + 0.5) * self.cell_m,
            y: (j as f64 + 0.5) * self.cell_m,
        }
    }

    /// The cells (column, row) that meet `rect`.
    fn cells_over(&self, rect: Rect<f64>) -> Block {
        let span = |lo: f64, hi: f64| {
            let first = (lo / self.cell_m).floor() as i64;
            let last = ((hi / self.cell_m).ceil() as i64 - 1).max(first);
            first..=last
        };
        (
            span(rect.min().x, rect.max().x),
            span(rect.min().y, rect.max().y),
        )
    }

    /// The cells of a block, row by row, with where their centres meet the network.
    fn block(&self, (cols, rows): &Block) -> (Vec<(i64, i64)>, Attachments) {
        let cells: Vec<(i64, i64)> = rows
            .clone()
            .flat_map(|j| cols.clone().map(move |i| (i, j)))
            .collect();
        let key = [*cols.start(), *cols.end(), *rows.start(), *rows.end()];
        let attachments = self.blocks.get_or_insert_with(key, || {
            cells
                .iter()
                .map(|&c| self.graph.attach(self.cell_centre(c), self.snap_max_m))
                .collect()
        });
        (cells, attachments)
    }
}

/// A memo shared by threads: values computed once per key, in shards that threads seldom
/// both wait for.
struct Memo<K, V> {
    shards: Vec<RwLock<HashMap<K, V, BuildHasherDefault<MixHasher>>>>,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    const SHARDS: usize = 64;

    fn new() -> Self {
        Memo {
            shards: (0..Self::SHARDS)
                .map(|_| RwLock::new(HashMap::default()))
                .collect(),
        }
    }

    fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> V {
        let mut h = MixHasher::default();
        key.hash(&mut h);
        // Middle bits: the map itself uses the top ones for its slot tags.
        let shard = &self.shards[(h.finish() >> 32) as usize % Self::SHARDS];
        if let Some(v) = shard.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return v.clone();
        }
        let v = make();
        shard
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, v.clone());
        v
    }
}

/// A fast hasher for the memo's integer keys (multiply and rotate, as rustc's FxHasher);
/// the keys come from the run's own geometry, not from anyone who could choose collisions.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

/// One category's reach along the streets.
pub struct NetworkReach<'a> {
    streets: &'a Streets,
    /// The category's facility sites, for straight-line candidates (a lower bound).
    index: FacilityIndex,
    /// Where each site meets the network.
    site_at: Vec<Option<Attachment>>,
    /// Distance from every node to the nearest facility (infinity if none reaches it).
    nearest: Vec<f64>,
    /// Sites attached to each edge: (site, attachment), for the along-the-edge case.
    on_edge: HashMap<u32, Vec<(usize, Attachment)>>,
    /// Per facility, its sites.
    sites_of: Vec<Vec<usize>>,
    /// Per facility, the nodes it reaches within `count_bound_m` and their distances,
    /// searched the first time a count needs them.
    each: Vec<OnceLock<HashMap<u32, f64>>>,
    count_bound_m: f64,
}

impl<'a> NetworkReach<'a> {
    /// Prepares a category: `index` holds its facility sites; counts are kept up to
    /// `count_bound_m` (the largest radius the run asks counts for).
    pub fn new(streets: &'a Streets, index: FacilityIndex, count_bound_m: f64) -> Self {
        let graph = streets.graph();
        let site_at: Vec<Option<Attachment>> =
            index.sites().iter().map(|&c| streets.attach(c)).collect();
        let facilities = (0..index.sites().len())
            .map(|s| index.facility_of(s) + 1)
            .max()
            .unwrap_or(0);
        let mut sites_of = vec![Vec::new(); facilities];
        let mut on_edge: HashMap<u32, Vec<(usize, Attachment)>> = HashMap::new();
        let mut seeds = Vec::new();
        for (s, at) in site_at.iter().enumerate() {
            sites_of[index.facility_of(s)].push(s);
            if let Some(at) = at {
                on_edge.entry(at.edge).or_default().push((s, *at));
                seeds.extend(graph.seeds(at));
            }
        }
        let nearest = graph.distances(&seeds, f64::INFINITY);
        let each = (0..facilities).map(|_| OnceLock::new()).collect();
        NetworkReach {
            streets,
            index,
            site_at,
            nearest,
            on_edge,
            sites_of,
            each,
            count_bound_m,
        }
    }

    /// Facilities none of whose sites meets the network.
    pub fn unreachable_facilities(&self) -> usize {
        self.sites_of
            .iter()
            .filter(|sites| sites.iter().all(|&s| self.site_at[s].is_none()))
            .count()
    }

    /// Network distance from an attached point to the nearest facility (infinity if none).
    fn nearest_from(&self, at: &Attachment) -> f64 {
        let e = &self.streets.graph().edges()[at.edge as usize];
        let through = (self.nearest[e.a as usize] + at.along_m)
            .min(self.nearest[e.b as usize] + (e.length_m - at.along_m).max(0.0));
        let along = self.on_edge.get(&at.edge).map_or(f64::INFINITY, |sites| {
            sites
                .iter()
                .map(|(_, f)| f.leg_m + (f.along_m - at.along_m).abs())
                .fold(f64::INFINITY, f64::min)
        });
        through.min(along) + at.leg_m
    }

    /// Network distance from an attached point to facility `f`, if within the count bound.
    fn distance_to(&self, f: usize, at: &Attachment) -> f64 {
        let e = &self.streets.graph().edges()[at.edge as usize];
        let reached = self.each[f].get_or_init(|| {
            let graph = self.streets.graph();
            let seeds: Vec<(u32, f64)> = self.sites_of[f]
                .iter()
                .filter_map(|&s| self.site_at[s].as_ref())
                .flat_map(|at| graph.seeds(at))
                .collect();
            graph.distances_within(&seeds, self.count_bound_m)
        });
        let node = |n: u32| reached.get(&n).copied().unwrap_or(f64::INFINITY);
        let through = (node(e.a) + at.along_m).min(node(e.b) + (e.length_m - at.along_m).max(0.0));
        let along = self.sites_of[f]
            .iter()
            .filter_map(|&s| self.site_at[s].as_ref())
            .filter(|s| s.edge == at.edge)
            .map(|s| s.leg_m + (s.along_m - at.along_m).abs())
            .fold(f64::INFINITY, f64::min);
        through.min(along) + at.leg_m
    }

    /// The facilities within `radius_m` of `from` (attached at `at`), ascending. Straight-line
    /// candidates first: the network is never shorter. Beyond the count bound only the
    /// facilities the bounded searches reach are counted.
    fn within_reach_at(&self, from: Coord<f64>, at: &Attachment, radius_m: f64) -> Vec<usize> {
        let radius = radius_m.min(self.count_bound_m);
        let mut candidates: Vec<usize> = self
            .index
            .within(from, radius)
            .map(|s| self.index.facility_of(s.data))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates.retain(|&f| self.distance_to(f, at) <= radius);
        candidates
    }

    /// Whether each cell, attached at `attachments`, is reached within `radius_m`.
    fn cells_reached(&self, attachments: &[Option<Attachment>], radius_m: f64) -> Vec<bool> {
        attachments
            .iter()
            .map(|at| {
                at.as_ref()
                    .is_some_and(|at| self.nearest_from(at) <= radius_m)
            })
            .collect()
    }
}

impl CategoryReach for NetworkReach<'_> {
    fn distance_model(&self) -> &'static str {
        STREET_NETWORK
    }

    fn nearest_and_count(&self, from: Coord<f64>, radius_m: f64) -> (Option<f64>, usize) {
        let Some(at) = self.streets.attach(from) else {
            return (None, 0);
        };
        let nearest = Some(self.nearest_from(&at)).filter(|d| d.is_finite());
        (nearest, self.within_reach_at(from, &at, radius_m).len())
    }

    fn within_reach(&self, from: Coord<f64>, radius_m: f64) -> Vec<usize> {
        match self.streets.attach(from) {
            Some(at) => self.within_reach_at(from, &at, radius_m),
            None => Vec::new(),
        }
    }

    fn nearest_m(&self, from: Coord<f64>) -> Option<f64> {
        let at = self.streets.attach(from)?;
        Some(self.nearest_from(&at)).filter(|d| d.is_finite())
    }

    fn reaching(&self, place: &Place, radius_m: f64) -> Reaching {
        let (cells, attachments) = self.streets.block(&self.streets.cells_over(place.bbox()));
        let reached = self.cells_reached(&attachments, radius_m);
        if reached.iter().all(|&r| r) {
            return Reaching::Everywhere;
        }
        if !reached.iter().any(|&r| r) {
            return Reaching::Nowhere;
        }
        let pieces = rectangles(&cells, &reached, self.streets.cell_m, place.origin());
        Reaching::Partly(pieces)
    }

    fn service_areas(&self, radius_m: f64) -> Vec<ServiceArea> {
        use rayon::prelude::*;
        let c = self.streets.cell_m;
        // Only cells within the radius (straight line) of a site can be reached: each
        // site's square of cells, as spans along rows, merged.
        let r = Coord {
            x: radius_m,
            y: radius_m,
        };
        let mut spans: Vec<Span> = Vec::new();
        for (s, site) in self.index.sites().iter().enumerate() {
            if self.site_at[s].is_some() {
                let (cols, rows) = self.streets.cells_over(Rect::new(*site - r, *site + r));
                spans.extend(rows.map(|j| (j, *cols.start(), *cols.end())));
            }
        }
        // Tiles of TILE x TILE cells are dissolved on their own, in parallel; their pieces
        // meet along the tile edges.
        const TILE: i64 = 128;
        let mut tiles: BTreeMap<(i64, i64), Vec<Span>> = BTreeMap::new();
        for (j, a, b) in merged_spans(spans) {
            let mut a = a;
            while a <= b {
                let end = (a.div_euclid(TILE) + 1) * TILE - 1;
                tiles
                    .entry((j.div_euclid(TILE), a.div_euclid(TILE)))
                    .or_default()
                    .push((j, a, end.min(b)));
                a = end + 1;
            }
        }
        let pieces: Vec<Polygon<f64>> = tiles
            .into_par_iter()
            .flat_map_iter(|(_, spans)| {
                let cells: Vec<(i64, i64)> = spans
                    .iter()
                    .flat_map(|&(j, a, b)| (a..=b).map(move |i| (i, j)))
                    .collect();
                let attachments: Vec<Option<Attachment>> = cells
                    .iter()
                    .map(|&cell| {
                        let centre = self.streets.cell_centre(cell);
                        self.streets.graph.attach(centre, self.streets.snap_max_m)
                    })
                    .collect();
                let reached = self.cells_reached(&attachments, radius_m);
                let rects = rectangles(&cells, &reached, c, Coord { x: 0.0, y: 0.0 });
                if rects.is_empty() {
                    Vec::new()
                } else {
                    union_of(&rects).0
                }
            })
            .collect();
        pieces
            .into_par_iter()
            .map(|poly| {
                let facilities = match poly.bounding_rect() {
                    Some(b) => {
                        let mut inside: Vec<usize> = self
                            .index
                            .reaching(b, 0.0)
                            .filter(|s| poly.intersects(&Point::from(self.index.sites()[s.data])))
                            .map(|s| self.index.facility_of(s.data))
                            .collect();
                        inside.sort_unstable();
                        inside.dedup();
                        inside.len()
                    }
                    None => 0,
                };
                ServiceArea {
                    shape: MultiPolygon(vec![poly]),
                    facilities,
                }
            })
            .collect()
    }
}

/// Cells along a row: (row, first column, last column).
type Span = (i64, i64, i64);

/// Spans merged where they overlap or touch, sorted by row, then column.
fn merged_spans(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (j, a, b) in spans {
        match out.last_mut() {
            Some((lj, _, lb)) if *lj == j && a <= *lb + 1 => *lb = (*lb).max(b),
            _ => out.push((j, a, b)),
        }
    }
    out
}

/// The reached cells as rectangles, relative to `origin`: runs along each row, a run
/// merged with the one below when they span the same columns (fewer pieces to overlay).
/// `cells` are sorted by row, then column.
fn rectangles(
    cells: &[(i64, i64)],
    reached: &[bool],
    cell_m: f64,
    origin: Coord<f64>,
) -> Vec<Polygon<f64>> {
    // Open rectangles by their columns: (first row, last row).
    let mut open: HashMap<(i64, i64), (i64, i64)> = HashMap::new();
    let mut done: Vec<(i64, i64, i64, i64)> = Vec::new();
    let mut row = None;
    let mut in_row: Vec<(i64, i64)> = Vec::new();
    let mut close_row = |j: i64, in_row: &mut Vec<(i64, i64)>, open: &mut HashMap<_, _>| {
        // Rectangles not continued in row j are finished.
        let continued: HashSet<(i64, i64)> = in_row.iter().copied().collect();
        let mut ended: Vec<((i64, i64), (i64, i64))> = Vec::new();
        open.retain(|cols: &(i64, i64), rows: &mut (i64, i64)| {
            let keep = continued.contains(cols) && rows.1 + 1 == j;
            if !keep {
                ended.push((*cols, *rows));
            }
            keep
        });
        ended.sort_unstable();
        done.extend(
            ended
                .into_iter()
                .map(|((i0, i1), (j0, j1))| (i0, i1, j0, j1)),
        );
        for cols in in_row.drain(..) {
            open.entry(cols).and_modify(|r| r.1 = j).or_insert((j, j));
        }
    };
    for ((i0, j), i1) in row_runs(cells, reached) {
        if row.is_some_and(|r| r != j) {
            close_row(row.unwrap_or(j), &mut in_row, &mut open);
        }
        row = Some(j);
        in_row.push((i0, i1));
    }
    if let Some(j) = row {
        close_row(j, &mut in_row, &mut open);
    }
    let mut rest: Vec<((i64, i64), (i64, i64))> = open.into_iter().collect();
    rest.sort_unstable();
    done.extend(
        rest.into_iter()
            .map(|((i0, i1), (j0, j1))| (i0, i1, j0, j1)),
    );
    done.into_iter()
        .map(|(i0, i1, j0, j1)| {
            Rect::new(
                Coord {
                    x: i0 as f64 * cell_m - origin.x,
                    y: j0 as f64 * cell_m - origin.y,
                },
                Coord {
                    x: (i1 + 1) as f64 * cell_m - origin.x,
                    y: (j1 + 1) as f64 * cell_m - origin.y,
                },
            )
            .to_polygon()
        })
        .collect()
}

/// Runs of reached cells among `cells` sorted by row then column: ((first column, row),
/// last column).
fn row_runs<'c>(
    cells: &'c [(i64, i64)],
    reached: &'c [bool],
) -> impl Iterator<Item = ((i64, i64), i64)> + 'c {
    let mut out = Vec::new();
    let mut open: Option<((i64, i64), i64)> = None;
    for (&(i, j), &hit) in cells.iter().zip(reached) {
        match open {
            Some(((i0, j0), i1)) if hit && j0 == j && i1 + 1 == i => open = Some(((i0, j0), i)),
            _ => {
                if let Some(run) = open.take() {
                    out.push(run);
                }
                if hit {
                    open = Some(((i, j), i));
                }
            }
        }
    }
    out.extend(open);
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reach::network::graph::{way, Way};
    use approx::assert_relative_eq;

    fn streets(ways: &[Way], min_nodes: usize) -> Streets {
        Streets::new(StreetGraph::build(ways, min_nodes), 100.0, 10.0)
    }

    fn reach<'a>(streets: &'a Streets, sites: &[(f64, f64)]) -> NetworkReach<'a> {
        let index = FacilityIndex::new(
            sites
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| (Coord { x, y }, i)),
        );
        NetworkReach::new(streets, index, 5000.0)
    }

    fn nearest(r: &NetworkReach<'_>, x: f64, y: f64) -> Option<f64> {
        r.nearest_and_count(Coord { x, y }, 1000.0).0
    }

    /// A 3 x 3 grid of streets 100 m apart: from a corner to the far side's middle is
    /// 200 + 100 m, whichever way round.
    #[test]
    fn a_grid_walks_around_the_blocks() {
        let mut ways = Vec::new();
        for k in 0..3 {
            let v = k as f64 * 100.0;
            ways.push(way(&[(0.0, v), (100.0, v), (200.0, v)]));
            ways.push(way(&[(v, 0.0), (v, 100.0), (v, 200.0)]));
        }
        let s = streets(&ways, 1);
        assert_eq!(s.graph().nodes(), 9);
        assert_eq!(s.graph().edges().len(), 12);
        let r = reach(&s, &[(0.0, 0.0)]);
        assert_relative_eq!(nearest(&r, 200.0, 100.0).unwrap(), 300.0, epsilon = 1e-9);
        // A point 30 m inside a block attaches to the nearest street (leg 30 m).
        assert_relative_eq!(
            nearest(&r, 150.0, 30.0).unwrap(),
            150.0 + 30.0,
            epsilon = 1e-9
        );
        // Counts: within 250 m of the corner facility, yes at 200 m, no at 300 m.
        assert_eq!(
            r.nearest_and_count(Coord { x: 100.0, y: 100.0 }, 250.0).1,
            1
        );
        assert_eq!(
            r.nearest_and_count(Coord { x: 200.0, y: 100.0 }, 250.0).1,
            0
        );
    }

    /// One long way through junctions it shares with cross streets: cut at each junction,
    /// the distance is the length along it.
    #[test]
    fn a_long_way_is_cut_at_its_junctions() {
        let ways = [
            way(&[
                (0.0, 0.0),
                (100.0, 0.0),
                (250.0, 0.0),
                (400.0, 0.0),
                (600.0, 0.0),
            ]),
            way(&[(100.0, -50.0), (100.0, 0.0), (100.0, 50.0)]),
            way(&[(400.0, -50.0), (400.0, 0.0), (400.0, 50.0)]),
        ];
        let s = streets(&ways, 1);
        // Nodes: the long way's ends, two junctions, and the cross streets' four ends.
        assert_eq!(s.graph().nodes(), 8);
        assert_eq!(s.graph().edges().len(), 3 + 4);
        let r = reach(&s, &[(100.0, 50.0)]);
        assert_relative_eq!(
            nearest(&r, 600.0, 0.0).unwrap(),
            50.0 + 500.0,
            epsilon = 1e-9
        );
        assert_relative_eq!(
            nearest(&r, 400.0, -50.0).unwrap(),
            50.0 + 300.0 + 50.0,
            epsilon = 1e-9
        );
    }

    /// A bridge crosses a street with no shared vertex: no way from one to the other.
    #[test]
    fn a_bridge_does_not_connect_to_the_street_below() {
        let ways = [
            way(&[(0.0, 0.0), (200.0, 0.0)]),
            way(&[(100.0, -100.0), (100.0, 100.0)]),
        ];
        let s = streets(&ways, 1);
        assert_eq!(s.graph().nodes(), 4);
        let r = reach(&s, &[(0.0, 5.0)]);
        assert_relative_eq!(
            nearest(&r, 200.0, 0.0).unwrap(),
            5.0 + 200.0,
            epsilon = 1e-9
        );
        // On the bridge's end: not reachable from the street below.
        assert_eq!(nearest(&r, 100.0, 100.0), None);
    }

    /// A component under the minimum size is dropped; a point next to it walks to the
    /// main network if that is within the snapping distance, or is unreachable.
    #[test]
    fn an_island_under_the_minimum_is_dropped() {
        let mut ways = Vec::new();
        // Main network: a street of 40 segments (41 nodes).
        let main: Vec<(f64, f64)> = (0..=40).map(|i| (i as f64 * 50.0, 0.0)).collect();
        for w in main.windows(2) {
            ways.push(way(w));
        }
        // An island 60 m north: one way of three vertices, two nodes (its ends).
        ways.push(way(&[(0.0, 60.0), (100.0, 60.0), (200.0, 60.0)]));
        let s = streets(&ways, 40);
        assert_eq!(s.graph().report().components_dropped, 1);
        assert_eq!(s.graph().report().nodes_dropped, 2);
        assert_eq!(s.graph().nodes(), 41);
        let r = reach(&s, &[(1000.0, 0.0)]);
        // 5 m from the island but 65 m from the main street: it walks from there.
        assert_relative_eq!(
            nearest(&r, 500.0, 65.0).unwrap(),
            65.0 + 500.0,
            epsilon = 1e-9
        );
        // 130 m from the main street: unreachable.
        assert_eq!(nearest(&r, 500.0, 130.0), None);
    }

    /// A facility and a point on the same edge: straight along it, not through its ends.
    #[test]
    fn a_facility_and_a_point_on_one_edge() {
        let ways: Vec<Way> = (0..3)
            .map(|k| {
                let y = k as f64 * 2000.0;
                way(&[(0.0, y), (1000.0, y)])
            })
            .collect();
        let s = streets(&ways, 1);
        let r = reach(&s, &[(300.0, 10.0)]);
        assert_relative_eq!(
            nearest(&r, 700.0, -20.0).unwrap(),
            10.0 + 400.0 + 20.0,
            epsilon = 1e-9
        );
        assert_eq!(
            r.nearest_and_count(Coord { x: 700.0, y: -20.0 }, 430.0).1,
            1
        );
        assert_eq!(
            r.nearest_and_count(Coord { x: 700.0, y: -20.0 }, 429.0).1,
            0
        );
    }

    /// A point 150 m from the nearest street is unreachable at the default 100 m.
    #[test]
    fn a_point_far_from_every_street_is_unreachable() {
        let s = streets(&[way(&[(0.0, 0.0), (1000.0, 0.0)])], 1);
        let r = reach(&s, &[(0.0, 0.0)]);
        assert_eq!(
            r.nearest_and_count(Coord { x: 500.0, y: 150.0 }, 2000.0),
            (None, 0)
        );
        assert!(nearest(&r, 500.0, 99.0).is_some());
    }

    /// A facility whose nearest street is a dead-end spur walks out along the spur.
    #[test]
    fn a_facility_on_a_dead_end_walks_out_along_it() {
        let ways = [
            way(&[(0.0, 0.0), (500.0, 0.0), (1000.0, 0.0)]),
            way(&[(500.0, 0.0), (500.0, 300.0)]),
        ];
        let s = streets(&ways, 1);
        let r = reach(&s, &[(520.0, 290.0)]);
        assert_relative_eq!(
            nearest(&r, 0.0, 0.0).unwrap(),
            20.0 + 290.0 + 500.0,
            epsilon = 1e-9
        );
        assert_relative_eq!(
            nearest(&r, 520.0, -10.0).unwrap(),
            20.0 + 290.0 + 20.0 + 10.0,
            epsilon = 1e-9
        );
        assert_eq!(r.unreachable_facilities(), 0);
    }

    #[test]
    fn spans_merge_where_they_overlap_or_touch() {
        let merged = merged_spans(vec![
            (1, 0, 1),
            (0, 10, 12),
            (0, 3, 8),
            (0, 0, 5),
            (0, 9, 9),
        ]);
        assert_eq!(merged, vec![(0, 0, 12), (1, 0, 1)]);
        let apart = merged_spans(vec![(0, 0, 2), (0, 4, 5), (-1, -3, -1)]);
        assert_eq!(apart, vec![(-1, -3, -1), (0, 0, 2), (0, 4, 5)]);
    }

    /// The reached cells of a place are what `reaching` hands on, and a place whose cells
    /// are all reached is reached everywhere.
    #[test]
    fn a_place_is_reached_cell_by_cell() {
        let s = streets(&[way(&[(0.0, 0.0), (1000.0, 0.0)])], 1);
        let r = reach(&s, &[(0.0, 0.0)]);
        // 100 m x 40 m block along the street from x = 300: cells of 10 m; a cell's
        // centre at x + 5 is reached within 350 m when x + 5 + leg <= 350.
        let place =
            Place::new(geo::wkt!(MULTIPOLYGON(((300. 0.,400. 0.,400. 40.,300. 40.,300. 0.)))))
                .unwrap();
        let Reaching::Partly(pieces) = r.reaching(&place, 350.0) else {
            panic!("partly reached");
        };
        let area: f64 = pieces.iter().map(geo::Area::unsigned_area).sum();
        // Row j (centre y = 5 + 10 j) reaches x + 5 <= 345 - 10 j: columns up to 340 - 10 j.
        let expected: f64 = (0..4)
            .map(|j| {
                let last = 340.0 - 10.0 * j as f64; // first column x of the last reached cell
                (last - 300.0 + 10.0).max(0.0) * 10.0
            })
            .sum();
        assert_relative_eq!(area, expected, epsilon = 1e-6);
        assert!(matches!(r.reaching(&place, 500.0), Reaching::Everywhere));
        assert!(matches!(r.reaching(&place, 200.0), Reaching::Nowhere));
    }
}
