"""Independent reference figures for lifecircle's Sao Paulo sample data.

This script is an independent check of lifecircle's Rust code: it uses only
shapely 2 and pyproj (nothing from the Rust project) to compute straight-line
("as the crow flies") school coverage of the Sao Paulo hexagon grid, and writes
the results to sao_paulo_expected.json next to this file.

Method
  1. Read the hexagons (properties `id`, `population`) and school points from
     data/sao-paulo/ in the repository (lon/lat, CRS84) and
     project them from EPSG:4326 (always_xy=True) to UTM zone 23S, EPSG:32723.
  2. For each radius r in 500, 1000, 1500 m: buffer every school by r
     (quad_segs=256), union the buffers (shapely.union_all) and, per hexagon,
     share = area(hex & union) / area(hex).
  3. Per radius: population_coverage = sum(share*pop) / sum(pop) (people spread
     evenly in each hexagon); area_coverage = covered area / total area;
     communities_served = hexagons with share >= 0.5; gap_area_m2 = total area
     - covered area; schools_outside = schools not inside any hexagon (a point
     on a boundary counts as inside).
  4. Per hexagon: projected centroid, straight-line distance from it to the
     nearest school (nearest_m) and count_r = schools with distance <= r.

Run (no arguments):
  python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install shapely pyproj
  /tmp/refvenv/bin/python tests/reference/sao_paulo_reference.py
"""
import json
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "sao-paulo"
OUT = Path(__file__).resolve().parent / "sao_paulo_expected.json"
WORK_CRS = "EPSG:32723"
RADII = (500, 1000, 1500)

to_utm = Transformer.from_crs("EPSG:4326", WORK_CRS, always_xy=True)


def project(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))


def load(name):
    with open(DATA / name, encoding="utf-8") as f:
        return json.load(f)["features"]


hex_feats = load("spo_hexgrid_4326.geojson")
school_feats = load("spo_school_points_from_hexgrid.geojson")
hexes = [project(shape(f["geometry"])) for f in hex_feats]
pops = np.array([f["properties"]["population"] for f in hex_feats], dtype=float)
schools = [project(shape(f["geometry"])) for f in school_feats]

hex_areas = np.array([h.area for h in hexes])
centroids = [h.centroid for h in hexes]
# distances[i, j] = centroid of hexagon i to school j, in metres
distances = np.array([[c.distance(s) for s in schools] for c in centroids])
schools_outside = sum(not any(h.intersects(s) for h in hexes) for s in schools)

radii, shares = [], {}
for r in RADII:
    reach = shapely.union_all([s.buffer(r, quad_segs=256) for s in schools])
    share = np.array([h.intersection(reach).area for h in hexes]) / hex_areas
    shares[r] = share
    covered_area = float((share * hex_areas).sum())
    pop_covered = float((share * pops).sum())
    radii.append({
        "radius_m": r,
        "population": float(pops.sum()),
        "population_covered": pop_covered,
        "population_coverage": pop_covered / float(pops.sum()),
        "area_m2": float(hex_areas.sum()),
        "area_coverage": covered_area / float(hex_areas.sum()),
        "communities": len(hexes),
        "communities_served": int((share >= 0.5).sum()),
        "gap_area_m2": float(hex_areas.sum()) - covered_area,
        "schools_outside": int(schools_outside),
    })

hexagons = []
for i, f in enumerate(hex_feats):
    row = {"id": f["properties"]["id"], "area_m2": float(hex_areas[i])}
    row.update({f"share_{r}": float(shares[r][i]) for r in RADII})
    row["nearest_m"] = float(distances[i].min())
    row.update({f"count_{r}": int((distances[i] <= r).sum()) for r in RADII})
    hexagons.append(row)

result = {
    "source": "data/sao-paulo/spo_hexgrid_4326.geojson (323 hexagons, population) and "
              "spo_school_points_from_hexgrid.geojson (51 schools); r5py sample data",
    "method": f"shapely {shapely.__version__} + pyproj: project EPSG:4326 -> {WORK_CRS}; "
              "union of school buffers (quad_segs=256) per radius; share = area(hex & union)/area(hex); "
              "population spread evenly per hexagon; served = share >= 0.5; nearest/count from "
              "hexagon centroid, straight-line distance <= r",
    "work_crs": WORK_CRS,
    "radii": radii,
    "hexagons": hexagons,
}
OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

for row in radii:
    print(f"{row['radius_m']:>5} m  population {100 * row['population_coverage']:.3f} %  "
          f"area {100 * row['area_coverage']:.3f} %  served {row['communities_served']}/{row['communities']}  "
          f"schools outside {row['schools_outside']}")
