#!/usr/bin/env bash
# Builds the load balancer request fuzzer with clang's libFuzzer and runs it.
#   fuzz/run.sh [RUNS]      (default 10,000,000 inputs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000000}
out=build-fuzz
mkdir -p "$out/corpus"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -DBOOST_ASIO_NO_DEPRECATED -DBOOST_ENABLE_ASSERT_HANDLER -Isrc \
  fuzz/lb_request_fuzzer.cc src/lb/rules.cc src/base/percent.cc \
  -o "$out/lb_request_fuzzer"
# Seeds: a few well-formed and hostile requests. The first byte sets the size of the pieces
# the rest is fed in (byte + 1), as reads would deliver it.
printf '\x07GET /api/a?x=1 HTTP/1.1\r\nHost: www.example.com\r\n\r\n' > "$out/corpus/get"
printf '\xffPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' > "$out/corpus/clte"
printf '\x02POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' > "$out/corpus/chunked"
printf '\x00GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n' > "$out/corpus/obsfold"
printf '\x10GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.0\r\n\r\n' > "$out/corpus/pipelined"
"$out/lb_request_fuzzer" -runs="$runs" -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus"
