#!/usr/bin/env bash
# Instructions executed per entry for one workload, counted by valgrind (callgrind), so the
# figure does not depend on how loaded the machine is. Two runs that differ only in the number
# of measured entries (after the same fixed warm-up) are subtracted, which cancels start-up,
# warm-up and JIT. Use the figures to compare changes; under valgrind the JIT may not produce
# quite the code it produces natively.
#
#   perf/FastRaft.Benchmarks/instructions-per-entry.sh single 1 16
#   perf/FastRaft.Benchmarks/instructions-per-entry.sh three-batch 256 16
set -euo pipefail
kind=${1:?single|three|three-batch} batch=${2:?batch} payload=${3:?payload bytes}
small=${SMALL:-65536} large=${LARGE:-196608}
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
echo "$kind batch=$batch payload=$payload: $(( (b - a) / (large - small) )) instructions per entry"
