#!/usr/bin/env python3
"""The GeoPandas + Shapely 2 peer of lifecircle's coverage, for the side-by-side race.

Reads the same GeoJSON files, projects them to the same UTM zone (the zone of the centre
of the communities' bounding box, as lifecircle chooses it), and for every category:

1. buffer: a circle around every facility, drawn as lifecircle draws it: a regular 128-gon
   whose area equals the circle's (vertex radius r * sqrt(2 pi / (n sin(2 pi / n))), first
   vertex due east), so both tools clip the same shapes;
2. union: for every community, the union of the circles that reach it (an STRtree query,
   then one union per community, as GeoPandas' dissolve does it);
3. intersection per community: the community clipped by that union, its area over the
   community's area is the covered share;

and sums population-weighted and area coverage and the communities served (covered share
at or above the threshold, rounded to 6 decimals as lifecircle rounds it). Writes the
figures and the time of each stage as JSON.

    coverage.py --communities C.geojson --facilities F.geojson \
        --category market:500 --category health:1000 --out peer.json
"""
import argparse
import json
import math
import time

import geopandas as gpd
import numpy as np
import shapely


def utm_epsg(lon, lat):
    zone = min(max(int(math.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--communities", required=True)
    ap.add_argument("--facilities", required=True)
    ap.add_argument("--category", action="append", required=True, metavar="NAME:METRES")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--segments", type=int, default=128)
    ap.add_argument("--near", type=float, default=1e-4,
                    help="shares this close to the threshold are reported as tolerance cases")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    seconds = {}
    t = time.perf_counter()

    def stage(name):
        nonlocal t
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - t
        t = now

    comm = gpd.read_file(args.communities, engine="pyogrio")
    fac = gpd.read_file(args.facilities, engine="pyogrio")
    stage("load")

    w, s, e, n = comm.total_bounds
    epsg = utm_epsg((w + e) / 2.0, (s + n) / 2.0)
    comm = comm.to_crs(epsg)
    fac = fac.to_crs(epsg)
    stage("project")

    geoms = comm.geometry.values
    areas = shapely.area(geoms)
    population = comm["population"].to_numpy(dtype=float)
    k = args.segments
    scale = math.sqrt(2.0 * math.pi / (k * math.sin(2.0 * math.pi / k)))

    categories = {}
    for item in args.category:
        name, radius = item.rsplit(":", 1)
        radius = float(radius)
        points = fac[fac["category"] == name].geometry.values
        circles = shapely.buffer(points, radius * scale, quad_segs=k // 4)
        stage("buffer")
        tree = shapely.STRtree(circles)
        ci, fi = tree.query(geoms, predicate="intersects")
        stage("index")
        reached = gpd.GeoDataFrame({"community": ci}, geometry=circles[fi], crs=epsg)
        unions = reached.dissolve(by="community")
        stage("union")
        covered = np.zeros(len(geoms))
        idx = unions.index.to_numpy()
        covered[idx] = shapely.area(shapely.intersection(geoms[idx], unions.geometry.values))
        stage("intersection")
        share = np.clip(covered / areas, 0.0, 1.0)
        served = np.round(share, 6) >= args.threshold
        near = int(np.sum(np.abs(share - args.threshold) < args.near))
        categories[name] = {
            "radius_m": radius,
            "facilities": int(len(points)),
            "communities": int(len(geoms)),
            "communities_served": int(served.sum()),
            "near_threshold": near,
            "population_coverage": float(np.sum(share * population) / np.sum(population)),
            "area_coverage": float(np.sum(np.minimum(covered, areas)) / np.sum(areas)),
        }
        stage("sum")

    out = {
        "tool": f"geopandas {gpd.__version__}, shapely {shapely.__version__} (GEOS {shapely.geos_version_string})",
        "work_crs": f"EPSG:{epsg}",
        "seconds": seconds,
        "categories": categories,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
