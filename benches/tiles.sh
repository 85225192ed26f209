#!/usr/bin/env bash
# Tiles against one run: a synthetic city of N communities (default 1,000,000, with a
# quarter as many facilities in each of 4 categories, as benches/scale.sh's big city) run
# once whole, then as T tiles (default 8) one after another with `run --tile K/T`, then
# `merge`. Prints each step's wall time and peak memory (GNU time), the sum of the tiles
# plus the merge against the whole run, the longest tile (what a job array of T workers
# waits for), and checks that the merged summary.json equals the whole run's to 1e-9.
#
#   benches/tiles.sh
#   BENCH_TILES_N=100000 BENCH_TILES=4 benches/tiles.sh
#
# PRODUCTS: flags for every run (default: summaries only, "--no-layers --no-gpkg --no-maps
# --no-report"; "--no-gpkg --no-maps --no-report" adds the GeoJSON layers).
# BENCH_NO_BUILD=1 skips `cargo build`. Data and outputs go to BENCH_DIR (default
# $CARGO_TARGET_DIR/bench)/tiles-N.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/lifecircle
bench=${BENCH_DIR:-$target/bench}
n=${BENCH_TILES_N:-1000000}
tiles=${BENCH_TILES:-8}
products=${PRODUCTS:---no-layers --no-gpkg --no-maps --no-report}
time_v=/usr/bin/time
[ -x "$time_v" ] || { echo "bench: GNU time is needed for peak memory (apt-get install time)"; exit 1; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bins

dir=$bench/tiles-$n
mkdir -p "$dir"
if [ ! -f "$dir/city/city.toml" ]; then
    "$bin" -q synth --communities "$n" --facilities $((n / 4)) \
        --category market:500 --category health:1000 --category fitness:1000 \
        --category elderly_care:300 --out "$dir/city"
fi
rm -rf "$dir/whole" "$dir/parts" "$dir/merged"
echo "machine: $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $n communities, $((n / 4)) facilities x 4 categories; $tiles tiles; products: $products"

# Wall seconds and peak MiB of one timed command: "S MiB".
timed() {
    local log=$1
    shift
    # shellcheck disable=SC2086 # the products are words
    "$time_v" -f "%e %M" -o "$log" "$@" >/dev/null
    awk '{printf "%.2f %.0f\n", $1, $2 / 1024}' "$log"
}
# shellcheck disable=SC2086
read -r whole_s whole_mib < <(timed "$dir/whole.time" "$bin" -q run "$dir/city/city.toml" --out "$dir/whole" $products)
printf "%-22s %8.2f s %7d MiB\n" "whole run" "$whole_s" "$whole_mib"
sum=0 longest=0
for k in $(seq 1 "$tiles"); do
    # shellcheck disable=SC2086
    read -r s mib < <(timed "$dir/tile-$k.time" "$bin" -q run "$dir/city/city.toml" --tile "$k/$tiles" --out "$dir/parts/$k" $products)
    printf "%-22s %8.2f s %7d MiB  (part %s)\n" "tile $k/$tiles" "$s" "$mib" "$(du -h "$dir/parts/$k" | cut -f1)"
    sum=$(echo "$sum + $s" | bc)
    longest=$(echo "if ($s > $longest) $s else $longest" | bc)
done
# shellcheck disable=SC2086
read -r merge_s merge_mib < <(timed "$dir/merge.time" "$bin" -q merge "$dir"/parts/* --out "$dir/merged" $products)
printf "%-22s %8.2f s %7d MiB\n" "merge" "$merge_s" "$merge_mib"
total=$(echo "$sum + $merge_s" | bc)
echo "tiles one after another + merge: $total s = $(echo "scale=2; $total / $whole_s" | bc)x the whole run"
echo "on a job array of $tiles workers: longest tile + merge = $(echo "$longest + $merge_s" | bc) s = $(echo "scale=2; ($longest + $merge_s) / $whole_s" | bc)x"
python3 - "$dir/whole/summary.json" "$dir/merged/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
def walk(x, y, path):
    if isinstance(x, dict):
        for k in set(x) | set(y):
            if k not in x or k not in y:
                bad.append(f"{path}.{k} in one only")
            else:
                walk(x[k], y[k], f"{path}.{k}")
    elif isinstance(x, list):
        if len(x) != len(y):
            bad.append(f"{path}: {len(x)} against {len(y)} items")
        for i, (u, v) in enumerate(zip(x, y)):
            walk(u, v, f"{path}[{i}]")
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        if abs(x - y) > 1e-9 * max(1.0, abs(x)):
            bad.append(f"{path}: {x} against {y}")
    elif x != y:
        bad.append(f"{path}: {x!r} against {y!r}")
walk(a, b, "")
print("merged summary.json equals the whole run's (1e-9):", "yes" if not bad else "NO")
for line in bad[:20]:
    print("  ", line)
sys.exit(1 if bad else 0)
PY
