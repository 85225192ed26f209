#!/usr/bin/env python3
"""The spopt + PuLP/CBC peer of lifecircle's siting: maximal covering with K new sites.

    siting.py DIR [--time-limit 600] [--threads 1] [--k K] [--out result.json]

DIR holds an instance (benches/peer/siting_instance.py makes random ones):
  demand.csv      id,x,y,weight   (metres, projected CRS)
  candidates.csv  id,x,y
  existing.csv    id,x,y          (may be empty or header only)
  params.json     {"radius_m": r, "k": K}

Covered: Euclidean distance <= radius_m to a site. Existing sites stay and what they
cover counts as covered. Method, as a spopt user would do it:
  1. demand points within r of an existing site are set aside as covered (their weight
     is added to "covered"); only the rest R enters the model;
  2. the dense cost matrix spopt requires, |R| x |candidates| float64 (scipy cdist);
  3. spopt.locate.MCLP.from_cost_matrix(cost, weights, r, p_facilities=K) and
     .solve(pulp.PULP_CBC_CMD(timeLimit=..., threads=...), results=False).
  spopt builds a dense float64 0/1 matrix of the same shape and loops over every
  (demand, candidate) cell in Python, so time and memory grow with |R| x |candidates|.
  Before building, the peak memory is estimated; when it exceeds --memory-fraction of
  MemAvailable, the peer prints JSON with status "skipped_memory" and exits with code 3
  (no attempt, no crash).
"covered" and "sites" are recounted from the chosen candidates (cdist), not taken from
the solver's objective.

Prints one JSON object (and writes it to --out if given):
  {"covered", "total", "k", "status", "objective", "best_bound", "seconds_import", "seconds_read",
   "seconds_build", "seconds_solve", "peak_rss_mb", "peak_rss_cbc_mb", "demand",
   "demand_in_model", "candidates", "existing", "sites": [candidate ids, sorted]}
status: "optimal" (CBC proved it), "time_limit_feasible" (stopped on --time-limit with an
integer solution; best_bound from CBC's log when it printed one), "no_solution",
"skipped_memory". seconds_build = existing-coverage filter + cost matrix + spopt model;
seconds_solve = spopt .solve (PuLP writes the MPS file, CBC runs, PuLP reads back).
seconds_import (importing spopt) is reported apart and counted in neither.
peak_rss_mb is this Python process's peak RSS (getrusage), peak_rss_cbc_mb the CBC
child's (VmHWM polled every 0.1 s from /proc; null if CBC finished before a poll).
"""
import argparse
import json
import os
import re
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
from scipy.spatial.distance import cdist

CHUNK = 4096  # demand rows per cdist block when filtering by existing sites


def read_points(path, weight=False):
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return np.empty(0, dtype=object), np.empty((0, 2)), np.empty(0)
    df = pd.read_csv(path, dtype={"id": str})
    xy = df[["x", "y"]].to_numpy(dtype=np.float64)
    w = df["weight"].to_numpy(dtype=np.float64) if weight else np.empty(0)
    return df["id"].to_numpy(dtype=object), xy, w


def covered_by(points, sites, radius):
    """Boolean mask: points within radius of any site (cdist in chunks)."""
    mask = np.zeros(len(points), dtype=bool)
    if len(sites) == 0 or len(points) == 0:
        return mask
    for s in range(0, len(points), CHUNK):
        d = cdist(points[s:s + CHUNK], sites)
        mask[s:s + CHUNK] = (d <= radius).any(axis=1)
    return mask


def mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def estimate_bytes(n, m, nnz):
    """Peak bytes of the spopt build + CBC, from the data structures it creates.

    cost matrix (float64) + spopt's aij (float64) + the boolean mask of `cost <= r` +
    the cdist temporary, ~400 B per PuLP term (variable in an LpAffineExpression) and
    ~200 B per nonzero in CBC, plus ~1 KB per PuLP constraint/variable and a base.
    """
    cells = n * m
    return cells * (8 + 8 + 1 + 8) + nnz * (400 + 200) + (n + m) * 1000 + 300 * 2**20


class ChildPeak:
    """Peak resident memory (VmHWM) of this process's children, polled from /proc.

    getrusage(RUSAGE_CHILDREN) is no use here: it also counts the forked copy of this
    Python process before the child execs CBC.
    """

    def __init__(self, every=0.1):
        self.every, self.peak_kb, self._stop = every, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            try:
                kids = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            except OSError:
                kids = []
            for pid in kids:
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except OSError:
                    pass
            self._stop.wait(self.every)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def rss_mb(who):
    r = resource.getrusage(who).ru_maxrss  # KiB on Linux
    return round(r / 1024.0, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instance", help="instance directory")
    ap.add_argument("--time-limit", type=float, default=600.0, help="CBC time limit, seconds")
    ap.add_argument("--threads", type=int, default=1, help="CBC threads")
    ap.add_argument("--k", type=int, default=None, help="override params.json k")
    ap.add_argument("--memory-fraction", type=float, default=0.8,
                    help="refuse to build when the estimate exceeds this share of MemAvailable")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    a = ap.parse_args()

    def emit(res, code=0):
        text = json.dumps(res)
        print(text)
        if a.out:
            Path(a.out).write_text(text + "\n")
        sys.exit(code)

    t_imp = time.perf_counter()
    from spopt.locate import MCLP  # heavy import (geopandas, libpysal): timed apart

    d = Path(a.instance)
    t0 = time.perf_counter()
    params = json.loads((d / "params.json").read_text())
    radius = float(params["radius_m"])
    k = int(a.k if a.k is not None else params["k"])
    dem_id, dem_xy, w = read_points(d / "demand.csv", weight=True)
    cand_id, cand_xy, _ = read_points(d / "candidates.csv")
    _, ex_xy, _ = read_points(d / "existing.csv")
    t_read = time.perf_counter() - t0

    total = float(w.sum())
    res = {"covered": None, "total": total, "k": k, "status": None, "objective": None,
           "best_bound": None, "seconds_import": round(t0 - t_imp, 3), "seconds_read": round(t_read, 3), "seconds_build": None,
           "seconds_solve": None, "peak_rss_mb": None, "peak_rss_cbc_mb": None,
           "demand": int(len(w)), "demand_in_model": None, "candidates": int(len(cand_id)),
           "existing": int(len(ex_xy)), "radius_m": radius, "time_limit_s": a.time_limit,
           "threads": a.threads, "sites": []}

    # 1. set aside demand covered by existing sites
    t1 = time.perf_counter()
    pre = covered_by(dem_xy, ex_xy, radius)
    covered_before = float(w[pre].sum())
    rows = np.flatnonzero(~pre)
    n, m = len(rows), len(cand_id)
    res["demand_in_model"] = int(n)
    res["covered_before"] = covered_before
    if k > m:
        res["status"] = "error"
        res["message"] = f"k = {k} exceeds the {m} candidates (spopt requires sum x == k)"
        emit(res, 2)

    # memory guard (nnz counted in chunks without keeping the matrix)
    nnz = 0
    for s in range(0, n, CHUNK):
        nnz += int((cdist(dem_xy[rows[s:s + CHUNK]], cand_xy) <= radius).sum())
    need = estimate_bytes(n, m, nnz)
    avail = mem_available()
    res["nonzeros"] = nnz
    res["estimated_peak_mb"] = round(need / 2**20, 1)
    res["mem_available_mb"] = round(avail / 2**20, 1) if avail else None
    if avail is not None and need > a.memory_fraction * avail:
        res["status"] = "skipped_memory"
        res["message"] = (
            f"spopt needs the dense {n} x {m} cost matrix (demand not covered by existing "
            f"sites x candidates) plus a same-size 0/1 matrix: about {need / 2**30:.1f} GiB "
            f"estimated, more than {a.memory_fraction:.0%} of the "
            f"{avail / 2**30:.1f} GiB available; not attempted")
        res["seconds_build"] = round(time.perf_counter() - t1, 3)
        res["peak_rss_mb"] = rss_mb(resource.RUSAGE_SELF)
        print(res["message"], file=sys.stderr)
        emit(res, 3)

    # 2-3. cost matrix and spopt model
    cost = cdist(dem_xy[rows], cand_xy)
    model = MCLP.from_cost_matrix(cost, w[rows], service_radius=radius, p_facilities=k,
                                  name="mclp_peer")
    del cost
    t2 = time.perf_counter()
    res["seconds_build"] = round(t2 - t1, 3)

    log = tempfile.NamedTemporaryFile(prefix="siting-cbc-", suffix=".log", delete=False)
    log.close()
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=a.time_limit, threads=a.threads,
                               logPath=log.name)
    with ChildPeak() as cbc_peak:
        try:
            model.solve(solver, results=False)
            ok = True
        except RuntimeError as e:  # spopt raises when PuLP's status is not Optimal
            ok = False
            res["message"] = str(e)
    t3 = time.perf_counter()
    res["seconds_solve"] = round(t3 - t2, 3)
    prob = model.problem
    text = Path(log.name).read_text(errors="replace")
    os.unlink(log.name)
    mb = re.search(r"best possible ([-+0-9.eE]+)", text)
    if mb:
        res["best_bound"] = abs(float(mb.group(1)))
    if ok and prob.sol_status == pulp.LpSolutionOptimal:
        res["status"] = "optimal"
    elif ok and prob.sol_status == pulp.LpSolutionIntegerFeasible:
        res["status"] = "time_limit_feasible"
    else:
        res["status"] = "no_solution"
    if ok:
        res["objective"] = pulp.value(prob.objective)
        chosen = [j for j, v in enumerate(model.fac_vars) if v.value() is not None and v.value() > 0.5]
        got = covered_by(dem_xy[rows], cand_xy[chosen], radius)
        res["covered"] = covered_before + float(w[rows][got].sum())
        res["sites"] = sorted(cand_id[chosen].tolist(), key=lambda s: (len(s), s))
        if res["best_bound"] is not None:
            res["best_bound"] += covered_before
        elif res["status"] == "optimal":
            res["best_bound"] = res["covered"]
    res["peak_rss_mb"] = rss_mb(resource.RUSAGE_SELF)
    res["peak_rss_cbc_mb"] = round(cbc_peak.peak_kb / 1024.0, 1) if cbc_peak.peak_kb else None
    emit(res, 0 if ok else 4)


if __name__ == "__main__":
    main()
