#!/usr/bin/env python3
"""The pandana peer of lifecircle's street-network coverage, for benches/network.sh.

Reads a city written by `lifecircle synth --network` (streets.geojson, facilities.geojson,
demand.geojson and the categories of city-demand.toml), projects it to the UTM zone of the
centre of the streets' bounding box (as lifecircle chooses it: EPSG:32650 for synth's
default centre) and builds lifecircle's street graph: a node is a way's end or a vertex
that occurs more than once (the same coordinates as written), an edge is the piece of a
way between consecutive nodes, as long as its polyline; components under 40 nodes are
dropped (scipy's connected_components, before pandana sees the graph). pandana contracts
the graph (contraction hierarchies) and, per category, gives every node the walking
distance to its nearest facility (set_pois + nearest_pois, up to the radius; pandana
keeps edge lengths in whole millimetres). A demand point is covered when its distance is
at or below the radius.

How points meet the streets (--attach):
- edge (the default, lifecircle's model): a point attaches to the nearest point of the
  nearest street within 100 m (shapely's STRtree), and the straight leg counts. Facilities
  are spliced into the graph: their street point becomes a node that cuts its edge, with a
  pendant edge as long as the leg to a node at the facility, where set_pois puts it. A
  demand point's distance is its leg plus the shorter way to the two nodes around its
  street point (sorted in among the cuts of its edge).
- node (pandana as usually used): facilities and demand points go to their nearest node
  (get_node_ids, a k-d tree on the nodes), and the straight leg to it is not counted.

Not modelled, as synth's cities have none: duplicate ways, demand outside every
community (lifecircle leaves it out), other CRSs than WGS 84.

    network.py CITY_DIR OUT.json [--attach edge|node]
"""
import argparse
import json
import os
import re
import time

import numpy as np
import pandana
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

MIN_COMPONENT_NODES = 40
SNAP_MAX_M = 100.0


def features(path):
    with open(path) as f:
        return json.load(f)["features"]


def categories(plan):
    """[(name, radius)] from the [[category]] tables of a lifecircle plan."""
    out = []
    for block in open(plan).read().split("[[category]]")[1:]:
        block = block.split("\n[")[0]
        name = re.search(r'^name\s*=\s*"([^"]+)"', block, re.M).group(1)
        radius = float(re.search(r"^radius_m\s*=\s*([\d.]+)", block, re.M).group(1))
        out.append((name, radius))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("city")
    ap.add_argument("out")
    ap.add_argument("--attach", choices=["edge", "node"], default="edge")
    args = ap.parse_args()

    seconds = {}
    t0 = t = time.perf_counter()

    def stage(name):
        nonlocal t
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - t
        t = now

    cats = categories(os.path.join(args.city, "city-demand.toml"))
    # Every vertex of every way, in order; a vertex is known by its exact coordinates.
    ways = [f["geometry"]["coordinates"] for f in features(os.path.join(args.city, "streets.geojson"))]
    counts = np.fromiter((len(w) for w in ways), dtype=np.int64, count=len(ways))
    lonlat = np.array([c for w in ways for c in w], dtype=np.float64)
    del ways
    fac = features(os.path.join(args.city, "facilities.geojson"))
    fll = np.array([f["geometry"]["coordinates"] for f in fac], dtype=np.float64)
    fcat = np.array([f["properties"].get("category") for f in fac])
    del fac
    dem = features(os.path.join(args.city, "demand.geojson"))
    dll = np.array([d["geometry"]["coordinates"] for d in dem], dtype=np.float64)
    weight = np.array([d["properties"]["population"] for d in dem], dtype=np.float64)
    del dem
    stage("load")

    lon, lat = (lonlat.min(axis=0) + lonlat.max(axis=0)) / 2
    epsg = (32600 if lat >= 0 else 32700) + min(max(int(np.floor((lon + 180) / 6)) + 1, 1), 60)
    unique, vertex = np.unique(lonlat[:, 0] + 1j * lonlat[:, 1], return_inverse=True)
    vertex = vertex.ravel()
    to_utm = Transformer.from_crs(4326, epsg, always_xy=True)
    ux, uy = to_utm.transform(unique.real, unique.imag)
    fxy = np.column_stack(to_utm.transform(fll[:, 0], fll[:, 1]))
    dxy = np.column_stack(to_utm.transform(dll[:, 0], dll[:, 1]))
    stage("project")

    # Nodes: way ends and vertices occurring more than once. Edges: way pieces between nodes.
    end = np.cumsum(counts) - 1
    node = np.bincount(vertex, minlength=len(unique)) > 1
    node[vertex[end]] = node[vertex[end - counts + 1]] = True
    last = np.zeros(len(vertex), bool)
    last[end] = True
    seg = np.flatnonzero(~last)  # segment k runs from vertex seg[k] to seg[k] + 1
    a, b = vertex[seg], vertex[seg + 1]
    seg_len = np.hypot(ux[b] - ux[a], uy[b] - uy[a])
    first = np.flatnonzero(node[a])  # an edge starts at every node
    piece = np.cumsum(node[a]) - 1  # the edge of each segment
    length = np.add.reduceat(seg_len, first)
    efrom, eto = a[first], b[np.append(first[1:] - 1, len(a) - 1)]
    seg_start = np.cumsum(seg_len) - seg_len
    seg_start -= seg_start[first][piece]  # where each segment starts along its edge
    # Islands under MIN_COMPONENT_NODES nodes are dropped, and pieces of zero length.
    ids = np.flatnonzero(node)
    index = np.full(len(unique), -1)
    index[ids] = np.arange(len(ids))
    f, to = index[efrom], index[eto]
    n = len(ids)
    _, label = connected_components(coo_matrix((np.ones(len(f)), (f, to)), shape=(n, n)), directed=False)
    size = np.bincount(label)
    kept = size[label] >= MIN_COMPONENT_NODES
    keep_edge = kept[f] & (length > 0)
    new = np.full(n, -1)
    new[kept] = np.arange(kept.sum())
    nx, ny = ux[ids][kept], uy[ids][kept]
    f, to, length = new[f[keep_edge]], new[to[keep_edge]], length[keep_edge]
    edge_of_piece = np.full(len(first), -1)
    edge_of_piece[keep_edge] = np.arange(keep_edge.sum())
    seg_edge = edge_of_piece[piece]
    graph = {"nodes": int(kept.sum()), "edges": int(len(f)), "length_km": float(length.sum() / 1000),
             "components_dropped": int((size < MIN_COMPONENT_NODES).sum()),
             "nodes_dropped": int(n - kept.sum())}
    stage("graph")

    if args.attach == "edge":
        on = seg_edge >= 0
        lines = shapely.linestrings(np.stack([np.c_[ux[a[on]], uy[a[on]]], np.c_[ux[b[on]], uy[b[on]]]], axis=1))
        tree = shapely.STRtree(lines)
        edge_length = length

        def attach(xy):
            """Point index, edge, position along it, leg and street point of the points
            within SNAP_MAX_M of a street."""
            points = shapely.points(xy)
            (i, k), leg = tree.query_nearest(points, max_distance=SNAP_MAX_M, return_distance=True,
                                              all_matches=False)
            t = shapely.line_locate_point(lines[k], points[i])
            e = seg_edge[on][k]
            at = shapely.get_coordinates(shapely.line_interpolate_point(lines[k], t))
            return i, e, np.minimum(seg_start[on][k] + t, edge_length[e]), leg, at

        # Facilities are spliced in: facility j's street point becomes node m + j, cutting
        # its edge, and the facility itself node m + nf + j, at the end of its leg.
        fi, fe, fs, fleg, fat = attach(fxy)
        m, nf, ne = len(nx), len(fi), len(f)
        at_node = m + np.arange(nf)
        ce = np.concatenate([np.arange(ne), fe, np.arange(ne)])  # each edge: start, cuts, end
        cpos = np.concatenate([np.zeros(ne), fs, length])
        crank = np.concatenate([np.zeros(ne), np.ones(nf), np.full(ne, 2.0)])
        cnode = np.concatenate([f, at_node, to])
        o = np.lexsort((crank, cpos, ce))
        ce, cpos, crank, cnode = ce[o], cpos[o], crank[o], cnode[o]
        same = ce[1:] == ce[:-1]
        f = np.concatenate([cnode[:-1][same], at_node])
        to = np.concatenate([cnode[1:][same], at_node + nf])
        length = np.concatenate([np.diff(cpos)[same], fleg])
        nx = np.concatenate([nx, fat[:, 0], fxy[fi, 0]])
        ny = np.concatenate([ny, fat[:, 1], fxy[fi, 1]])
        fxy, fcat = fxy[fi], fcat[fi]
        # Demand points: the chain nodes before and after their street point (sorted in
        # between the cuts, before the edge's end).
        di, de, ds, dleg, _ = attach(dxy)
        o = np.lexsort((np.concatenate([crank, np.full(len(di), 1.5)]),
                        np.concatenate([cpos, ds]), np.concatenate([ce, de])))
        is_chain = o < len(ce)
        prev = np.maximum.accumulate(np.where(is_chain, o, -1))
        before = np.empty(len(di), np.int64)
        before[o[~is_chain] - len(ce)] = prev[~is_chain]
        stage("attach")
    else:
        fleg = dleg = np.zeros(0)

    loop = f == to  # no use on the way anywhere: left out of pandana's graph
    net = pandana.Network(nx, ny, f[~loop], to[~loop], pd.DataFrame({"m": length[~loop]}), twoway=True)
    stage("contract")

    if args.attach == "node":
        dnode = net.get_node_ids(pd.Series(dxy[:, 0]), pd.Series(dxy[:, 1])).to_numpy()
        fnode = net.get_node_ids(pd.Series(fxy[:, 0]), pd.Series(fxy[:, 1])).to_numpy()
        dleg = np.hypot(nx[dnode] - dxy[:, 0], ny[dnode] - dxy[:, 1])
        fleg = np.hypot(nx[fnode] - fxy[:, 0], ny[fnode] - fxy[:, 1])
        stage("attach")

    results = {}
    for name, radius in cats:
        sel = fcat == name
        net.set_pois(name, maxdist=radius, maxitems=1, x_col=pd.Series(fxy[sel, 0]), y_col=pd.Series(fxy[sel, 1]))
        dist = net.nearest_pois(radius, name, num_pois=1, max_distance=np.inf)[1].to_numpy()
        stage("query")
        if args.attach == "node":
            d = dist[dnode]
        else:
            d = np.full(len(weight), np.inf)
            d[di] = dleg + np.minimum(dist[cnode[before]] + ds - cpos[before],
                                      dist[cnode[before + 1]] + cpos[before + 1] - ds)
        results[name] = {
            "radius_m": radius,
            "facilities": int(sel.sum()),
            "population_coverage": float(weight[d <= radius].sum() / weight.sum()),
        }
        stage("sum")
    seconds["total"] = time.perf_counter() - t0

    out = {
        "tool": f"pandana {pandana.__version__}",
        "attach": args.attach,
        "work_crs": f"EPSG:{epsg}",
        "network": graph,
        "leg_m": {"demand_mean": float(dleg.mean()), "demand_max": float(dleg.max()),
                  "facilities_mean": float(fleg.mean()), "facilities_max": float(fleg.max())},
        "seconds": seconds,
        "categories": results,
    }
    with open(args.out, "w") as fp:
        json.dump(out, fp, indent=1)
    print(f"pandana peer ({args.attach} attachment): {graph['nodes']} nodes, {graph['edges']} edges, "
          f"{graph['length_km']:.1f} km, {graph['components_dropped']} islands dropped; EPSG:{epsg}; "
          f"legs: demand {dleg.mean():.1f} m mean, facilities {fleg.mean():.1f} m mean")
    print("pandana peer: " + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    for name, r in results.items():
        print(f"pandana peer: {name:<13} {r['radius_m']:6.0f} m  {r['population_coverage'] * 100:7.3f}%")


if __name__ == "__main__":
    main()
