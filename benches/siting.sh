#!/usr/bin/env bash
# Siting, raced: random maximal-covering instances (benches/peer/siting_instance.py: demand
# clustered like a city over 20 x 20 km, candidates and existing sites uniform),
# solved by lifecircle (`lifecircle site`, release build, summary only) and, where it can
# finish, by spopt's MCLP with PuLP/CBC (benches/peer/siting.py, 600 s time limit), on the
# same CSV files. Prints wall time, peak memory, the people covered by each, lifecircle's
# upper bound and whether it proved its answer.
#
#   benches/siting.sh                               # every scale
#   BENCH_SITING_SCALES="20k 1m" benches/siting.sh
#
# Scales (demand points / candidates / existing sites / K):
#   20k: 20,000 / 500 / 20 / 10, 1,000 m          peer runs
#   50k: 50,000 / 1,000 / 50 / 20, 1,000 m        peer runs (the largest it solves in 10 min)
#   1m:  1,000,000 / 10,000 / 200 / 100, 500 m    lifecircle only (the peer's model would
#        not fit; at 1,000 m 100 sites reach everyone)
# The instance is a plane in metres; lifecircle reads it through a transverse Mercator
# with scale 1 at its origin (+proj=tmerc +lat_0=39 +lon_0=117 +k=1), declared as both the
# layers' CRS and the working CRS, so distances are the plane's to well under a millimetre.
# Data goes to BENCH_DIR (default $CARGO_TARGET_DIR/bench). The peer runs in a virtual
# environment, PEER_SITING_VENV (default ~/.cache/lifecircle/siting-peer-venv), filled from
# benches/peer/siting-requirements.txt on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/lifecircle
bench=${BENCH_DIR:-$target/bench}
scales=${BENCH_SITING_SCALES-20k 50k 1m}
venv=${PEER_SITING_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lifecircle/siting-peer-venv}
time_v=/usr/bin/time
[ -x "$time_v" ] || { echo "bench: GNU time is needed for peak memory (apt-get install time)"; exit 1; }
plane="+proj=tmerc +lat_0=39 +lon_0=117 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"

cargo build --release --bins
if [ ! -x "$venv/bin/python" ]; then
    python3 -c "import venv, ensurepip" 2>/dev/null || {
        echo "bench: python3 with venv is needed for the spopt peer (Debian: apt-get install python3-venv)"
        exit 1
    }
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q -r benches/peer/siting-requirements.txt
mkdir -p "$bench"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 2^20}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

dirs=()
for scale in $scales; do
    case $scale in
        20k) n=20000 c=500 e=20 k=10 r=1000 peer=1 ;;
        50k) n=50000 c=1000 e=50 k=20 r=1000 peer=1 ;;
        1m) n=1000000 c=10000 e=200 k=100 r=500 peer=0 ;;
        *) echo "bench: unknown scale $scale (20k, 50k, 1m)"; exit 1 ;;
    esac
    dir=$bench/siting-$scale
    rm -rf "$dir"
    "$venv/bin/python" benches/peer/siting_instance.py --demand $n --candidates $c --existing $e \
        --k $k --radius $r --seed 1 --out "$dir"
    echo "== $scale: $n demand points, $c candidates, $e existing sites, K = $k, $r m"
    "$time_v" -v -o "$dir/lifecircle.time" "$bin" -v site \
        --demand "$dir/demand.csv" --demand-crs "$plane" --demand-weight weight \
        --facilities "$dir/existing.csv" --facilities-crs "$plane" --all-facilities \
        --category site --radius $r --basis population --work-crs "$plane" \
        --candidates "$dir/candidates.csv" --candidates-crs "$plane" --add $k --no-curve \
        --no-layers --no-gpkg --no-maps --no-report --out "$dir/out" \
        > "$dir/lifecircle.txt" 2> "$dir/lifecircle.log"
    grep -E "^lifecircle: " "$dir/lifecircle.log" | grep -v warning || true
    if [ "$peer" = 1 ]; then
        "$time_v" -v -o "$dir/peer.time" "$venv/bin/python" benches/peer/siting.py "$dir" \
            --out "$dir/peer.json" > "$dir/peer.txt" 2> "$dir/peer.log" || true
    fi
    dirs+=("$dir")
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "${dirs[@]}" <<'PY'
import json, os, re, sys

def time_v(path):
    """Wall seconds and peak RSS (MiB) from a GNU time -v log."""
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    return seconds, int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024

ok = True
print(f"{'scale':<8}{'who':<12}{'wall s':>9}{'peak MiB':>10}{'covered':>13}{'bound':>13}  status")
for d in sys.argv[1:]:
    scale = os.path.basename(d).removeprefix("siting-")
    s = json.load(open(os.path.join(d, "out", "summary.json")))["siting"][0]
    secs, rss = time_v(os.path.join(d, "lifecircle.time"))
    status = "proven optimal" if s["proven_optimal"] else f"gap {s['gap']:.0f}"
    print(f"{scale:<8}{'lifecircle':<12}{secs:>9.1f}{rss:>10.0f}{s['population_covered_after']:>13.0f}"
          f"{s['upper_bound_population']:>13.0f}  {status}, {s['swaps']} swaps")
    peer_path = os.path.join(d, "peer.json")
    if os.path.exists(peer_path):
        p = json.load(open(peer_path))
        psecs, prss = time_v(os.path.join(d, "peer.time"))
        bound = p.get("best_bound") or 0
        print(f"{'':<8}{'spopt+CBC':<12}{psecs:>9.1f}{prss:>10.0f}{p.get('covered', 0):>13.0f}"
              f"{bound:>13.0f}  {p.get('status')}")
        if p.get("status") == "optimal" and s["population_covered_after"] > p["covered"] + 0.5:
            print(f"bench: lifecircle covers more than the proven optimum at {scale}")
            ok = False
        if s["upper_bound_population"] + 0.5 < p.get("covered", 0):
            print(f"bench: lifecircle's bound is below what the peer reached at {scale}")
            ok = False
        print(f"{'':<8}time ratio {psecs / secs:.0f}x, coverage {s['population_covered_after'] - p.get('covered', 0):+.0f} people")
sys.exit(0 if ok else 1)
PY
