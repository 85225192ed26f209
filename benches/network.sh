#!/usr/bin/env bash
# Walking distance along the streets, raced: generates synthetic cities with
# `lifecircle synth --network`, runs lifecircle (release build, summary only) and the pandana
# peer (benches/peer/network.py, contraction hierarchies) on the same files, one after the
# other, and prints wall time, peak memory, the time ratio and, per category, the
# population coverage of both (and lifecircle's straight-line circle coverage beside them).
# Exits non-zero if lifecircle and pandana differ by more than 1 percentage point.
#
#   benches/network.sh                      # 10k and 100k communities
#   BENCH_NETWORK_SCALES=1000 benches/network.sh
#
# Each scale N has N/10 facilities per category in 4 categories (market 500 m, health and
# fitness 1,000 m, elderly_care 300 m), 10 N demand points and communities 200 m across
# (--spacing 200), so that 100k communities have about a million street edges.
# The peer attaches points to the nearest point of the nearest street as lifecircle does
# (--attach edge); with BENCH_NODE_ATTACH=1 it also runs as pandana is usually used,
# points at their nearest node and legs not counted (--attach node), shown, not checked.
# Data and outputs go to BENCH_DIR (default $CARGO_TARGET_DIR/bench). The peer runs in a
# virtual environment, PEER_NETWORK_VENV (default ~/.cache/lifecircle/network-peer-venv),
# created and filled from benches/peer/network-requirements.txt on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/lifecircle
bench=${BENCH_DIR:-$target/bench}
scales=${BENCH_NETWORK_SCALES-10000 100000}
node_attach=${BENCH_NODE_ATTACH:-0}
venv=${PEER_NETWORK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lifecircle/network-peer-venv}
time_v=/usr/bin/time
[ -x "$time_v" ] || { echo "bench: GNU time is needed for peak memory (apt-get install time)"; exit 1; }

cargo build --release --bins
if [ ! -x "$venv/bin/python" ]; then
    python3 -c "import venv, ensurepip" 2>/dev/null || {
        echo "bench: python3 with venv is needed for the pandana peer (Debian: apt-get install python3-venv)"
        exit 1
    }
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q -r benches/peer/network-requirements.txt
mkdir -p "$bench"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 2^20}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

dirs=()
for n in $scales; do
    dir=$bench/network-n$n
    rm -rf "$dir"
    "$bin" -q synth --communities "$n" --facilities $((n / 10)) --demand-points $((n * 10)) \
        --spacing 200 --network --out "$dir"
    echo "== $n communities, $((n / 10)) facilities per category, $((n * 10)) demand points, streets"
    "$time_v" -v -o "$dir/lifecircle.time" "$bin" -v run "$dir/city-demand.toml" --out "$dir/out" \
        --no-layers --no-gpkg --no-maps --no-report > "$dir/lifecircle.txt" 2> "$dir/lifecircle.log"
    grep -E "^lifecircle: " "$dir/lifecircle.log" | grep -v warning || true
    "$time_v" -v -o "$dir/peer.time" "$venv/bin/python" benches/peer/network.py "$dir" "$dir/peer.json" \
        > "$dir/peer.txt" 2> "$dir/peer.log"
    grep -E "^pandana peer: (load|market|health|fitness|elderly)" "$dir/peer.txt" || true
    if [ "$node_attach" = 1 ]; then
        "$time_v" -v -o "$dir/peer-node.time" "$venv/bin/python" benches/peer/network.py "$dir" \
            "$dir/peer-node.json" --attach node > "$dir/peer-node.txt" 2> "$dir/peer-node.log"
    fi
    dirs+=("$dir")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "${dirs[@]}" <<'EOF'
import json, os, re, sys

def time_v(path):
    """Wall seconds and peak RSS (MiB) from a GNU time -v log."""
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    return seconds, int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024

ok = True
rows, agree = [], []
for d in sys.argv[1:]:
    s = json.load(open(os.path.join(d, "out", "summary.json")))
    p = json.load(open(os.path.join(d, "peer.json")))
    node_path = os.path.join(d, "peer-node.json")
    node = json.load(open(node_path)) if os.path.exists(node_path) else None
    lw, lm = time_v(os.path.join(d, "lifecircle.time"))
    pw, pm = time_v(os.path.join(d, "peer.time"))
    net, sec = s["inputs"]["network"], p["seconds"]
    same = "same" if (net["nodes"], net["edges"]) == (p["network"]["nodes"], p["network"]["edges"]) else "DIFFERENT"
    rows.append(f"{s['inputs']['communities']['features']:>11,} {s['inputs']['demand']['features']:>10,} "
                f"{net['nodes']:>9,} {net['edges']:>9,}  {lw:7.1f} s {lm:6.0f} MiB  {pw:7.1f} s {pm:6.0f} MiB "
                f"{pw / lw:6.1f}x  {sec['contract']:8.1f} s {sec['query']:7.1f} s {sec['total']:7.1f} s  {same}")
    for c in s["categories"]:
        lc, pa = c["population_coverage"] * 100, p["categories"][c["name"]]["population_coverage"] * 100
        good = abs(lc - pa) <= 1.0
        ok &= good
        extra = ""
        if node:
            nd = node["categories"][c["name"]]["population_coverage"] * 100
            extra = f"   node attachment {nd:7.3f}% ({nd - lc:+.3f})"
        agree.append(f"{os.path.basename(d):<16} {c['name']:<13} {c['radius_m']:5.0f} m {lc:8.3f}% {pa:8.3f}% "
                     f"{pa - lc:+8.4f}  {c['circle_coverage'] * 100:8.3f}% {c['circle_coverage'] * 100 - lc:+8.3f}  "
                     f"{'ok' if good else 'DISAGREE'}{extra}")
print("\nStreet network series (lifecircle summary only, pandana peer: wall time and peak memory;"
      " ratio = pandana / lifecircle; pandana's contraction, nearest-facility queries and total"
      " in process; graph: the same nodes and edges in both)")
print(f"{'communities':>11} {'demand':>10} {'nodes':>9} {'edges':>9}  {'lifecircle':>9} {'peak':>10}  "
      f"{'pandana':>9} {'peak':>10} {'ratio':>6}  {'contract':>10} {'queries':>9} {'total':>9}  graph")
print("\n".join(rows))
print("\nPopulation coverage (lifecircle along the streets, pandana, difference in pp;"
      " lifecircle in straight lines, its difference from the streets in pp)")
print("\n".join(agree))
print("\nfigures agree (within 1 pp)" if ok else "\nFIGURES DISAGREE (more than 1 pp)")
sys.exit(0 if ok else 1)
EOF
