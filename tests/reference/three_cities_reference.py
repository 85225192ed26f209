"""Reference figures for a study area that spans several UTM zones (three Chinese cities).

This script is an independent check of lifecircle's Rust code: it uses only pyproj and
shapely 2 (nothing from the Rust project). It builds a small fixture of three communities
far apart in longitude -- Urumqi (UTM zone 45N), Chengdu (48N) and Shanghai (51N) -- each
with one market, and works out the true (geodesic, WGS 84) figures the tool should report.

Fixture (written to tests/fixtures/three-cities/, lon/lat WGS 84, no crs member)
  communities.geojson  three Polygons, properties {id, name, population: 1000}. Each is a
      square of about 400 m x 400 m around a nominal centre: Urumqi (87.6, 43.8), Chengdu
      (104.5, 30.66), Shanghai (121.5, 31.23). Its corners are Geod(ellps="WGS84").fwd from
      the centre at azimuths 45/135/225/315 and distance 200*sqrt(2) m; each edge is
      densified geodesically to 8 points (corner + 7 intermediate), giving a closed,
      counter-clockwise ring of 33 positions. Coordinates rounded to 9 decimals.
  markets.geojson  three Points, properties {id: "m-<community>", category: "market"},
      each Geod.fwd 1011.0 m at azimuth 60 degrees from its community's nominal centre,
      rounded to 9 decimals (all figures below use the rounded coordinates).

Expected values (tests/reference/three_cities_expected.json, under "communities", keyed by
community id)
  centre         [lon, lat] of the polygon's centroid: the rounded ring is projected into a
                 local azimuthal equidistant projection centred on the nominal centre
                 (+proj=aeqd +datum=WGS84), its planar centroid taken and transformed back.
                 The tool measures distances from the polygon's centroid.
  nearest_m      geodesic distance (Geod.inv, WGS 84) from that centroid to the market;
                 1011 m less a tiny centroid offset.
  share_900, share_1000, share_1100
                 share of the community's area within r metres (geodesic) of its market.
                 The rounded ring is densified geodesically to 200 points per square edge
                 (25 per fixture segment) and projected into an azimuthal equidistant
                 projection centred ON THE MARKET, where the geodesic circle of radius r
                 about the market is exactly the circle of radius r about (0, 0). share =
                 area(ring & Point(0, 0).buffer(r, quad_segs=4096)) / area(ring), both
                 areas planar in that projection. aeqd is not equal-area, but its areal
                 scale at distance rho from its centre is 1 + O(rho^2 / R^2), about 1e-14
                 at rho ~ 1.2 km, so the area distortion over a 400 m square ~1 km from the
                 centre is far below 1e-6 relative; the script checks this by comparing each
                 projected area with the ellipsoidal area (Geod.geometry_area_perimeter).
                 The disc's inscribed polygon (quad_segs=4096) leaves each share short by
                 ~3e-8 absolute (measured against quad_segs=16384).
  utm_zone_epsg  EPSG code (326zz) of the UTM zone holding the nominal centre.
  single_zone_m  the WRONG, pre-fix figure: Euclidean distance between centroid and market,
                 both projected (pyproj, always_xy) into ONE UTM zone chosen at the study
                 extent's centre, i.e. the zone of lon = (min_lon + max_lon) / 2 over all
                 three communities (~104.5 -> zone 48N, EPSG:32648, recorded at top level
                 as single_zone_epsg). Far from the central meridian the transverse Mercator
                 scale grows (k ~ 1 + (dlon cos lat)^2 / 2), so Urumqi comes out ~2.4 % and
                 Shanghai ~3.1 % too long.
A short table is printed to stdout.

Run (no arguments; needs pyproj and shapely 2):
  pip install pyproj shapely
  python3 tests/reference/three_cities_reference.py
"""
import json
import math
from pathlib import Path

import pyproj
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Point, Polygon, mapping

REPO = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO / "tests" / "fixtures" / "three-cities"
OUT = Path(__file__).resolve().parent / "three_cities_expected.json"

CITIES = [  # id, name, nominal centre (lon, lat)
    ("urumqi", "Urumqi", (87.6, 43.8)),
    ("chengdu", "Chengdu", (104.5, 30.66)),
    ("shanghai", "Shanghai", (121.5, 31.23)),
]
POPULATION = 1000
HALF_SIDE = 200.0  # m
POINTS_PER_EDGE = 8  # fixture ring: corner + 7 intermediate per edge
FINE_PER_SEGMENT = 25  # 8 segments * 25 = 200 points per square edge for the shares
MARKET_DISTANCE = 1011.0  # m
MARKET_AZIMUTH = 60.0  # degrees
RADII = (900, 1000, 1100)
QUAD_SEGS = 4096
DECIMALS = 9

GEOD = Geod(ellps="WGS84")
WGS84 = "EPSG:4326"


def aeqd(lon, lat):
    return pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +datum=WGS84 +units=m")


def to_crs(crs):
    return Transformer.from_crs(WGS84, crs, always_xy=True)


def from_crs(crs):
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def geodesic_segment(p, q, n_inner):
    """p followed by n_inner points spaced evenly along the geodesic p -> q (q excluded)."""
    inner = GEOD.npts(p[0], p[1], q[0], q[1], n_inner) if n_inner else []
    return [tuple(p)] + [tuple(x) for x in inner]


def square_ring(lon, lat):
    """Closed CCW ring of 4 * POINTS_PER_EDGE + 1 positions, rounded."""
    d = HALF_SIDE * math.sqrt(2.0)
    corner = {}
    for az in (45.0, 135.0, 225.0, 315.0):
        clon, clat, _ = GEOD.fwd(lon, lat, az, d)
        corner[az] = (clon, clat)
    # CCW in lon/lat (x east, y north): SW -> SE -> NE -> NW -> SW.
    order = [corner[225.0], corner[135.0], corner[45.0], corner[315.0]]
    ring = []
    for i in range(4):
        ring += geodesic_segment(order[i], order[(i + 1) % 4], POINTS_PER_EDGE - 1)
    ring = [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in ring]
    ring.append(ring[0])
    return ring


def densify(ring, n_inner):
    out = []
    for p, q in zip(ring[:-1], ring[1:]):
        out += geodesic_segment(p, q, n_inner)
    out.append(ring[-1])
    return out


def utm_epsg(lon, lat):
    zone = int(math.floor((lon + 180.0) / 6.0)) + 1
    return (32600 if lat >= 0 else 32700) + zone


def main():
    communities, markets = [], []
    for cid, name, (lon, lat) in CITIES:
        ring = square_ring(lon, lat)
        assert len(ring) == 4 * POINTS_PER_EDGE + 1
        assert Polygon(ring).exterior.is_ccw
        mlon, mlat, _ = GEOD.fwd(lon, lat, MARKET_AZIMUTH, MARKET_DISTANCE)
        market = (round(mlon, DECIMALS), round(mlat, DECIMALS))
        communities.append((cid, name, (lon, lat), ring))
        markets.append((cid, market))

    # Study extent's centre longitude -> the single zone a pre-fix tool would pick.
    lons = [x for _, _, _, ring in communities for x, _ in ring]
    lats = [y for _, _, _, ring in communities for _, y in ring]
    mid_lon = (min(lons) + max(lons)) / 2.0
    mid_lat = (min(lats) + max(lats)) / 2.0
    single_epsg = utm_epsg(mid_lon, mid_lat)
    single = to_crs(f"EPSG:{single_epsg}")

    results = {}
    for (cid, name, (lon, lat), ring), (_, market) in zip(communities, markets):
        # Centroid in a local aeqd at the nominal centre, back to lon/lat.
        local = aeqd(lon, lat)
        xs, ys = to_crs(local).transform([p[0] for p in ring], [p[1] for p in ring])
        c = Polygon(list(zip(xs, ys))).centroid
        clon, clat = from_crs(local).transform(c.x, c.y)

        _, _, nearest = GEOD.inv(clon, clat, market[0], market[1])

        # Shares: aeqd centred on the market, geodesic circles are exact circles.
        fine = densify(ring, FINE_PER_SEGMENT - 1)
        assert len(fine) == 4 * POINTS_PER_EDGE * FINE_PER_SEGMENT + 1
        at_market = aeqd(*market)
        fx, fy = to_crs(at_market).transform([p[0] for p in fine], [p[1] for p in fine])
        poly = Polygon(list(zip(fx, fy)))
        assert poly.is_valid
        geod_area = abs(GEOD.geometry_area_perimeter(Polygon(fine))[0])
        area_rel = abs(poly.area - geod_area) / geod_area
        assert area_rel < 1e-6, (cid, area_rel)
        shares = {}
        for r in RADII:
            disc = Point(0.0, 0.0).buffer(float(r), quad_segs=QUAD_SEGS)
            shares[r] = shapely.intersection(poly, disc).area / poly.area

        cx, cy = single.transform(clon, clat)
        mx, my = single.transform(market[0], market[1])
        single_m = math.hypot(mx - cx, my - cy)

        results[cid] = {
            "name": name,
            "nominal_centre": [lon, lat],
            "market": list(market),
            "centre": [clon, clat],
            "nearest_m": nearest,
            "share_900": shares[900],
            "share_1000": shares[1000],
            "share_1100": shares[1100],
            "area_m2": poly.area,
            "area_rel_diff_aeqd_vs_geodesic": area_rel,
            "utm_zone_epsg": utm_epsg(lon, lat),
            "single_zone_m": single_m,
            "single_zone_rel_error": single_m / nearest - 1.0,
        }

    # Fixture files.
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    comm_fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": cid, "name": name, "population": POPULATION},
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
            }
            for cid, name, _, ring in communities
        ],
    }
    mark_fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": f"m-{cid}", "category": "market"},
                "geometry": {"type": "Point", "coordinates": list(m)},
            }
            for cid, m in markets
        ],
    }
    (FIXTURE_DIR / "communities.geojson").write_text(json.dumps(comm_fc, indent=1) + "\n")
    (FIXTURE_DIR / "markets.geojson").write_text(json.dumps(mark_fc, indent=1) + "\n")

    expected = {
        "source": "tests/fixtures/three-cities/{communities,markets}.geojson, written by this script",
        "method": (
            f"pyproj {pyproj.__version__} + shapely {shapely.__version__}: centre = centroid "
            "in aeqd at the nominal centre; nearest_m = Geod(WGS84).inv centre -> market; "
            f"share_r = area(ring & disc r, quad_segs={QUAD_SEGS}) / area(ring) in aeqd "
            "centred on the market (ring densified to 200 points per edge); single_zone_m = "
            "Euclidean centre-market distance in the one UTM zone at the extent's centre "
            "(wrong, pre-fix figure)"
        ),
        "study_extent_lon": [min(lons), max(lons)],
        "single_zone_epsg": single_epsg,
        "communities": results,
    }
    OUT.write_text(json.dumps(expected, indent=1) + "\n")

    print(f"single zone at lon {mid_lon:.4f}: EPSG:{single_epsg}")
    print(f"{'id':<9} {'utm':>6} {'centre lon':>14} {'centre lat':>13} {'nearest_m':>12} "
          f"{'share_900':>10} {'share_1000':>10} {'share_1100':>10} {'single_m':>12} {'rel':>8}")
    for cid, v in results.items():
        print(f"{cid:<9} {v['utm_zone_epsg']:>6} {v['centre'][0]:>14.9f} {v['centre'][1]:>13.9f} "
              f"{v['nearest_m']:>12.6f} {v['share_900']:>10.6f} {v['share_1000']:>10.6f} "
              f"{v['share_1100']:>10.6f} {v['single_zone_m']:>12.6f} "
              f"{100 * v['single_zone_rel_error']:>7.3f}%")


if __name__ == "__main__":
    main()
