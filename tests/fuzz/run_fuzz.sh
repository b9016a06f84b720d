#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time (ctest label fuzz): first every
# kept crash reproducer in crashers/<name>/ (they must no longer crash), then
# fuzzing from the kept corpus (corpus/<name>, minimised by tools/fuzz) and
# the seeds, new inputs going to a scratch corpus in the build tree.
#
# usage: run_fuzz.sh BINARY NAME SOURCE_FUZZ_DIR SCRATCH_DIR SECONDS
set -euo pipefail
bin=$1 name=$2 dir=$3 scratch=$4 secs=$5
mkdir -p "$scratch/$name" "$scratch/$name-artifacts"
if compgen -G "$dir/crashers/$name/*" > /dev/null; then
  "$bin" "$dir"/crashers/"$name"/*
fi
kept=()
[[ -d $dir/corpus/$name ]] && kept=("$dir/corpus/$name")
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$scratch/$name-artifacts/" "$scratch/$name" "${kept[@]}" "$dir/seeds/$name"
