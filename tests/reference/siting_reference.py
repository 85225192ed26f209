#!/usr/bin/env python3
"""Independent reference figures for lifecircle's facility siting (markets, TEDA sample).

This script is an independent check of lifecircle's Rust code: it uses only pyproj,
shapely 2, numpy, scipy, spopt (PySAL) and PuLP with its bundled CBC (nothing from the
Rust project, and none of its output), solves the siting problems below to proven
optimality and writes the results to siting_expected.json next to this file.

    python3 -m venv ~/.cache/lifecircle/siting-peer-venv
    ~/.cache/lifecircle/siting-peer-venv/bin/pip install spopt pulp geopandas pyproj shapely scipy numpy
    ~/.cache/lifecircle/siting-peer-venv/bin/python tests/reference/siting_reference.py

Versions used for the committed JSON are recorded in its "versions" member (spopt 0.7.0,
PuLP 3.3.2 with its bundled CBC, pyproj 3.7.2, shapely 2.2.0, numpy 2.4.6, scipy 1.17.1).

Inputs (data/teda/, WGS 84 lon/lat, RFC 7946)
  buildings.geojson    Point features: `id`, `population` (residents), `community`.
  communities.geojson  Polygon features: `id`, `street` (东海街, 新城街, 泰达街).
  facilities.geojson   `category`; markets are category == "market". A Point is one site,
                       a MultiPoint gives one site per point, a Polygon (none among the
                       markets at the time of writing) would give its shapely
                       representative_point() (an interior point) of the projected ring;
                       "market_geometry_types" in the JSON lists what was found.

Instance
  * Every coordinate is projected from EPSG:4326 to EPSG:32650 (UTM 50N) with
    pyproj.Transformer.from_crs(..., always_xy=True). Distances are Euclidean, metres.
  * A building is covered when its distance to some site is <= 1000.0 m.
  * Existing sites: all market sites. They stay; what they cover counts as covered.
  * Candidates ("gaps"): the buildings NOT covered by any existing site, each at its own
    position; candidate id = building id.
  * Weights: building population.

Problems and methods (CBC through PuLP, single thread, no time limit; "optimal" below is
True only when CBC reported Optimal)
  mclp (K = 1..4)   maximal covering: choose exactly K candidates maximising the covered
                    population of the whole district, existing sites fixed.
                    Solved twice and required to agree on the covered population:
                    (1) spopt.locate.MCLP.from_cost_matrix on demand = all buildings x
                        facilities = existing sites + candidates, with
                        predefined_facilities_arr marking the existing sites (spopt 0.7.0
                        fixes their x to 1; its facility constraint is sum(x) == p over
                        ALL facilities, predefined ones included, so p = E + K);
                    (2) a direct PuLP MIP over the demand not covered by existing sites:
                        max sum w_i y_i, y_i <= sum_{j covers i} x_j, sum x_j == K,
                        binary; covered = covered_before + objective.
                    "sites" is the direct MIP's optimal set (sorted ids); "sites_spopt"
                    is spopt's (optimal sets need not be unique; only "covered" must
                    match). "unique": whether any other K-set reaches the same covered
                    population (re-solve with a no-good cut on "sites"; False = ties
                    exist, so a correct solver may return different ids).
  fewest_95         spopt 0.7.0 has no percentage-target set covering (LSCP covers all,
  fewest_all        LSCPB is backup coverage), so this is a direct PuLP MIP:
  group_东海街_95    stage 1: min sum x_j s.t. sum_i w_i y_i >= T', y_i <= sum_{j covers
                    i} x_j, binary, where T' = ceil(share * total - covered_before) over
                    the demand not covered by existing sites (populations are integers,
                    so this is exactly covered >= share * total);
                    stage 2: with sum x_j == (stage-1 minimum), maximise sum w_i y_i, so
                    "covered" is the largest population reachable with the fewest sites
                    (well defined, unlike the coverage of an arbitrary minimum set).
                    fewest_all (share 1.0) is also checked with spopt.locate.LSCP on the
                    uncovered demand x candidates: same count required.
                    group_东海街_95: demand = buildings whose community's street is 东海街
                    (buildings.community -> communities.id -> street); candidates = the
                    gaps of the WHOLE district; coverage counted over 东海街 buildings only.

Output (siting_expected.json)
  radius_m, crs, total_population, covered_before (existing markets only),
  share_before, candidates (number of gap candidates), existing_sites (number of market
  sites), market_geometry_types,
  mclp: [{k, covered, share, sites, sites_spopt, unique, optimal, optimal_spopt}], k = 1..4,
  fewest_95 / fewest_all / group_东海街_95: {target_share, target_population, total,
    covered_before, share_before, reachable, count, covered, share, sites, unique (of the
    stage-2 set), optimal, [lscp_count, optimal_lscp]},
  boundary: building-site pairs (existing or candidate) whose distance lies within 1e-6 m
    of the radius (0 means float rounding cannot flip a pair), the smallest
    |distance - radius| over all those pairs, and the largest nearest-site distance,
  versions, method (a one-paragraph summary of the above), source (file sha256s).
"""
import hashlib
import json
import math
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pulp
import shapely
from pyproj import Transformer
from scipy.spatial.distance import cdist
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "teda"
OUT = Path(__file__).resolve().parent / "siting_expected.json"

RADIUS = 1000.0
CRS = "EPSG:32650"
GROUP_STREET = "东海街"
KS = (1, 2, 3, 4)

TF = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def solver():
    return pulp.PULP_CBC_CMD(msg=False, threads=1)


def load(name):
    path = DATA / name
    raw = path.read_bytes()
    return json.loads(raw)["features"], hashlib.sha256(raw).hexdigest()


def project(geom):
    def tf(c):
        x, y = TF.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geom, tf)


def market_sites(features):
    sites, kinds = [], {}
    for f in features:
        if f["properties"].get("category") != "market":
            continue
        g = project(shape(f["geometry"]))
        kinds[g.geom_type] = kinds.get(g.geom_type, 0) + 1
        fid = f["properties"]["id"]
        if g.geom_type == "Point":
            sites.append((fid, g.x, g.y))
        elif g.geom_type == "MultiPoint":
            for n, p in enumerate(g.geoms):
                sites.append((f"{fid}#{n}", p.x, p.y))
        elif g.geom_type in ("Polygon", "MultiPolygon"):
            p = g.representative_point()
            sites.append((fid, p.x, p.y))
        else:
            raise SystemExit(f"market {fid}: unexpected geometry {g.geom_type}")
    return sites, kinds


def status_of(prob):
    # PuLP: status 1 with sol_status 1 = proven optimal; sol_status 2 = feasible only.
    return pulp.LpStatus[prob.status] == "Optimal" and prob.sol_status == pulp.LpSolutionOptimal


def direct_mclp(w, cover, n_cand, k):
    """w: weights of uncovered demand; cover[i] = candidate indices (< n_cand) covering i.

    Returns (chosen, gained, optimal, unique): unique is True when every other set of k
    candidates covers strictly less (checked by re-solving with a no-good cut).
    """
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(n_cand)]
    y = [pulp.LpVariable(f"y{i}", cat="Binary") for i in range(len(w))]
    prob += pulp.lpSum(float(w[i]) * y[i] for i in range(len(w)))
    for i, c in enumerate(cover):
        prob += y[i] <= pulp.lpSum(x[j] for j in c)
    prob += pulp.lpSum(x) == k
    prob.solve(solver())
    chosen = [j for j in range(n_cand) if x[j].value() > 0.5]
    chosen_set = set(chosen)
    gained = sum(int(w[i]) for i, c in enumerate(cover) if chosen_set.intersection(c))
    ok = status_of(prob)
    unique = None
    if 0 < k < n_cand:
        prob += pulp.lpSum(x[j] for j in chosen) <= k - 1
        prob.solve(solver())
        second = int(round(pulp.value(prob.objective))) if pulp.LpStatus[prob.status] == "Optimal" else -1
        unique = second < gained
        ok = ok and status_of(prob)
    return chosen, gained, ok, unique


def fewest(w, cover, n_cand, need):
    """Fewest candidates whose newly covered weight is >= need; then max weight at that count."""
    if need <= 0:
        return [], 0, True, True
    # stage 1: minimum count
    p1 = pulp.LpProblem("fewest", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(n_cand)]
    y = [pulp.LpVariable(f"y{i}", cat="Binary") for i in range(len(w))]
    p1 += pulp.lpSum(x)
    for i, c in enumerate(cover):
        p1 += y[i] <= pulp.lpSum(x[j] for j in c)
    p1 += pulp.lpSum(float(w[i]) * y[i] for i in range(len(w))) >= need
    p1.solve(solver())
    if pulp.LpStatus[p1.status] != "Optimal":
        return None, None, False, None
    count = int(round(pulp.value(p1.objective)))
    ok1 = status_of(p1)
    # stage 2: best coverage with that many sites
    chosen, gained, ok2, unique = direct_mclp(w, cover, n_cand, count)
    assert gained >= need, (gained, need)
    return chosen, gained, ok1 and ok2, unique


def main():
    t0 = time.perf_counter()
    bfeat, bsha = load("buildings.geojson")
    cfeat, csha = load("communities.geojson")
    ffeat, fsha = load("facilities.geojson")

    street_of = {f["properties"]["id"]: f["properties"]["street"] for f in cfeat}
    bid = [f["properties"]["id"] for f in bfeat]
    pop = np.array([int(f["properties"]["population"]) for f in bfeat], dtype=np.int64)
    bstreet = [street_of[f["properties"]["community"]] for f in bfeat]
    bxy = np.array([TF.transform(*f["geometry"]["coordinates"][:2]) for f in bfeat])
    assert len(set(bid)) == len(bid)

    sites, kinds = market_sites(ffeat)
    sxy = np.array([(x, y) for _, x, y in sites])
    E = len(sites)

    d_exist = cdist(bxy, sxy)
    near_exist = d_exist.min(axis=1)
    covered0 = near_exist <= RADIUS
    total = int(pop.sum())
    covered_before = int(pop[covered0].sum())

    gap = np.flatnonzero(~covered0)          # building indices that are candidates
    cand_ids = [bid[i] for i in gap]
    cxy = bxy[gap]
    n_cand = len(gap)
    d_cand = cdist(bxy, cxy)                 # all buildings x candidates
    near_all = np.minimum(near_exist, d_cand.min(axis=1)) if n_cand else near_exist
    boundary = int(np.sum(np.abs(d_exist - RADIUS) <= 1e-6) + np.sum(np.abs(d_cand - RADIUS) <= 1e-6))
    closest_to_radius = float(min(np.abs(d_exist - RADIUS).min(),
                                  np.abs(d_cand - RADIUS).min() if n_cand else math.inf))

    # uncovered demand rows (whole district) and who covers them
    unc = np.flatnonzero(~covered0)
    w_unc = pop[unc]
    cover_unc = [list(np.flatnonzero(d_cand[i] <= RADIUS)) for i in unc]

    print(f"buildings {len(bid)}, population {total}, market sites {E} {kinds}")
    print(f"covered before {covered_before} ({covered_before / total:.4%}), candidates {n_cand}")

    # (a) MCLP, K = 1..4
    import spopt
    from spopt.locate import LSCP, MCLP

    cost = np.hstack([d_exist, d_cand])      # demand = all buildings; facilities = existing + candidates
    predefined = np.zeros(E + n_cand, dtype=int)
    predefined[:E] = 1
    mclp = []
    for k in KS:
        m = MCLP.from_cost_matrix(cost, pop.astype(float), service_radius=RADIUS,
                                  p_facilities=E + k, predefined_facilities_arr=predefined,
                                  name=f"mclp_k{k}")
        m = m.solve(solver())
        fac = [j for j, v in enumerate(m.fac_vars) if v.value() > 0.5]
        assert all(j in fac for j in range(E)), "spopt dropped an existing site"
        sp_sites = sorted(cand_ids[j - E] for j in fac if j >= E)
        sp_cov = int(round(pulp.value(m.problem.objective)))
        chosen, gained, ok, unique = direct_mclp(w_unc, cover_unc, n_cand, k)
        covered = covered_before + gained
        if covered != sp_cov:
            sys.exit(f"K={k}: spopt MCLP covered {sp_cov} != direct MIP {covered}")
        # recount spopt's set independently
        sp_idx = [j - E for j in fac if j >= E]
        recount = int(pop[covered0 | (d_cand[:, sp_idx] <= RADIUS).any(axis=1)].sum()) if sp_idx else covered_before
        assert recount == sp_cov, (recount, sp_cov)
        mclp.append({"k": k, "covered": covered, "share": covered / total,
                     "sites": sorted(cand_ids[j] for j in chosen), "sites_spopt": sp_sites,
                     "unique": unique, "optimal": ok, "optimal_spopt": status_of(m.problem)})
        print(f"MCLP K={k}: covered {covered} ({covered / total:.4%}) sites {mclp[-1]['sites']}")

    # (b) fewest for 95 % and for all
    def fewest_block(share, demand_mask, label):
        tot = int(pop[demand_mask].sum())
        before = int(pop[demand_mask & covered0].sum())
        rows = np.flatnonzero(demand_mask & ~covered0)
        w = pop[rows]
        cov = [list(np.flatnonzero(d_cand[i] <= RADIUS)) for i in rows]
        need = math.ceil(share * tot - before - 1e-9)
        target_pop = math.ceil(share * tot - 1e-9)
        reachable = int(sum(int(w[i]) for i in range(len(rows)) if cov[i]))
        out = {"target_share": share, "target_population": target_pop, "total": tot,
               "covered_before": before, "share_before": before / tot}
        if need > reachable:
            out.update({"reachable": False, "count": None, "covered": before + reachable})
            print(f"{label}: target unreachable")
            return out
        chosen, gained, ok, unique = fewest(w, cov, n_cand, need)
        covered = before + gained
        # independent recount over the demand group
        hit = covered0 | ((d_cand[:, chosen] <= RADIUS).any(axis=1) if chosen else False)
        assert int(pop[demand_mask & hit].sum()) == covered
        out.update({"reachable": True, "count": len(chosen), "covered": covered,
                    "share": covered / tot, "sites": sorted(cand_ids[j] for j in chosen),
                    "unique": unique, "optimal": ok})
        print(f"{label}: {len(chosen)} sites, covered {covered} / {tot} ({covered / tot:.4%}) "
              f"{out['sites']}")
        return out

    everyone = np.ones(len(bid), dtype=bool)
    fewest_95 = fewest_block(0.95, everyone, "fewest_95")
    fewest_all = fewest_block(1.0, everyone, "fewest_all")

    # cross-check fewest_all with spopt LSCP (uncovered demand x candidates, all must be covered)
    if fewest_all.get("reachable") and len(unc):
        l = LSCP.from_cost_matrix(d_cand[unc], service_radius=RADIUS, name="lscp_all")
        l = l.solve(solver())
        lscp_count = int(round(pulp.value(l.problem.objective)))
        fewest_all["lscp_count"] = lscp_count
        fewest_all["optimal_lscp"] = status_of(l.problem)
        if lscp_count != fewest_all["count"]:
            sys.exit(f"fewest_all: spopt LSCP {lscp_count} != direct MIP {fewest_all['count']}")

    group_mask = np.array([s == GROUP_STREET for s in bstreet])
    group_95 = fewest_block(0.95, group_mask, f"group_{GROUP_STREET}_95")
    group_95["street"] = GROUP_STREET
    group_95["buildings"] = int(group_mask.sum())

    versions = {p: version(p) for p in ("spopt", "pulp", "pyproj", "shapely", "numpy", "scipy")}
    versions["python"] = sys.version.split()[0]
    versions["geos"] = shapely.geos_version_string
    import pyproj
    versions["proj"] = pyproj.proj_version_str
    try:
        import subprocess
        cbc = pulp.PULP_CBC_CMD().path
        banner = subprocess.run([cbc, "-quit"], capture_output=True, text=True, timeout=30).stdout
        versions["cbc"] = next((ln.split("Version:")[1].strip() for ln in banner.splitlines()
                                if "Version:" in ln), "bundled with PuLP")
    except Exception:
        versions["cbc"] = "bundled with PuLP"

    out = {
        "radius_m": RADIUS,
        "crs": CRS,
        "total_population": total,
        "covered_before": covered_before,
        "share_before": covered_before / total,
        "buildings": len(bid),
        "existing_sites": E,
        "market_geometry_types": kinds,
        "candidates": n_cand,
        "mclp": mclp,
        "fewest_95": fewest_95,
        "fewest_all": fewest_all,
        f"group_{GROUP_STREET}_95": group_95,
        "boundary": {"tolerance_m": 1e-6, "pairs_within_tolerance": boundary,
                     "min_abs_distance_minus_radius_m": closest_to_radius,
                     "max_nearest_distance_m": float(near_all.max())},
        "versions": versions,
        "method": (
            "Projected EPSG:4326 -> EPSG:32650 with pyproj (always_xy). Covered: Euclidean "
            "distance <= 1000 m to a site. Existing = all market sites (MultiPoint: each point), "
            "fixed. Candidates = buildings uncovered by existing sites. MCLP (exactly K new): "
            "spopt.locate.MCLP.from_cost_matrix with predefined_facilities_arr for the existing "
            "sites (p = existing + K, since spopt counts predefined sites in sum x == p), "
            "cross-checked with a direct PuLP MIP over the uncovered demand; both CBC, must agree "
            "on covered population. Fewest-sites targets: direct PuLP MIP (spopt has no "
            "percentage-target LSCP): min sum x s.t. covered >= ceil(share*total), then max "
            "coverage at that count; fewest_all also checked against spopt.locate.LSCP. Group "
            "东海街: demand restricted to that street's buildings, candidates = all district gaps."
        ),
        "source": {"buildings": bsha, "communities": csha, "facilities": fsha},
    }
    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
