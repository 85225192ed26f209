#!/usr/bin/env python3
"""Make a random maximal-covering instance for the siting race (benches/peer/siting.py).

    siting_instance.py --demand 20000 --candidates 500 --existing 20 --k 10 \
        --radius 1000 --seed 1 --out /tmp/siting-small

Writes into --out (created if missing), coordinates in metres of a projected plane:

  demand.csv      id,x,y,weight   demand points clustered like a city: --clusters Gaussian
                                  clusters (centres uniform in the inner 2..18 km of the
                                  square, sigma uniform in 400..2000 m, cluster sizes from a
                                  Dirichlet(2) split), points falling outside the square are
                                  redrawn; weight = integer uniform in 1..200
  candidates.csv  id,x,y          uniform over the 20 x 20 km square [0, 20000)^2
  existing.csv    id,x,y          uniform over the square (header only when --existing 0)
  params.json     {"radius_m": R, "k": K}

Ids are integers 0..n-1 per file; x, y are written with 3 decimals (millimetres), so the
CSV text *is* the instance: a solver must read the coordinates back from the files, not
regenerate them. numpy's PCG64 Generator seeded with --seed makes the same files for the
same arguments (and numpy version).
"""
import argparse
import json
from pathlib import Path

import numpy as np

SIDE = 20000.0


def clustered(rng, n, clusters):
    centres = rng.uniform(2000.0, SIDE - 2000.0, size=(clusters, 2))
    sigmas = rng.uniform(400.0, 2000.0, size=clusters)
    sizes = rng.multinomial(n, rng.dirichlet(np.full(clusters, 2.0)))
    out = []
    for c, s, m in zip(centres, sigmas, sizes):
        pts = np.empty((0, 2))
        while len(pts) < m:
            p = rng.normal(c, s, size=(m - len(pts), 2))
            p = p[(p >= 0.0).all(axis=1) & (p < SIDE).all(axis=1)]
            pts = np.vstack([pts, p])
        out.append(pts)
    pts = np.vstack(out) if out else np.empty((0, 2))
    return pts[rng.permutation(len(pts))]


def write_points(path, pts, weights=None):
    with open(path, "w", newline="\n") as f:
        f.write("id,x,y,weight\n" if weights is not None else "id,x,y\n")
        for i, (x, y) in enumerate(pts):
            if weights is not None:
                f.write(f"{i},{x:.3f},{y:.3f},{int(weights[i])}\n")
            else:
                f.write(f"{i},{x:.3f},{y:.3f}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demand", type=int, required=True)
    ap.add_argument("--candidates", type=int, required=True)
    ap.add_argument("--existing", type=int, default=0)
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--radius", type=float, required=True, help="metres")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--offset", type=float, default=100000.0,
                    help="added to every x and y (metres), so that no point near the origin "
                         "reads like longitude/latitude degrees")
    ap.add_argument("--clusters", type=int, default=8)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    demand = clustered(rng, a.demand, a.clusters)
    weights = rng.integers(1, 200, size=a.demand, endpoint=True)
    candidates = rng.uniform(0.0, SIDE, size=(a.candidates, 2))
    existing = rng.uniform(0.0, SIDE, size=(a.existing, 2))

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    demand, candidates, existing = (p + a.offset for p in (demand, candidates, existing))
    write_points(out / "demand.csv", demand, weights)
    write_points(out / "candidates.csv", candidates)
    write_points(out / "existing.csv", existing)
    (out / "params.json").write_text(json.dumps({"radius_m": a.radius, "k": a.k}) + "\n")
    print(json.dumps({"out": str(out), "demand": a.demand, "candidates": a.candidates,
                      "existing": a.existing, "k": a.k, "radius_m": a.radius, "seed": a.seed,
                      "clusters": a.clusters, "total_weight": int(weights.sum())}))


if __name__ == "__main__":
    main()
