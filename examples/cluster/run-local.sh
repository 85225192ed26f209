#!/usr/bin/env bash
# The tiles of one study on this machine, one after another, then the merge: what a job
# array does on a cluster, with a loop standing in for the scheduler.
#
#   examples/cluster/run-local.sh CONFIG N OUT
#
# Writes the partial results to OUT.parts/K/part-K-of-N.json and the merged outputs (the
# same files one `lifecircle run` writes) to OUT. LIFECIRCLE names the binary (default:
# lifecircle on PATH); LIFECIRCLE_FLAGS are passed to every call (e.g. "-q --no-maps").
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: $0 CONFIG N OUT" >&2
    exit 2
fi
config=$1 tiles=$2 out=$3
bin=${LIFECIRCLE:-lifecircle}
# shellcheck disable=SC2086 # the flags are words
for k in $(seq 1 "$tiles"); do
    "$bin" run "$config" --tile "$k/$tiles" --out "$out.parts/$k" ${LIFECIRCLE_FLAGS:-}
done
# shellcheck disable=SC2086
"$bin" merge "$out.parts"/* --out "$out" ${LIFECIRCLE_FLAGS:-}
