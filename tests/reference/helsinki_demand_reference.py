"""Independent reference figures for lifecircle's Helsinki demand coverage.

This script is an independent check of lifecircle's Rust code: it uses only
shapely 2 and pyproj (nothing from the Rust project, and none of its output) to
compute straight-line ("as the crow flies") coverage of the Helsinki 250 m
population grid by OSM facilities, per facility category, and writes the
results to helsinki_demand_expected.json next to this file.

Inputs (in the repository, see data/README.md):
  - demand: data/helsinki/helsinki_population_grid_2020.geojson. 92 Polygon cells of 250 m, properties `id`
    (JSON integer, 0..91, kept as int in the output) and `population` (JSON
    integer; 71,724 people in all, no cell with 0). Its CRS member is
    urn:ogc:def:crs:OGC:1.3:CRS84, i.e. WGS 84 lon/lat (the RFC 7946 default).
    HSY grid via r5py sample data, CC BY 4.0.
  - facilities: data/helsinki/helsinki_osm_facilities.geojson in the repo.
    87 Point features, no CRS member (RFC 7946: WGS 84 lon/lat), property
    `category` in market, fitness, health, education. OSM data, ODbL.

Working CRS: every coordinate is projected with pyproj from EPSG:4326 to
EPSG:32635 (UTM 35N), Transformer.from_crs(..., always_xy=True). A polygon is
projected vertex by vertex (its edges are straight lines in UTM). All
distances and areas are in metres / square metres in that CRS.

Definitions, for each category c in market, fitness, health, education, with
F_c = the facility points of category c (duplicates kept):

  centre point of a cell: its centroid if cell.contains(centroid), else
    shapely's cell.representative_point() (for these square cells it is
    always the centroid).
  nearest_m: Euclidean distance from the centre point to the nearest point of
    F_c (min over F_c of shapely's Point.distance).
  count_r: number of points of F_c with distance <= r from the centre point.

  Mode "polygons" (people spread evenly inside each cell):
    U_r = shapely.union_all([p.buffer(r, quad_segs=256) for p in F_c]).
    share_r(cell) = area(cell & U_r) / area(cell).
      (No clamping: a fully covered cell may give 1.0000000000000002 from
      float rounding; compare with a tolerance.)
    population_covered = sum(pop * share_r); population_total = sum(pop);
    population_coverage = population_covered / population_total;
    area_coverage = sum(area(cell & U_r)) / sum(area(cell)).
    Reported for r = 500 and 1000, and as a curve of population_coverage for
    r = 100, 200, ..., 3000 (a new union per radius).

  Mode "points" (each cell reduced to its centre point, weight = population):
    coverage(r) = sum(pop of cells with nearest_m <= r) / sum(pop).
    Reported for r = 500 and 1000, and as a curve for r = 100, ..., 3000.

Output JSON (floats written with Python's repr, i.e. full round-trip
precision; the run is deterministic: no timestamps, cells in file order):
  {"source": {...}, "work_crs": "EPSG:32635", "total_population": int,
   "cells": 92,
   "categories": {c: {"facilities": n,
       "polygons": {"500": {"population_coverage", "area_coverage",
                            "population_covered", "population_total"},
                    "1000": {...}, "curve": [[100, cov], ..., [3000, cov]]},
       "points": {"500": cov, "1000": cov, "curve": [[100, cov], ...]},
       "cells": [{"id", "nearest_m", "count_500",
                  "count_1000", "share_500", "share_1000"}, ...]}}}

  The per-cell population is not written: the grid itself is in data/helsinki/,
  so the expected JSON does not repeat it. Only totals derived from it (total_population, population_covered,
  population_total and the coverage shares) are kept; a consumer that needs a
  cell's population reads it from the grid file by id.

Versions used to produce the committed JSON: Python 3.11.7, shapely 2.2.0
(GEOS 3.14.1), pyproj 3.7.2 (PROJ 9.5.1), numpy 2.4.6; the exact versions
of a run are recorded in "source" of the output.

Run (no arguments), from anywhere:
  python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install shapely pyproj
  /tmp/refvenv/bin/python tests/reference/helsinki_demand_reference.py
"""
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pyproj
import shapely
from pyproj import Transformer
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[2]
GRID = REPO / "data" / "helsinki" / "helsinki_population_grid_2020.geojson"
FACILITIES = REPO / "data" / "helsinki" / "helsinki_osm_facilities.geojson"
OUT = Path(__file__).resolve().parent / "helsinki_demand_expected.json"

SRC_CRS = "EPSG:4326"
WORK_CRS = "EPSG:32635"
CATEGORIES = ("market", "fitness", "health", "education")
RADII = (500, 1000)
CURVE = tuple(range(100, 3001, 100))
QUAD_SEGS = 256

to_utm = Transformer.from_crs(SRC_CRS, WORK_CRS, always_xy=True)


def project(geom):
    def xy(coords):
        x, y = to_utm.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geom, xy)


def read(path):
    raw = path.read_bytes()
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


def polygon_coverage(cells, areas, pops, points, r):
    """Coverage of the cells by the union of r-buffers around points."""
    if points:
        reach = shapely.union_all([p.buffer(r, quad_segs=QUAD_SEGS) for p in points])
        covered = np.array([c.intersection(reach).area for c in cells])
    else:
        covered = np.zeros(len(cells))
    share = covered / areas
    pop_covered = float((share * pops).sum())
    return share, {
        "population_coverage": pop_covered / float(pops.sum()),
        "area_coverage": float(covered.sum()) / float(areas.sum()),
        "population_covered": pop_covered,
        "population_total": float(pops.sum()),
    }


def main():
    t0 = time.perf_counter()
    grid, grid_sha = read(GRID)
    facs, facs_sha = read(FACILITIES)
    grid_crs = (grid.get("crs") or {}).get("properties", {}).get("name")
    assert grid_crs in (None, "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"), grid_crs
    fac_crs = (facs.get("crs") or {}).get("properties", {}).get("name")
    assert fac_crs in (None, "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"), fac_crs

    cell_feats = grid["features"]
    cells = [project(shape(f["geometry"])) for f in cell_feats]
    assert all(c.is_valid for c in cells)
    ids = [f["properties"]["id"] for f in cell_feats]
    pop_raw = [f["properties"]["population"] for f in cell_feats]
    pops = np.array(pop_raw, dtype=float)
    areas = np.array([c.area for c in cells])
    centres = []
    for c in cells:
        centroid = c.centroid
        centres.append(centroid if c.contains(centroid) else c.representative_point())

    by_cat = {k: [] for k in CATEGORIES}
    for f in facs["features"]:
        cat = f["properties"]["category"]
        by_cat[cat].append(project(shape(f["geometry"])))

    categories = {}
    for cat in CATEGORIES:
        points = by_cat[cat]
        # dist[i, j] = centre point of cell i to facility j, metres
        dist = np.array([[c.distance(p) for p in points] for c in centres]).reshape(len(cells), len(points))
        nearest = dist.min(axis=1) if points else np.full(len(cells), np.inf)

        shares, polygons = {}, {}
        for r in RADII:
            shares[r], polygons[str(r)] = polygon_coverage(cells, areas, pops, points, r)
        polygons["curve"] = [
            [r, polygon_coverage(cells, areas, pops, points, r)[1]["population_coverage"]] for r in CURVE
        ]

        def point_cov(r):
            return float(pops[nearest <= r].sum()) / float(pops.sum())

        pts = {str(r): point_cov(r) for r in RADII}
        pts["curve"] = [[r, point_cov(r)] for r in CURVE]

        rows = []
        for i in range(len(cells)):
            rows.append({
                "id": ids[i],
                # no "population": the grid in data/helsinki/ holds it
                "nearest_m": float(nearest[i]),
                "count_500": int((dist[i] <= 500).sum()),
                "count_1000": int((dist[i] <= 1000).sum()),
                "share_500": float(shares[500][i]),
                "share_1000": float(shares[1000][i]),
            })
        categories[cat] = {"facilities": len(points), "polygons": polygons, "points": pts, "cells": rows}

    result = {
        "source": {
            "demand": {
                "file": "data/helsinki/helsinki_population_grid_2020.geojson",
                "sha256": grid_sha,
                "crs": grid_crs,
                "features": len(cell_feats),
                "fields": {"id": "integer", "population": "integer"},
                "attribution": "HSY population grid 2020 via r5py sample data, CC BY 4.0",
            },
            "facilities": {
                "file": "data/helsinki/helsinki_osm_facilities.geojson",
                "sha256": facs_sha,
                "crs": fac_crs or "none given (RFC 7946 default, WGS 84 lon/lat)",
                "features": len(facs["features"]),
                "attribution": "OpenStreetMap contributors, ODbL",
            },
            "projection": f"pyproj {SRC_CRS} -> {WORK_CRS}, always_xy=True",
            "buffer_quad_segs": QUAD_SEGS,
            "script": "tests/reference/helsinki_demand_reference.py",
            "versions": {
                "python": platform.python_version(),
                "shapely": shapely.__version__,
                "geos": shapely.geos_version_string,
                "pyproj": pyproj.__version__,
                "proj": pyproj.proj_version_str,
                "numpy": np.__version__,
            },
        },
        "work_crs": WORK_CRS,
        "total_population": int(sum(pop_raw)),
        "cells": len(cells),
        "categories": categories,
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")

    print(f"{len(cells)} cells, population {int(sum(pop_raw))}, zero-population cells "
          f"{sum(1 for p in pop_raw if p == 0)}")
    for cat in CATEGORIES:
        c = categories[cat]
        print(f"{cat:<10} n={c['facilities']:>2}  polygons 500 {c['polygons']['500']['population_coverage']:.6f}"
              f"  1000 {c['polygons']['1000']['population_coverage']:.6f}"
              f"  | points 500 {c['points']['500']:.6f}  1000 {c['points']['1000']:.6f}")
    print(f"wrote {OUT} in {time.perf_counter() - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
