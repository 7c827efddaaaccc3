#!/usr/bin/env bash
# One command for the end-to-end comparison: khz on both engines against the peers of the
# shared harness (../shared/bench: limit, may-minihttp, hyper, axum, actix-web), with wrk and
# h2load, server on CPU 0 and loader on CPU 1. Builds what is missing, then writes the median
# table (and the raw wrk/h2load outputs) to $RESULTS_DIR (default target/peers/).
#
#   benches/peers.sh                          # every peer, ROUNDS=2 alternating rounds
#   ROUNDS=1 SCENARIOS="plaintext pipeline" benches/peers.sh limit khz khz-epoll
#   KHZ_BASELINE=/path/to/old/peer ROUNDS=3 benches/peers.sh khz khz-base khz-epoll khz-base-epoll
#                                             # this build against an earlier one (khz-base*)
#
# env: BENCH_DIR (default ../shared/bench), RESULTS_DIR, plus compare.sh's ROUNDS, DURATION,
# SCENARIOS. Don't build or run anything else meanwhile: both cores are measured.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
export RESULTS_DIR=${RESULTS_DIR:-$ROOT/target/peers}
[ -x "$BENCH_DIR/compare.sh" ] || { echo "no harness at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
if [ $# -eq 0 ]; then set -- limit may hyper axum actix khz khz-epoll; fi
# The shared peers are built only when one of them is asked for.
needs_shared=0
for p in "$@"; do case $p in khz*) ;; *) needs_shared=1 ;; esac; done
if [ $needs_shared = 1 ] && [ ! -x "$BENCH_DIR/peers/target/release/peer-limit" ]; then
  (cd "$BENCH_DIR/peers" && cargo build --release)
fi
cargo build --release --example peer
PEER=$ROOT/target/release/examples/peer
export EXTRA_PEERS="khz|1|0||$PEER;khz-epoll|1|0|KHZ_ENGINE=epoll|$PEER"
if [ -n "${KHZ_BASELINE:-}" ]; then
  [ -x "$KHZ_BASELINE" ] || { echo "KHZ_BASELINE=$KHZ_BASELINE is not an executable" >&2; exit 1; }
  EXTRA_PEERS+=";khz-base|1|0||$KHZ_BASELINE;khz-base-epoll|1|0|KHZ_ENGINE=epoll|$KHZ_BASELINE"
fi
mkdir -p "$RESULTS_DIR"
"$BENCH_DIR/compare.sh" "$@" | tee "$RESULTS_DIR/last-run.txt"
echo "table and raw outputs: $RESULTS_DIR" >&2
