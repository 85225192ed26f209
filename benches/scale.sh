#!/usr/bin/env bash
# `make bench`, end to end: generates synthetic cities with `lifecircle synth`, runs
# lifecircle (release build) and the GeoPandas peer (benches/peer/coverage.py) on the same
# files, one after the other, and prints wall time, peak memory, per-stage throughput, the
# time ratio and the agreement of the figures. Exits non-zero if the figures disagree.
#
#   benches/scale.sh                     # 1k, 10k, 100k raced; 1M and 100k + 1M demand points alone
#   BENCH_SCALES="1000 10000" BENCH_BIG="" benches/scale.sh
#
# Scales: BENCH_SCALES (raced against the peer), BENCH_BIG (lifecircle only; empty to
# skip), BENCH_DEMAND (communities with 1M demand points, lifecircle only; empty to skip).
# Each scale has a tenth as many facilities per category as communities, in 4 categories
# (BENCH_BIG has a quarter: 1M communities, 1M facilities). lifecircle runs twice per
# scale: summary only (--no-layers --no-gpkg --no-maps --no-report: the coverage and
# summary.json, what the peer computes; this is the race), then with the GeoJSON layers
# (--no-gpkg --no-maps --no-report: gaps, dissolved circles and every layer written).
# Data and outputs go to BENCH_DIR (default $CARGO_TARGET_DIR/bench).
# The peer runs in a virtual environment, PEER_VENV (default ~/.cache/lifecircle/peer-venv),
# created and filled from benches/peer/requirements.txt on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/lifecircle
bench=${BENCH_DIR:-$target/bench}
scales=${BENCH_SCALES-1000 10000 100000}
big=${BENCH_BIG-1000000}
demand=${BENCH_DEMAND-100000}
venv=${PEER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lifecircle/peer-venv}
categories=(market:500 health:1000 fitness:1000 elderly_care:300)
time_v=/usr/bin/time
[ -x "$time_v" ] || { echo "bench: GNU time is needed for peak memory (apt-get install time)"; exit 1; }

cargo build --release --bins
if [ -n "$scales" ]; then
    if [ ! -x "$venv/bin/python" ]; then
        python3 -c "import venv, ensurepip" 2>/dev/null || {
            echo "bench: python3 with venv is needed for the GeoPandas peer (Debian: apt-get install python3-venv)"
            exit 1
        }
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip
    fi
    "$venv/bin/pip" install -q -r benches/peer/requirements.txt
fi
mkdir -p "$bench"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 2^20}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

cat_args=()
for c in "${categories[@]}"; do cat_args+=(--category "$c"); done

# run N FACILITIES DEMAND RACE: generate, run lifecircle, and the peer if RACE.
run() {
    local n=$1 f=$2 d=$3 race=$4 dir=$bench/n$1
    [ "$d" -gt 0 ] && dir=$bench/n$1-demand
    rm -rf "$dir"
    "$bin" -q synth --communities "$n" --facilities "$f" --demand-points "$d" "${cat_args[@]}" --out "$dir"
    local plan=$dir/city.toml
    [ "$d" -gt 0 ] && plan=$dir/city-demand.toml
    echo "== $n communities, $f facilities per category, $d demand points"
    echo "-- summary only"
    "$time_v" -v -o "$dir/lifecircle-summary.time" "$bin" -v run "$plan" --out "$dir/out-summary" \
        --no-layers --no-gpkg --no-maps --no-report > "$dir/lifecircle-summary.txt" 2> "$dir/lifecircle-summary.log"
    grep -E "^lifecircle: " "$dir/lifecircle-summary.log" | grep -v warning || true
    echo "-- with the GeoJSON layers"
    "$time_v" -v -o "$dir/lifecircle.time" "$bin" -v run "$plan" --out "$dir/out" \
        --no-gpkg --no-maps --no-report > "$dir/lifecircle.txt" 2> "$dir/lifecircle.log"
    grep -E "^lifecircle: " "$dir/lifecircle.log" | grep -v warning || true
    if [ "$race" = 1 ]; then
        "$time_v" -v -o "$dir/peer.time" "$venv/bin/python" benches/peer/coverage.py \
            --communities "$dir/communities.geojson" --facilities "$dir/facilities.geojson" \
            "${cat_args[@]}" --out "$dir/peer.json"
    fi
}

names=()
for n in $scales; do run "$n" $((n / 10)) 0 1; names+=("$n"); done
for n in $big; do run "$n" $((n / 4)) 0 0; names+=("$n"); done
for n in $demand; do run "$n" $((n / 10)) 1000000 0; names+=("$n-demand"); done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 benches/peer/compare.py "$bench" "${names[@]}"
