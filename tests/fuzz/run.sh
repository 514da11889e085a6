#!/usr/bin/env bash
# run.sh "TARGET..." [libFuzzer arguments]: runs each fuzz target (the Makefile's FUZZ_TARGETS)
# over a corpus seeded with real inputs: the scenarios for the loader, the evidence captured in
# tests/fixtures for the parsers, the scenarios with every settable key for the emitter. The
# arguments after the list go to libFuzzer (-max_total_time=N or -runs=N). Ends with "fuzz: N
# passed, N failed" (a target passes when it found no crash, hang or leak); the executions of
# each are printed and kept in build/fuzz/stats.tsv. tests/fuzz/regressions/<target>-* are
# inputs that once crashed a target; they seed its corpus, so every run tries them first.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
B=build/fuzz
targets=${1:?usage: run.sh \"TARGET...\" [libFuzzer arguments]}
shift
pass=0 fail=0
seed() { # seed TARGET FILE...: copy the seeds into the target's corpus
  local t=$1; shift
  mkdir -p "$B/corpus_$t"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$B/corpus_$t/seed-$(echo "$f" | tr '/' '_')"; done
}
seed scn scenarios/*.yaml tests/e2e/scenarios/*.yaml bench/scenarios/*.yaml
seed tsan tests/fixtures/*/tsan.*
seed asan tests/fixtures/*/asan.*
seed stderr tests/fixtures/*/stderr.txt
seed faulthandler tests/fixtures/*/faulthandler.txt
seed gdb tests/fixtures/*/gdb.txt
seed events tests/fixtures/*/events.jsonl
# the events target also reads TSan reports from its input (races marked against "shared" lines):
# one seed holds both, a log and its run's events
cat tests/fixtures/tsan_shared_buffer/tsan.* tests/fixtures/tsan_shared_buffer/events.jsonl >"$B/corpus_events/seed-shared-buffer"
seed pystacks tests/fixtures/*/tsan.* tests/fixtures/*/pystack.txt
for t in $targets; do
  seed "$t" tests/fuzz/regressions/"$t"-*
done
# A target with a source of its own (the emitter, the command line) writes its seeds and its
# dictionary itself, from the tables it fuzzes (the settable keys, the options); -runs=0 keeps a
# target that does not know FUZZ_SEEDS from fuzzing on.
for t in $targets; do
  [ -f "tests/fuzz/fuzz_$t.c" ] || continue
  mkdir -p "$B/corpus_$t"
  if ! FUZZ_SEEDS="$B/corpus_$t" "$B/fuzz_$t" -runs=0 >"$B/seeds_$t.log" 2>&1 ||
     [ -z "$(ls -A "$B/corpus_$t")" ]; then
    printf 'FAIL fuzz_%s: it wrote no seeds (log: %s)\n' "$t" "$B/seeds_$t.log"
    exit 1
  fi
done
: >"$B/stats.tsv"
for t in $targets; do
  log="$B/fuzz_$t.log"
  extra=()
  [ -f "$B/$t.dict" ] && extra+=("-dict=$B/$t.dict")
  # -artifact_prefix keeps crash inputs in build/fuzz/; -rss_limit_mb bounds a runaway input.
  if "$B/fuzz_$t" "$B/corpus_$t" -artifact_prefix="$B/crash_${t}_" -print_final_stats=1 -rss_limit_mb=2048 \
      -timeout=10 "${extra[@]}" "$@" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    printf 'PASS fuzz_%s: %s executions, no crash, hang or leak\n' "$t" "$execs"
    printf '%s\t%s\t%s\n' "$t" "$execs" "$*" >>"$B/stats.tsv"
    pass=$((pass + 1))
  else
    printf 'FAIL fuzz_%s (log: %s)\n' "$t" "$log"
    grep -E 'ERROR|SUMMARY|Test unit written|^fuzz_' "$log" | head -n 5 | sed 's/^/    /'
    fail=$((fail + 1))
  fi
done
printf 'fuzz: %d passed, %d failed\n' "$pass" "$fail"
[ $fail -eq 0 ]
