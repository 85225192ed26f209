#!/usr/bin/env python3
"""Reads what benches/scale.sh left in each scale's folder and prints the series: wall
time and peak memory of lifecircle summary only (the race) and with the GeoJSON layers,
per-stage throughput, the GeoPandas peer's time, the ratios, and whether the figures
agree (the peer's, and the two lifecircle runs' summary.json, which must be identical).
Exits 1 if any figure disagrees.

    compare.py BENCH_DIR N [N ...]

Agreement: population and area coverage within 0.1 percentage points, and the same
number of communities served, except for communities whose share lies within 1e-4 of
the served threshold (the two tools' circles differ in the last bits and i_overlay snaps
to an integer grid, so such a community may fall either side): the counts may differ by
at most the number of those, which the peer reports as `near_threshold`.
"""
import json
import os
import re
import sys

TOLERANCE_PP = 0.1


def time_v(path):
    """Wall seconds and peak RSS (MiB) from a GNU time -v log."""
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** (len(parts) - 1 - i) for i, p in enumerate(parts))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return seconds, rss / 1024.0


def steps(path):
    """lifecircle -v step times: {step: seconds}; the measure, gaps and dissolve steps of
    every category summed as 'measure', 'gaps', 'dissolve'."""
    out = {}
    for line in open(path):
        m = re.match(r"lifecircle: (.+?): (?:\d+ places in )?([\d.]+) s$", line.strip())
        if m:
            name = m.group(1)
            key = name.split(" ")[0] if name.split(" ")[0] in ("measure", "gaps", "dissolve") else name
            out[key] = out.get(key, 0.0) + float(m.group(2))
    return out


def size_mb(*paths):
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p)) / 2 ** 20


def dir_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total / 2 ** 20


def main():
    bench, scales = sys.argv[1], sys.argv[2:]
    ok = True
    rows, stage_rows, agree_rows = [], [], []
    for n in scales:
        d = os.path.join(bench, f"n{n}")
        lc_wall, lc_rss = time_v(os.path.join(d, "lifecircle.time"))
        sum_wall, sum_rss = time_v(os.path.join(d, "lifecircle-summary.time"))
        st = steps(os.path.join(d, "lifecircle.log"))
        summary = json.load(open(os.path.join(d, "out", "summary.json")))
        same = open(os.path.join(d, "out", "summary.json")).read() == open(
            os.path.join(d, "out-summary", "summary.json")).read()
        if not same:
            ok = False
            agree_rows.append(f"{n:>8} the summary-only run's summary.json DIFFERS from the full run's")
        inputs = summary["inputs"]
        communities = inputs["communities"]["features"]
        facilities = inputs["facilities"]["features"]
        demand = (inputs.get("demand") or {}).get("features", 0)
        in_mb = size_mb(*(os.path.join(d, f) for f in
                          ["communities.geojson", "facilities.geojson"] +
                          (["demand.geojson"] if demand else [])))
        out_mb = dir_mb(os.path.join(d, "out"))
        peer_path = os.path.join(d, "peer.json")
        peer = json.load(open(peer_path)) if os.path.exists(peer_path) else None
        if peer:
            pw, prss = time_v(os.path.join(d, "peer.time"))
            ratio = f"{pw / sum_wall:.1f}x"
            ratio_full = f"{pw / lc_wall:.1f}x"
            peer_cols = f"{pw:8.1f} s {prss:8.0f} MiB"
        else:
            ratio, ratio_full, peer_cols = "-", "-", f"{'-':>10} {'-':>12}"
        label = f"{communities:,} c / {facilities:,} f" + (f" / {demand:,} d" if demand else "")
        rows.append(f"{label:<36} {sum_wall:7.1f} s {sum_rss:8.0f} MiB  {lc_wall:7.1f} s {lc_rss:8.0f} MiB"
                    f"  {peer_cols}  {ratio:>7} {ratio_full:>7}")
        load = st.get("load", 0.0)
        proj = st.get("check, project", 0.0)
        meas = st.get("measure", 0.0)
        wr = st.get("write", 0.0)
        feats = communities + facilities + demand
        per = lambda x, t: f"{x / t:,.0f}/s" if t > 0 else "-"
        stage_rows.append(
            f"{n:>8}  load {load:6.2f} s ({in_mb / load if load else 0:5.0f} MB/s)  "
            f"project {proj:6.2f} s ({per(feats, proj)})  index {st.get('index', 0.0):5.2f} s  "
            f"measure {meas:6.2f} s ({per(communities * len(summary['categories']), meas)} "
            f"community-categories)  gaps {st.get('gaps', 0.0):5.2f} s  dissolve {st.get('dissolve', 0.0):6.2f} s  "
            f"write {wr:6.2f} s ({out_mb / wr if wr else 0:4.0f} MB/s, {out_mb:.0f} MB)")
        if not peer:
            continue
        for c in summary["categories"]:
            p = peer["categories"][c["name"]]
            dpop = abs(c["population_coverage"] - p["population_coverage"]) * 100
            darea = abs(c["area_coverage"] - p["area_coverage"]) * 100
            dserved = abs(c["communities_served"] - p["communities_served"])
            good = dpop <= TOLERANCE_PP and darea <= TOLERANCE_PP and dserved <= p["near_threshold"]
            ok &= good
            agree_rows.append(
                f"{n:>8} {c['name']:<13} {c['population_coverage'] * 100:8.3f}% {p['population_coverage'] * 100:8.3f}% "
                f"{dpop:7.4f} {c['area_coverage'] * 100:8.3f}% {p['area_coverage'] * 100:8.3f}% {darea:7.4f}  "
                f"{c['communities_served']:>8} {p['communities_served']:>8} {p['near_threshold']:>5}  "
                f"{'ok' if good else 'DISAGREE'}")
    print("\nScale series (wall time and peak memory; ratio = peer time / lifecircle time,"
          " summary only and with the layers)")
    print(f"{'input':<36} {'summary':>9} {'peak':>12}  {'layers':>9} {'peak':>12}  {'geopandas':>10} {'peak':>12}"
          f"  {'ratio':>7} {'layers':>7}")
    print("\n".join(rows))
    print("\nlifecircle stages with the layers (-v step times)")
    print("\n".join(stage_rows))
    if agree_rows:
        print("\nAgreement (population coverage, area coverage: lifecircle, peer, |difference| in pp;"
              " communities served: lifecircle, peer, near the threshold)")
        print("\n".join(agree_rows))
        print("\nfigures agree" if ok else "\nFIGURES DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
