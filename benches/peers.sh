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
#   H3=1 benches/peers.sh                     # HTTP/3 session: salvo h3raw khz khz-epoll, scenarios
#                                             # h3 (oha) + h2tls (h2load over TLS), the peer built
#                                             # with --features http3 (needs oha, see below;
#                                             # a KHZ_BASELINE must have been built so too)
#
# env: BENCH_DIR (default ../shared/bench), RESULTS_DIR, H3, plus compare.sh's ROUNDS, DURATION,
# SCENARIOS. Don't build or run anything else meanwhile: both cores are measured.
# H3=1 needs `oha` built with HTTP/3 on PATH (`nice cargo install oha --locked --features http3`,
# ~7 min; not installed by this script) and openssl (run.sh makes the certificate).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
export RESULTS_DIR=${RESULTS_DIR:-$ROOT/target/peers}
[ -x "$BENCH_DIR/compare.sh" ] || { echo "no harness at $BENCH_DIR (set BENCH_DIR)" >&2; exit 1; }

export H3=${H3:-0}
if [ "$H3" = 1 ] && ! command -v oha >/dev/null 2>&1; then
  echo "H3=1 needs oha with HTTP/3: nice cargo install oha --locked --features http3" >&2; exit 1
fi
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
if [ $# -eq 0 ]; then
  if [ "$H3" = 1 ]; then set -- salvo h3raw khz khz-epoll; else set -- limit may hyper axum actix khz khz-epoll; fi
fi
# The shared peers are built only when one of them is asked for.
needs_shared=0
for p in "$@"; do case $p in khz*) ;; *) needs_shared=1 ;; esac; done
SHARED_BIN=$BENCH_DIR/peers/target/release
if [ $needs_shared = 1 ] && { [ ! -x "$SHARED_BIN/peer-limit" ] || [ ! -x "$SHARED_BIN/peer-salvo" ]; }; then
  (cd "$BENCH_DIR/peers" && cargo build --release)
fi
# HTTP/3 session: the peer also serves HTTP/3 on UDP $PORT when run.sh gives it TLS_CERT/TLS_KEY
# (6th field `1`: it stays a plain HTTP/1.1 + h2c peer in other sessions).
FEATURES=(); H3_FIELD=
if [ "$H3" = 1 ]; then FEATURES=(--features http3); H3_FIELD='|1'; fi
cargo build --release --example peer "${FEATURES[@]}"
PEER=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/peer
export EXTRA_PEERS="khz|1|0||$PEER$H3_FIELD;khz-epoll|1|0|KHZ_ENGINE=epoll|$PEER$H3_FIELD"
if [ -n "${KHZ_BASELINE:-}" ]; then
  [ -x "$KHZ_BASELINE" ] || { echo "KHZ_BASELINE=$KHZ_BASELINE is not an executable" >&2; exit 1; }
  EXTRA_PEERS+=";khz-base|1|0||$KHZ_BASELINE$H3_FIELD;khz-base-epoll|1|0|KHZ_ENGINE=epoll|$KHZ_BASELINE$H3_FIELD"
fi
mkdir -p "$RESULTS_DIR"
"$BENCH_DIR/compare.sh" "$@" | tee "$RESULTS_DIR/last-run.txt"
echo "table and raw outputs: $RESULTS_DIR" >&2
