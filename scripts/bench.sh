#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md, each against its baseline in the same run, and rewrites
# the generated tables of BENCHMARKS.md. Not part of `mvn verify` (which runs a smoke test of each).
#
#   scripts/bench.sh                     # all six, 3 runs each (about 30-40 minutes)
#   scripts/bench.sh --runs=5            # more runs
#   scripts/bench.sh --only=engine,http  # some of: http, engine, waiting, memory, durable, fairness
#   scripts/bench.sh --output=/tmp/b.md  # write the tables there instead of BENCHMARKS.md
#   BENCH_JVM_ARGS="-XX:StartFlightRecording=filename=/tmp/b.jfr,settings=profile" \
#     scripts/bench.sh --only=durable --runs=1 --output=/tmp/b.md   # profile with JFR
#
# Needs Java 17, Maven and wrk (installed here with apt-get when run as root).
set -euo pipefail
here="$PWD"
cd "$(dirname "$0")/.."

runs=3
only=all
output="$PWD/BENCHMARKS.md"
for arg in "$@"; do
  case "$arg" in
    --runs=*) runs="${arg#--runs=}" ;;
    --only=*) only="${arg#--only=}" ;;
    --output=*) output="$(cd "$here" && realpath -m "${arg#--output=}")" ;;
    *) echo "unknown argument: $arg (use --runs=N, --only=a,b, --output=FILE)" >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing wrk (Debian package) for the HTTP benchmark"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
  else
    echo "the HTTP benchmark needs wrk: sudo apt-get install wrk" >&2
    exit 1
  fi
fi

# 10,000 waiting clients hold 10,000 sockets in the server's JVM and as many in the clients'.
need=16384
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
  echo "open files limit is $(ulimit -n); the waiting-clients benchmark needs 12000 or more" \
       "(raise the hard limit: ulimit -Hn)" >&2
  exit 1
fi

command="scripts/bench.sh"
[ $# -gt 0 ] && command="scripts/bench.sh $*"
exec mvn -B -q -Pbench -DskipTests \
  -Dbench.runs="$runs" -Dbench.only="$only" -Dbench.output="$output" \
  -Dbench.command="$command" verify
