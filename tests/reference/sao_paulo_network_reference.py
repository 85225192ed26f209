"""Independent reference figures for lifecircle's Sao Paulo walking-network coverage.

This script is an independent check of lifecircle's Rust code: it uses only
shapely 2, pyproj, numpy and networkx (nothing from the Rust project) to compute
school coverage of the Sao Paulo hexagon grid along the OSM walking network,
next to the straight-line figures, and writes the results to
sao_paulo_network_expected.json next to this file.

Method (all lengths in metres in EPSG:32723, UTM zone 23S)
  1. Read data/sao-paulo/ relative to the repo root: the hexagons (`id`,
     `population`), the school points and the walking ways
     (spo_osm_walk_network.geojson, LineString, lon/lat). Project with pyproj
     Transformer EPSG:4326 -> EPSG:32723, always_xy=True.
  2. Nodes. Within each way, consecutive duplicate vertices are dropped first;
     a way left with fewer than 2 distinct vertices contributes nothing. A
     vertex is a node if it is an end of a way, if it occurs in two or more
     ways, or if it occurs more than once in the same way. Vertex identity is
     the exact (lon, lat) float pair as read from the JSON. Lines crossing
     without a shared vertex do not connect.
  3. Edges. Each way is cut at its nodes; every piece is an undirected edge
     between its two end nodes, length = sum of its projected segment lengths.
     Parallel pieces are all kept (the shortest path takes the shorter one); a
     piece starting and ending at the same node (loop) is kept for snapping
     but never shortens a path.
  4. Connected components of the node graph with fewer than 40 nodes are
     dropped together with their edges.
  5. Attachment. Each school and each hexagon centre (centroid of the
     projected hexagon) attaches to the nearest point on the nearest kept edge
     polyline (exact point-to-segment distance; candidates from an STRtree
     query within 100 m). If that distance ("leg") is > 100 m the point is
     unreachable. The attachment is (edge, t) with t the distance along the
     polyline from the edge's first node.
  6. distance(school, point) = leg_s + path + leg_p, where path = min over the
     4 combinations of end nodes a of the school's edge and b of the point's
     edge of offset(s, a) + dijkstra(a, b) + offset(p, b) (offset to the first
     node = t, to the second = length - t), and, when both attach to the same
     edge, |t_s - t_p| if shorter. Dijkstra: networkx, from both end nodes of
     each school's edge, on a simple graph holding the shortest of any
     parallel edges (loops left out).
  7. Per hexagon: nearest_network_m (null if the centre or every school is
     unreachable), nearest_straight_m (centre to nearest school), and
     count_network_r = schools with network distance <= r, r in 500/1000/1500.
     Per radius: population_coverage_network = pop of hexagons whose centre's
     nearest network distance <= r / total pop; population_coverage_circle
     the same with straight-line distance; and the number of centres covered.

Run (no arguments, from anywhere):
  python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install shapely pyproj networkx numpy
  /tmp/refvenv/bin/python tests/reference/sao_paulo_network_reference.py
"""
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, shape

T0 = time.perf_counter()
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "sao-paulo"
OUT = Path(__file__).resolve().parent / "sao_paulo_network_expected.json"
WORK_CRS = "EPSG:32723"
RADII = (500, 1000, 1500)
MAX_LEG_M = 100.0
MIN_COMPONENT_NODES = 40

to_utm = Transformer.from_crs("EPSG:4326", WORK_CRS, always_xy=True)


def project(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))


def load(name):
    with open(DATA / name, encoding="utf-8") as f:
        return json.load(f)["features"]


hex_feats = load("spo_hexgrid_4326.geojson")
school_feats = load("spo_school_points_from_hexgrid.geojson")
way_feats = load("spo_osm_walk_network.geojson")

hexes = [project(shape(f["geometry"])) for f in hex_feats]
pops = np.array([f["properties"]["population"] for f in hex_feats], dtype=float)
centres = np.array([[h.centroid.x, h.centroid.y] for h in hexes])
schools = np.array([[p.x, p.y] for p in (project(shape(f["geometry"])) for f in school_feats)])

# ---- 1. ways -> vertex lists (exact lon/lat tuples), consecutive duplicates dropped
stats = Counter()
ways = []
for f in way_feats:
    assert f["geometry"]["type"] == "LineString"
    raw = [(float(c[0]), float(c[1])) for c in f["geometry"]["coordinates"]]
    pts = [raw[0]] if raw else []
    for c in raw[1:]:
        if c != pts[-1]:
            pts.append(c)
        else:
            stats["consecutive_duplicate_vertices_dropped"] += 1
    if len(pts) < 2:
        stats["ways_too_short"] += 1
        continue
    ways.append(pts)

# ---- 2. nodes
ways_of_vertex = defaultdict(set)
is_node = set()
for wi, pts in enumerate(ways):
    is_node.add(pts[0])
    is_node.add(pts[-1])
    seen = set()
    for c in pts:
        if c in seen:
            is_node.add(c)
            stats["vertices_repeated_within_a_way"] += 1
        seen.add(c)
        ways_of_vertex[c].add(wi)
for c, ws in ways_of_vertex.items():
    if len(ws) >= 2:
        is_node.add(c)
stats["ways_closed"] = sum(1 for pts in ways if pts[0] == pts[-1])

node_index = {c: i for i, c in enumerate(sorted(is_node))}
all_xy = {}
lons = np.array([c[0] for c in ways_of_vertex])
lats = np.array([c[1] for c in ways_of_vertex])
xs, ys = to_utm.transform(lons, lats)
for c, x, y in zip(ways_of_vertex, xs, ys):
    all_xy[c] = (x, y)

# ---- 3. edges: (u, v, xy array, length)
edges = []
for pts in ways:
    start = 0
    for k in range(1, len(pts)):
        if pts[k] in is_node:
            piece = np.array([all_xy[c] for c in pts[start:k + 1]])
            length = float(np.hypot(*np.diff(piece, axis=0).T).sum())
            edges.append((node_index[pts[start]], node_index[pts[k]], piece, length))
            start = k
    assert start == len(pts) - 1

# ---- 4. components
g_all = nx.MultiGraph()
g_all.add_nodes_from(range(len(node_index)))
g_all.add_edges_from((u, v) for u, v, _, _ in edges)
components = list(nx.connected_components(g_all))
kept_nodes = set()
comp_dropped = nodes_dropped = 0
for comp in components:
    if len(comp) < MIN_COMPONENT_NODES:
        comp_dropped += 1
        nodes_dropped += len(comp)
    else:
        kept_nodes |= comp
kept = [e for e in edges if e[0] in kept_nodes]
stats["components_total"] = len(components)
stats["components_kept"] = len(components) - comp_dropped
stats["loop_edges_kept"] = sum(1 for u, v, _, _ in kept if u == v)
pair_count = Counter((min(u, v), max(u, v)) for u, v, _, _ in kept if u != v)
stats["parallel_edges_kept"] = sum(n - 1 for n in pair_count.values() if n > 1)
stats["zero_length_edges_kept"] = sum(1 for e in kept if e[3] == 0.0)

graph = nx.Graph()
graph.add_nodes_from(kept_nodes)
for u, v, _, length in kept:
    if u == v:
        continue
    if not graph.has_edge(u, v) or graph[u][v]["weight"] > length:
        graph.add_edge(u, v, weight=length)

# ---- 5. attachment
tree = shapely.STRtree([LineString(e[2]) for e in kept])


def attach(p):
    """(leg, edge index, t) for the nearest point on the nearest kept edge, or None."""
    best = None
    for ei in tree.query(shapely.Point(p), predicate="dwithin", distance=MAX_LEG_M):
        xy = kept[ei][2]
        a, b = xy[:-1], xy[1:]
        d = b - a
        seg_len = np.hypot(d[:, 0], d[:, 1])
        s = np.clip(((p - a) * d).sum(axis=1) / (seg_len ** 2), 0.0, 1.0)
        proj = a + s[:, None] * d
        dist = np.hypot(proj[:, 0] - p[0], proj[:, 1] - p[1])
        k = int(np.argmin(dist))
        t = float(seg_len[:k].sum() + s[k] * seg_len[k])
        cand = (float(dist[k]), int(ei), t)
        if best is None or cand[0] < best[0] or (cand[0] == best[0] and cand[1] < best[1]):
            best = cand
    if best is None or best[0] > MAX_LEG_M:
        return None
    return best


school_att = [attach(p) for p in schools]
centre_att = [attach(p) for p in centres]


def ends(att):
    """[(node, cost from the attachment point to that node)] for both ends of the edge."""
    _, ei, t = att
    u, v, _, length = kept[ei]
    return [(u, t), (v, length - t)]


# ---- 6. network distances, school x centre
dist_from = {}
for att in school_att:
    if att is not None:
        for node, _ in ends(att):
            if node not in dist_from:
                dist_from[node] = nx.single_source_dijkstra_path_length(graph, node, weight="weight")

net = np.full((len(centres), len(schools)), np.inf)
for j, sa in enumerate(school_att):
    if sa is None:
        continue
    for i, ca in enumerate(centre_att):
        if ca is None:
            continue
        best = np.inf
        for a, ca_cost in ends(sa):
            da = dist_from[a]
            for b, cb_cost in ends(ca):
                if b in da:
                    best = min(best, ca_cost + da[b] + cb_cost)
        if sa[1] == ca[1]:
            best = min(best, abs(sa[2] - ca[2]))
        net[i, j] = sa[0] + best + ca[0]

straight = np.hypot(centres[:, None, 0] - schools[None, :, 0], centres[:, None, 1] - schools[None, :, 1])
nearest_net = net.min(axis=1)
nearest_straight = straight.min(axis=1)

# ---- 7. output
network = {
    "ways_read": len(way_feats),
    "ways_used": len(ways),
    "nodes": len(kept_nodes),
    "edges": len(kept),
    "total_length_m": float(sum(e[3] for e in kept)),
    "components_dropped": comp_dropped,
    "nodes_dropped": nodes_dropped,
    "edges_dropped": len(edges) - len(kept),
    "schools_unreachable": sum(a is None for a in school_att),
    "centres_unreachable": sum(a is None for a in centre_att),
    "centres_without_any_network_path": int(np.isinf(nearest_net).sum()),
    "notes": dict(sorted(stats.items())),
}

total_pop = float(pops.sum())
radii = []
for r in RADII:
    cov_net = nearest_net <= r
    cov_circ = nearest_straight <= r
    radii.append({
        "radius_m": r,
        "population": total_pop,
        "population_covered_network": float(pops[cov_net].sum()),
        "population_coverage_network": float(pops[cov_net].sum()) / total_pop,
        "population_covered_circle": float(pops[cov_circ].sum()),
        "population_coverage_circle": float(pops[cov_circ].sum()) / total_pop,
        "centres": len(centres),
        "centres_covered_network": int(cov_net.sum()),
        "centres_covered_circle": int(cov_circ.sum()),
    })

hexagons = []
for i, f in enumerate(hex_feats):
    row = {
        "id": f["properties"]["id"],
        "population": float(pops[i]),
        "centre_x": float(centres[i, 0]),
        "centre_y": float(centres[i, 1]),
        "leg_m": None if centre_att[i] is None else centre_att[i][0],
        "nearest_network_m": None if np.isinf(nearest_net[i]) else float(nearest_net[i]),
        "nearest_straight_m": float(nearest_straight[i]),
    }
    row.update({f"count_network_{r}": int((net[i] <= r).sum()) for r in RADII})
    hexagons.append(row)

schools_out = [{
    "id": f["properties"]["id"],
    "x": float(schools[j, 0]),
    "y": float(schools[j, 1]),
    "leg_m": None if school_att[j] is None else school_att[j][0],
} for j, f in enumerate(school_feats)]

result = {
    "source": "data/sao-paulo/spo_hexgrid_4326.geojson (323 hexagons, population), "
              "spo_school_points_from_hexgrid.geojson (51 schools), spo_osm_walk_network.geojson "
              "(OSM walk ways); r5py sample data",
    "method": f"networkx {nx.__version__}, shapely {shapely.__version__}, pyproj {pyproj.__version__}, "
              f"numpy {np.__version__}: project EPSG:4326 -> {WORK_CRS}; nodes = way ends, vertices "
              "shared by >= 2 ways or repeated within a way (exact lon/lat identity, consecutive "
              "duplicates dropped); ways cut at nodes into polyline edges (parallels kept, loops never "
              f"shorten paths); components < {MIN_COMPONENT_NODES} nodes dropped; points attach to the "
              f"nearest point on the nearest kept edge if the leg <= {MAX_LEG_M:g} m, else unreachable; "
              "distance = leg + Dijkstra between attachment points (via edge end nodes, or along the "
              "edge when both share it) + leg; hexagon centre = centroid of the projected polygon; "
              "coverage = population of hexagons whose centre's nearest school distance <= r",
    "work_crs": WORK_CRS,
    "network": network,
    "radii": radii,
    "hexagons": hexagons,
    "schools": schools_out,
}
OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

print(json.dumps(network, indent=1))
for row in radii:
    print(f"{row['radius_m']:>5} m  network {100 * row['population_coverage_network']:.3f} % "
          f"({row['centres_covered_network']}/{row['centres']} centres)  circle "
          f"{100 * row['population_coverage_circle']:.3f} % ({row['centres_covered_circle']}/{row['centres']})")
print(f"runtime {time.perf_counter() - T0:.1f} s")
