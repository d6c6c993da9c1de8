#!/usr/bin/env bash
# The benchmark suite (README "Benchmark"): throughput and time to first token (gateway SSE vs java-llama.cpp direct,
# 1-8 streams, the bundled and a random 35M model), gateway overhead proxying a loopback upstream, cold start and RSS.
# Writes target/bench/results.md (+ one .json per benchmark) and target/bench/throughput.png. Takes ~5-6 minutes.
#   ./bench.sh             run, results in target/bench/
#   ./bench.sh --publish   also copy them to docs/bench-results.md and docs/bench.png (do this on a quiet machine)
# Extra arguments go to Maven, e.g. -Dbench.rounds=9 -Dbench.tokens=512.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

publish=false
if [[ "${1:-}" == "--publish" ]]; then
  publish=true
  shift
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rm -rf target/bench
./mvnw -B test -Dbench=true -Dtest='ThroughputBenchmark,ProxyBenchmark,StartupBenchmark' \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"

{
  echo "# Benchmark results"
  echo
  echo "Measured $(date -u +'%Y-%m-%d %H:%M UTC') with \`./bench.sh\` on $(nproc) cores ($(uname -m)," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average before the run:" \
    "$load_before)."
  echo
  cat target/bench/throughput.md target/bench/proxy.md target/bench/startup.md
} > target/bench/results.md
echo "Wrote target/bench/results.md and target/bench/throughput.png"

if $publish; then
  mkdir -p docs
  sed 's/(throughput.png)/(bench.png)/' target/bench/results.md > docs/bench-results.md
  cp target/bench/throughput.png docs/bench.png
  echo "Published docs/bench-results.md and docs/bench.png"
fi
