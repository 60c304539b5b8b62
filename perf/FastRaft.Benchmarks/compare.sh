#!/usr/bin/env bash
# A/B on a busy machine: runs the profile loop of two builds side by side, several times, and
# prints the median ratio of their CPU time per entry. Running them together exposes both to the
# same load, which a before-then-after pair of timings does not; the ratio is what to read.
#
#   perf/FastRaft.Benchmarks/compare.sh OLD.dll NEW.dll "three 256 16 3000000" [runs]
#
# Build each side with `dotnet build -c Release perf/FastRaft.Benchmarks` (e.g. the old one in a
# `git worktree` of the base commit); the dll is bin/Release/net10.0/FastRaft.Benchmarks.dll.
set -euo pipefail
old=${1:?old FastRaft.Benchmarks.dll} new=${2:?new FastRaft.Benchmarks.dll} args=${3:?profile arguments} runs=${4:-9}
cpu() { sed -E 's/.* ([0-9.]+) ns\/entry CPU.*/\1/' "$1"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
olds=() news=()
for _ in $(seq "$runs"); do
  # shellcheck disable=SC2086
  dotnet "$old" profile $args >"$tmp/old" & a=$!
  # shellcheck disable=SC2086
  dotnet "$new" profile $args >"$tmp/new" & b=$!
  wait "$a" "$b"
  olds+=("$(cpu "$tmp/old")"); news+=("$(cpu "$tmp/new")")
done
python3 - "${olds[*]}" "${news[*]}" "$args" <<'PY'
import statistics, sys
old = [float(x) for x in sys.argv[1].split()]
new = [float(x) for x in sys.argv[2].split()]
r = [b / a for a, b in zip(old, new)]
print(f"{sys.argv[3]}: old median {statistics.median(old):.1f} ns, new median {statistics.median(new):.1f} ns CPU per entry; "
      f"new/old median {statistics.median(r):.3f} (min {min(r):.3f}, max {max(r):.3f})")
PY
