#!/usr/bin/env bash
# Maps at a city's scale: a synthetic city of 10,000 communities in 100 districts near
# Tianjin, one category (market, 1,000 m) with 1,000 facilities, as tests/city_maps.rs.
# Times, best of BENCH_RUNS (wall clock, GNU time for peak memory), of `lifecircle run` with
# only the maps written (--no-layers --no-gpkg --no-report; summaries are always written):
#   the city's map (maps/market.svg and .png at 150 dpi);
#   the same with one map per district (--maps-per-group: 100 more maps).
# Each run's "write" step (-v), which is the drawing, is printed too.
#
#   benches/maps.sh
#   BENCH_MAPS_N=100000 BENCH_RUNS=1 benches/maps.sh
#
# BENCH_NO_BUILD=1 skips `cargo build`. Data and outputs go to BENCH_DIR (default
# $CARGO_TARGET_DIR/bench)/maps-N.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/lifecircle
bench=${BENCH_DIR:-$target/bench}
n=${BENCH_MAPS_N:-10000}
runs=${BENCH_RUNS:-3}
time_v=/usr/bin/time
[ -x "$time_v" ] || { echo "bench: GNU time is needed for peak memory (apt-get install time)"; exit 1; }

[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release --bins
dir=$bench/maps-$n
rm -rf "$dir"
"$bin" synth --communities "$n" --facilities $((n / 10)) --category market:1000 --out "$dir" --quiet
# The districts as groups.
sed -i 's/^households = "households"$/households = "households"\ngroup = "district"/' "$dir/city.toml"

race() {
    local label=$1; shift
    local best="" peak=0 write=""
    for _ in $(seq "$runs"); do
        "$time_v" -f "%e %M" -o "$dir/time" "$bin" run "$dir/city.toml" --out "$dir/out" \
            --no-layers --no-gpkg --no-report -v "$@" 2>"$dir/log" >/dev/null
        read -r wall kib <"$dir/time"
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
            best=$wall
            write=$(grep -o 'write: .* in [0-9.]* s' "$dir/log" | grep -o '[0-9.]* s$' || true)
        fi
        [ "$kib" -gt "$peak" ] && peak=$kib
    done
    printf '%-42s %8s s  %6d MiB  (write %s)\n' "$label" "$best" $((peak / 1024)) "$write"
}

echo "maps of a city of $n communities, 1 category, $((n / 10)) facilities, best of $runs"
race "the city's map" 
race "the city's map and one per district" --maps-per-group
ls "$dir/out/maps/market" | wc -l | xargs printf 'district maps written: %s files\n'
