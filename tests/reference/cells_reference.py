"""Reference covered areas for the Rust tests, from shapely (GEOS).

For each case: a place (polygons with holes, concave), facility points and radii. The
covered area is area(place ∩ union of buffers) with buffers of quad_segs=1024 and 2048.
A buffer's vertices lie on the circle, so its area falls short of πr² by a factor
~ (π/(2q))²/6 ≈ 3.9e-7 at q = 1024 and 9.8e-8 at q = 2048; the shortfall of the covered
area scales the same way (1/q²), so Richardson extrapolation
    A ≈ A_2048 + (A_2048 − A_1024) / 3
removes it to leading order. All three are written to cells_expected.json.

Run: python3 tests/reference/cells_reference.py  (writes cells_expected.json next to this
file; needs shapely 2)
"""

import json
import math
import os
import random
import time

from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

X0, Y0 = 512345.678, 4012345.321  # projected-looking, not round
RADII = [0.0, 37.5, 100.0, 250.0, 500.0, 1000.0, 2000.0, 3000.0]
MAX_RADIUS = 3000.0

rng = random.Random(18)


def star(cx, cy, n, rmin, rmax, phase=0.0):
    """A star-shaped (so simple, usually concave) ring around (cx, cy)."""
    pts = []
    for i in range(n):
        a = phase + 2 * math.pi * (i + rng.uniform(-0.3, 0.3)) / n
        r = rng.uniform(rmin, rmax)
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def rect(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def shift(ring):
    return [(X0 + x, Y0 + y) for x, y in ring]


def sites_in(n, x0, y0, x1, y1):
    return [(X0 + rng.uniform(x0, x1), Y0 + rng.uniform(y0, y1)) for _ in range(n)]


def places():
    """(name, shapely place, sites) for each case."""
    out = []
    # 1. Concave star with a star hole, one facility inside.
    p = Polygon(shift(star(0, 0, 30, 1500, 4000)), [shift(star(300, -200, 12, 300, 700))])
    out.append(("star_hole_1", p, sites_in(1, -500, -500, 500, 500)))
    # 2. U shape, 3 facilities, one outside the place.
    u = [(0, 0), (6000, 0), (6000, 5000), (4500, 5000), (4500, 1500),
         (1500, 1500), (1500, 5000), (0, 5000)]
    s = sites_in(2, 0, 0, 6000, 5000) + [(X0 + 3000.0, Y0 + 3500.0)]
    out.append(("u_shape_3", Polygon(shift(u)), s))
    # 3. Long star ring (200 vertices) with two holes, 17 facilities.
    p = Polygon(shift(star(0, 0, 200, 3000, 5000)),
                [shift(star(-1200, 0, 40, 400, 900)), shift(star(1500, 800, 9, 300, 700))])
    out.append(("long_star_17", p, sites_in(17, -6000, -6000, 6000, 6000)))
    # 4. Two polygons (a concave one with a hole), 60 facilities incl. duplicates and
    #    one on a vertex.
    a = Polygon(shift(star(-4000, 0, 25, 1000, 2500)), [shift(rect(-4500, -300, -3500, 300))[::-1]])
    b = Polygon(shift(rect(1000, -2000, 5000, 2000)))
    s = sites_in(57, -7000, -3000, 6000, 3000)
    s += [s[0], s[1], (X0 + 1000.0, Y0 - 2000.0)]
    out.append(("two_parts_60", MultiPolygon([a, b]), s))
    # 5. Convex-ish rectangle, 300 facilities (many overlaps).
    p = Polygon(shift(rect(-5000, -4000, 5000, 4000)))
    out.append(("rect_300", p, sites_in(300, -6000, -5000, 6000, 5000)))
    # 6. Long concave ring (500 vertices), 300 facilities, hole.
    p = Polygon(shift(star(0, 0, 500, 4000, 7000)), [shift(star(0, 0, 60, 500, 1500))])
    out.append(("long_star_300", p, sites_in(300, -8000, -8000, 8000, 8000)))
    # 7. Facilities on a vertex, on an edge and collinear (bisector along an edge).
    p = Polygon(shift(rect(0, 0, 4000, 3000)))
    s = [(X0 + 0.0, Y0 + 0.0), (X0 + 2000.0, Y0 + 0.0), (X0 + 2000.0, Y0 - 500.0),
         (X0 + 2000.0, Y0 + 500.0), (X0 + 2000.0, Y0 + 1500.0)]
    out.append(("vertex_edge_collinear", p, s))
    return out


def covered(place, sites, r, q):
    if r <= 0:
        return 0.0
    disks = unary_union([Point(x, y).buffer(r, quad_segs=q) for x, y in sites])
    return disks.intersection(place).area


def rings_of(place):
    polys = list(place.geoms) if isinstance(place, MultiPolygon) else [place]
    out = []
    for poly in polys:
        poly = orient(poly, 1.0)  # exterior CCW, holes CW
        assert poly.is_valid
        out.append([list(map(list, poly.exterior.coords))]
                   + [list(map(list, h.coords)) for h in poly.interiors])
    return out


def main():
    cases = []
    for name, place, sites in places():
        t = time.time()
        assert place.is_valid, name
        a1 = [covered(place, sites, r, 1024) for r in RADII]
        a2 = [covered(place, sites, r, 2048) for r in RADII]
        ex = [b + (b - a) / 3.0 for a, b in zip(a1, a2)]
        cases.append({
            "name": name,
            "place": rings_of(place),
            "place_area": place.area,
            "sites": [list(s) for s in sites],
            "max_radius": MAX_RADIUS,
            "radii": RADII,
            "shapely_1024": a1,
            "shapely_2048": a2,
            "extrapolated": ex,
        })
        print(f"{name}: {len(sites)} sites, {time.time() - t:.1f} s")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cells_expected.json")
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
