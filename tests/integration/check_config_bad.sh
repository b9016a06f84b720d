#!/usr/bin/env bash
# edgesfu refuses a bad config before starting anything: exit status 2 and the
# key path on stderr, for --check-config and for --config alike.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'dataplane:\n  burst: 0\n  wire: {vdev: net_null0}\n  exception: {iface: t0}\n' > "$tmp/bad.yaml"
fail=0
for mode in --check-config --config; do
  "$bin" "$mode" "$tmp/bad.yaml" 2> "$tmp/err"
  rc=$?
  if [[ $rc -ne 2 ]]; then echo "FAIL: $mode exited $rc, want 2"; fail=1; fi
  if ! grep -q 'dataplane.burst: 0 is out of range' "$tmp/err"; then
    echo "FAIL: $mode stderr lacks the key path:"; cat "$tmp/err"; fail=1
  fi
done
"$bin" --check-config /nonexistent.yaml 2>/dev/null; rc=$?
[[ $rc -eq 2 ]] || { echo "FAIL: missing file exited $rc, want 2"; fail=1; }
"$bin" --bogus 2>/dev/null; rc=$?
[[ $rc -eq 2 ]] || { echo "FAIL: bad flag exited $rc, want 2"; fail=1; }
exit $fail
