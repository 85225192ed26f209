#!/usr/bin/env python3
"""The GeoPandas + Shapely 2 peer of lifecircle on Tianjin's districts (benches/districts.sh).

Reads the districts and the market points (both GCJ-02), then does what lifecircle does:

1. datum: GCJ-02 to WGS 84 for both layers, the published forward transform ("eviltransform",
   Krasovsky a = 6378245.0, ee = 0.00669342162296594323) inverted by fixed-point iteration
   until every coordinate moves less than 1e-10 degrees (under 1e-9, as lifecircle does);
2. project to the UTM zone of the centre of the districts' bounding box (EPSG:32650 here);
3. buffer every point by the radius, quad_segs=32: a 128-gon inscribed in the circle (its
   area 0.04% below the circle's; lifecircle draws an equal-area 128-gon, vertex radius
   scaled by sqrt(2 pi / (n sin(2 pi / n))); --equal-area draws that instead);
4. union_all of the circles, intersected with each district: the covered share of area per
   district and overall.

Prints the shares and writes them, with the seconds of each stage ("work" is everything
after reading the files, "total" includes reading), as JSON.

    districts.py --districts districts.geojson --markets markets.geojson --radius 1000 --out peer.json
"""
import argparse
import json
import math
import time

import geopandas as gpd
import numpy as np
import shapely

GCJ_A = 6378245.0
GCJ_EE = 0.00669342162296594323


def gcj_offset(lon, lat):
    """The GCJ-02 offset (degrees) at WGS 84 lon/lat arrays (China only; the data is)."""
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    return (dlon * 180.0 / (GCJ_A / sqrt_magic * np.cos(rad) * np.pi),
            dlat * 180.0 / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * np.pi))


def gcj02_to_wgs84(coords):
    """An (n, 2) array of GCJ-02 lon/lat to WGS 84, by fixed-point iteration."""
    g = coords
    dx, dy = gcj_offset(g[:, 0], g[:, 1])
    w = np.column_stack([g[:, 0] - dx, g[:, 1] - dy])
    for _ in range(20):
        dx, dy = gcj_offset(w[:, 0], w[:, 1])
        d = w + np.column_stack([dx, dy]) - g
        w = w - d
        if np.abs(d).max() < 1e-10:
            break
    return w


def utm_epsg(lon, lat):
    zone = min(max(int(math.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--districts", required=True)
    ap.add_argument("--markets", required=True)
    ap.add_argument("--radius", type=float, default=1000.0)
    ap.add_argument("--equal-area", action="store_true", help="buffer equal-area 128-gons")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    seconds = {}
    t0 = t = time.perf_counter()

    def stage(name):
        nonlocal t
        now = time.perf_counter()
        seconds[name] = now - t
        t = now

    districts = gpd.read_file(args.districts, engine="pyogrio")
    markets = gpd.read_file(args.markets, engine="pyogrio")
    stage("read")

    geoms = [shapely.transform(g, gcj02_to_wgs84) for g in (districts.geometry.values, markets.geometry.values)]
    stage("datum")
    lon0, lat0, lon1, lat1 = shapely.total_bounds(geoms[0])
    epsg = utm_epsg((lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0)
    places = gpd.GeoSeries(geoms[0], crs=4326).to_crs(epsg).values
    points = gpd.GeoSeries(geoms[1], crs=4326).to_crs(epsg).values
    stage("project")

    n = 128
    scale = math.sqrt(2.0 * math.pi / (n * math.sin(2.0 * math.pi / n))) if args.equal_area else 1.0
    circles = shapely.buffer(points, args.radius * scale, quad_segs=n // 4)
    stage("buffer")
    union = shapely.union_all(circles)
    stage("union")
    covered = shapely.area(shapely.intersection(places, union))
    area = shapely.area(places)
    stage("intersect")
    seconds["work"] = t - t0 - seconds["read"]
    seconds["total"] = t - t0

    per = {str(a): float(c / s) for a, c, s in zip(districts["adcode"], covered, area)}
    result = {"work_crs": f"EPSG:{epsg}", "radius_m": args.radius, "equal_area": args.equal_area,
              "coverage": float(covered.sum() / area.sum()), "districts": per,
              "names": dict(zip(map(str, districts["adcode"]), districts["district"])), "seconds": seconds}
    with open(args.out, "w") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    print(f"peer: {len(places)} districts, {len(points)} markets, {result['work_crs']}, "
          f"coverage {100 * result['coverage']:.4f}%")
    for a, share in per.items():
        print(f"peer: {a} {result['names'][a]} {100 * share:.4f}%")
    print("peer: " + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
