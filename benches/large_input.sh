#!/usr/bin/env bash
# Reads a generated ~1 GB GeoJSON facility layer and reports peak memory, to show that
# lifecircle streams its input: memory follows the parsed geometry, not the text.
#
#   benches/large_input.sh [SIZE_MB]      (default 1024; needs python3 and GNU time)
#
# The layer holds points with a long `description` property each (about 2 KB of text
# per feature), so the text is ~20x the size of what lifecircle keeps per facility. One
# facility in 10,000 is a market, the category measured: this is about reading.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${CARGO_TARGET_DIR:-target}/release/lifecircle
cargo build --release --bins >/dev/null

python3 - "$work" "$size_mb" <<'PY'
import json, random, sys
work, size_mb = sys.argv[1], int(sys.argv[2])
random.seed(7)
x0, y0 = 117.70, 39.04
with open(f"{work}/communities.geojson", "w") as f:
    feats = []
    for i in range(10):
        for j in range(10):
            x, y = x0 + i * 0.005, y0 + j * 0.004
            ring = [[x, y], [x + 0.004, y], [x + 0.004, y + 0.003], [x, y + 0.003], [x, y]]
            feats.append({"type": "Feature", "properties": {"id": f"c{i}-{j}", "population": 1000},
                          "geometry": {"type": "Polygon", "coordinates": [ring]}})
    json.dump({"type": "FeatureCollection", "features": feats}, f)
filler = "lorem ipsum dolor sit amet " * 75
target = size_mb * 1024 * 1024
n = 0
with open(f"{work}/facilities.geojson", "w") as f:
    f.write('{"type":"FeatureCollection","features":[\n')
    written = 0
    while written < target:
        x, y = x0 + random.random() * 0.05, y0 + random.random() * 0.04
        category = "market" if n % 10000 == 0 else "shop"  # measure few: this is about reading
        line = json.dumps({"type": "Feature", "properties": {"id": f"f{n}", "category": category,
                           "description": filler}, "geometry": {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]}})
        f.write(("," if n else "") + line + "\n")
        written += len(line) + 2
        n += 1
    f.write("]}\n")
print(f"facilities.geojson: {n} features, {written / 2**20:.0f} MB")
PY

/usr/bin/time -v "$bin" -q cover --communities "$work/communities.geojson" \
    --facilities "$work/facilities.geojson" --category market --radius 300 \
    --out "$work/out" 2> "$work/time.txt"
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$work/time.txt"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
echo "peak memory: $((rss_kb / 1024)) MB for a ${size_mb} MB input"
