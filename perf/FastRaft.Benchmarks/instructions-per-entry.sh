#!/usr/bin/env bash
# Instructions executed per entry for one workload, counted by valgrind (callgrind), so the
# figure does not depend on how loaded the machine is. Two runs that differ only in the number
# of entries are subtracted, which cancels start-up and JIT. Tiered compilation is off so both
# runs execute the same fully optimized code (no PGO: absolute figures are a little higher than
# what the tiered JIT reaches; use them to compare changes, not as timings).
#
#   perf/FastRaft.Benchmarks/instructions-per-entry.sh single 1 16
#   perf/FastRaft.Benchmarks/instructions-per-entry.sh three-batch 256 16
set -euo pipefail
kind=${1:?single|three|three-batch} batch=${2:?batch} payload=${3:?payload bytes}
small=${SMALL:-20480} large=${LARGE:-61440}
here=$(cd "$(dirname "$0")" && pwd)
dotnet build -c Release "$here" >/dev/null
dll="$here/bin/Release/net10.0/FastRaft.Benchmarks.dll"
count() {
  DOTNET_TC_CallCountingDelayMs=0 DOTNET_EnableWriteXorExecute=0 \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null dotnet "$dll" profile "$kind" "$batch" "$payload" "$1" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count "$small")
b=$(count "$large")
# The profile loop runs its entry count twice (warm-up, then measured).
echo "$kind batch=$batch payload=$payload: $(( (b - a) / (2 * (large - small)) )) instructions per entry"
