#!/usr/bin/env bash
# Large places: Tianjin's 16 districts (data/tianjin/districts.geojson, GCJ-02, 20,383
# vertices, no population: area basis) and N market points (GCJ-02) spread over their extent
# by a Halton sequence (bases 2 and 3, i = 1..N, as tests/large_places.rs does), 1,000 m.
# Times, best of BENCH_RUNS (wall clock; peak memory the largest of the runs, GNU time):
#   lifecircle, one radius: summaries only (--no-layers --no-gpkg --no-maps --no-report), the
#     curve off (`--no-curve`);
#   lifecircle with the curve: the same with the default curve (100 to 3,000 m by 100 m);
#   lifecircle, every product: no flags (layers, GeoPackage, maps, report, curve);
#   GeoPandas (benches/peer/districts.py): GCJ-02 to WGS 84, UTM, buffers, union_all,
#     intersection per district; its own "work" (after reading) and "read+work" seconds.
# One more lifecircle run with -v prints its per-step times. Prints the coverage of each
# tool overall and per district and the largest difference in percentage points; exits
# non-zero over 0.1 pp.
#
#   benches/districts.sh
#   BENCH_DISTRICTS_N=100000 BENCH_RUNS=1 benches/districts.sh
#
# BENCH_NO_BUILD=1 skips `cargo build` (uses the binary in $CARGO_TARGET_DIR). Data and outputs
# go to BENCH_DIR (default $CARGO_TARGET_DIR/bench)/districts-N. The peer runs in a virtual
# environment, PEER_DISTRICTS_VENV (default ~/.cache/lifecircle/districts-peer-venv), filled
# from benches/peer/districts-requirements.txt on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/lifecircle
bench=${BENCH_DIR:-$target/bench}
n=${BENCH_DISTRICTS_N:-20000}
runs=${BENCH_RUNS:-3}
venv=${PEER_DISTRICTS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lifecircle/districts-peer-venv}
time_v=/usr/bin/time
[ -x "$time_v" ] || { echo "bench: GNU time is needed for peak memory (apt-get install time)"; exit 1; }

[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bins
if [ ! -x "$venv/bin/python" ]; then
    python3 -c "import venv, ensurepip" 2>/dev/null || {
        echo "bench: python3 with venv is needed for the GeoPandas peer (Debian: apt-get install python3-venv)"
        exit 1
    }
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q -r benches/peer/districts-requirements.txt
dir=$bench/districts-$n
rm -rf "$dir"
mkdir -p "$dir"
districts=$PWD/data/tianjin/districts.geojson

# The markets, deterministic: the Halton sequence over lon 116.70..118.06, lat 38.56..40.25.
python3 - "$n" "$dir/markets.geojson" <<'PY'
import json, sys
def halton(i, base):
    f, r = 1.0, 0.0
    while i > 0:
        f /= base; r += f * (i % base); i //= base
    return r
w, s, e, north = 116.70, 38.56, 118.06, 40.25
features = [{"type": "Feature", "properties": {"id": f"m{i}", "category": "market"},
             "geometry": {"type": "Point", "coordinates": [w + (e - w) * halton(i, 2), s + (north - s) * halton(i, 3)]}}
            for i in range(1, int(sys.argv[1]) + 1)]
json.dump({"type": "FeatureCollection", "features": features}, open(sys.argv[2], "w"))
PY
plan="[communities]
path = \"$districts\"
crs = \"GCJ-02\"
id = \"adcode\"
name = \"district\"
[facilities]
path = \"markets.geojson\"
crs = \"GCJ-02\"
[[category]]
name = \"market\"
radius_m = 1000
[output]
dir = \"out\""
echo "$plan" > "$dir/plan.toml"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 2^20}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 16 districts, $n markets, 1000 m, best of $runs"
summary=(--no-layers --no-gpkg --no-maps --no-report)
for i in $(seq "$runs"); do
    "$time_v" -v -o "$dir/one.$i.time" "$bin" -q run "$dir/plan.toml" --no-curve --out "$dir/out-one" "${summary[@]}"
    "$time_v" -v -o "$dir/curve.$i.time" "$bin" -q run "$dir/plan.toml" --out "$dir/out-curve" "${summary[@]}"
    "$time_v" -v -o "$dir/all.$i.time" "$bin" -q run "$dir/plan.toml" --out "$dir/out-all"
    "$time_v" -v -o "$dir/peer.$i.time" "$venv/bin/python" benches/peer/districts.py \
        --districts "$districts" --markets "$dir/markets.geojson" --out "$dir/peer.$i.json" > "$dir/peer.$i.txt"
done
echo "-- lifecircle -v, every product"
"$bin" -v run "$dir/plan.toml" --out "$dir/out-verbose" 2>&1 >/dev/null | grep -E "^lifecircle: " | grep -v warning || true
# Untimed: the peer with lifecircle's equal-area 128-gons instead of inscribed ones.
"$venv/bin/python" benches/peer/districts.py --equal-area --districts "$districts" \
    --markets "$dir/markets.geojson" --out "$dir/peer-equal-area.json" > "$dir/peer-equal-area.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$dir" "$runs" <<'PY'
import json, os, re, sys
d, runs = sys.argv[1], int(sys.argv[2])

def time_v(path):
    """Wall seconds and peak RSS (MiB) from a GNU time -v log."""
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    return seconds, int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024

def best(name):
    t = [time_v(os.path.join(d, f"{name}.{i}.time")) for i in range(1, runs + 1)]
    return min(s for s, _ in t), max(m for _, m in t)

def category(out):
    return json.load(open(os.path.join(d, out, "summary.json")))["categories"][0]

one, curve, every = category("out-one"), category("out-curve"), category("out-all")
assert json.load(open(os.path.join(d, "out-one", "summary.json")))["work_crs"] == "EPSG:32650"
features = json.load(open(os.path.join(d, "out-all", "communities.geojson")))["features"]
lc = {str(f["properties"]["adcode"]): f["properties"]["market_share"] for f in features}
peers = [json.load(open(os.path.join(d, f"peer.{i}.json"))) for i in range(1, runs + 1)]
peer, equal = peers[0], json.load(open(os.path.join(d, "peer-equal-area.json")))
assert peer["work_crs"] == "EPSG:32650"

def worst(p):
    return 100 * max([abs(one["area_coverage"] - p["coverage"])] + [abs(lc[a] - p["districts"][a]) for a in lc])

rows = [("lifecircle, one radius", *best("one"), one["area_coverage"]),
        ("lifecircle, with curve", *best("curve"), curve["area_coverage"]),
        ("lifecircle, all products", *best("all"), every["area_coverage"]),
        ("GeoPandas (process)", *best("peer"), peer["coverage"])]
work = min(p["seconds"]["work"] for p in peers)
total = min(p["seconds"]["total"] for p in peers)
print(f"{'':<28}{'wall s':>8}{'peak MiB':>10}{'coverage':>11}")
for name, secs, rss, cov in rows:
    print(f"{name:<28}{secs:>8.2f}{rss:>10.0f}{100 * cov:>10.4f}%")
print(f"{'GeoPandas read+work':<28}{total:>8.2f}")
stages = ", ".join(f"{k} {min(p['seconds'][k] for p in peers):.2f}" for k in ("datum", "project", "buffer", "union", "intersect"))
print(f"{'GeoPandas work only':<28}{work:>8.2f}   ({stages})")
print(f"ratio GeoPandas/lifecircle one radius: {rows[3][1] / rows[0][1]:.2f}x process, "
      f"{total / rows[0][1]:.2f}x read+work, {work / rows[0][1]:.2f}x work only")
print(f"ratio curve/no curve: {rows[1][1] / rows[0][1]:.2f}x; all products/one radius: {rows[2][1] / rows[0][1]:.2f}x")
at = [c for r, c in curve["curve"] if r == 1000.0][0]
print(f"curve at 1000 m {100 * at:.4f}% vs run {100 * curve['area_coverage']:.4f}%: {100 * abs(at - curve['area_coverage']):.4f} pp")
print(f"{'adcode':<8}{'lifecircle':>11}{'GeoPandas':>11}{'diff pp':>9}  district")
for a, share in lc.items():
    p = peer["districts"][a]
    print(f"{a:<8}{100 * share:>10.4f}%{100 * p:>10.4f}%{100 * (share - p):>+9.4f}  {peer['names'][a]}")
print(f"max |difference| {worst(peer):.5f} pp (inscribed 128-gons); "
      f"{worst(equal):.5f} pp against the peer with equal-area 128-gons")
sys.exit(0 if worst(peer) < 0.1 else 1)
PY
