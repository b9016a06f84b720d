#!/usr/bin/env bash
# Integration test (ctest label netns), issue 12 #2 and #6. Bodies: a 50 MB
# chunked POST without a token is answered 401 and one with a token 413, a
# declared 10 MB body 413, and edgesfu's memory does not grow by the bodies.
# Slowloris against the signalling port: 100 connections from one address (198.18.0.3, added to the
# client namespace) send half a request and then a byte a second: the 36 over
# the per-source cap of 64 are cut at once, the other 64 when their request
# has not arrived within the 10 s deadline. Meanwhile a client at another
# address is answered at once (GET /, a WHIP POST), and nothing is left
# half-closed afterwards.
#
# usage: netns_http_limits.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
BASE=http://198.18.0.2:7880

# Under ASan, freed memory waits in a quarantine (256 MB by default) and
# counts in RSS: turn it off here so that RSS shows what is kept. Always,
# not only when tools/test set ASAN_OPTIONS (ctest run by hand on an ASan
# build); a build without ASan ignores it.
esfu_wrap=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0")
start_topology_and_edgesfu
iface=$(ip -n "$P-wire" -o -4 addr show | awk '/198\.18\.0\.1\// {print $2}')
[[ -n $iface ]] || fail "no client interface"
ip -n "$P-wire" addr add 198.18.0.3/24 dev "$iface" || fail "second client address"

step "large bodies are refused from their headers and never kept"
rss() { awk '/^VmHWM/ {print $2}' "/proc/$esfu_pid/status"; }  # peak RSS
TOK=$(mint --room limits --identity legit)
before=$(rss)
code=$(head -c 50000000 /dev/zero | in_wire curl -s -m 60 -o "$work/body" -w '%{http_code}' -X POST \
  -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/sdp' --data-binary @- "$BASE/whip/limits")
[[ $code == 401 ]] || fail "50 MB chunked POST without a token: HTTP $code $(head -c 200 "$work/body")"
code=$(head -c 50000000 /dev/zero | in_wire curl -s -m 60 -o "$work/body" -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $TOK" -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/sdp' \
  --data-binary @- "$BASE/whip/limits")
[[ $code == 413 ]] || fail "50 MB chunked POST with a token: HTTP $code $(head -c 200 "$work/body")"
head -c 10000000 /dev/zero > "$work/ten"
code=$(in_wire curl -s -m 60 -o "$work/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" \
  -H 'Content-Type: application/sdp' --data-binary @"$work/ten" "$BASE/whip/limits")
[[ $code == 413 ]] || fail "declared 10 MB body: HTTP $code $(head -c 200 "$work/body")"
after=$(rss)
echo "   401, 413, 413; peak RSS ${before} kB -> ${after} kB"
((after - before < 30000)) || fail "peak RSS grew by $((after - before)) kB: a body was kept"

step "slowloris: 100 connections from 198.18.0.3 for 16 s"
in_wire /usr/bin/python3 "$src/tests/attack/slowloris.py" 198.18.0.2 7880 198.18.0.3 100 16 \
  > "$work/slow.json" 2> "$work/slow.err" &
slow_pid=$!
helpers+=("$slow_pid")
sleep 3

step "another client is served during the attack"
# Timed by curl: the requests, not this script's own start-ups.
TOK=$(mint --room limits --identity legit)
read -r code t1 < <(in_wire curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' "$BASE/")
[[ $code == 200 ]] || fail "GET / during the attack: HTTP $code"
read -r code t2 < <(in_wire curl -s -m 5 -o "$work/body" -w '%{http_code} %{time_total}' -X POST \
  -H "Authorization: Bearer $TOK" -H 'Content-Type: application/sdp' \
  --data-binary @"$src/tests/integration/offer_opus.sdp" "$BASE/whip/limits")
[[ $code == 201 ]] || fail "WHIP during the attack: HTTP $code $(cat "$work/body")"
ms=$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%d", (a + b) * 1000}')
echo "   GET / and WHIP POST answered in $ms ms"
((ms < 2000)) || fail "signalling took $ms ms during the attack"

wait "$slow_pid" || fail "slowloris.py failed: $(cat "$work/slow.err")"
cat "$work/slow.json"
/usr/bin/python3 - "$work/slow.json" <<'PY' || fail "the slow connections were not all cut in time"
import json, sys
r = json.load(open(sys.argv[1]))
t = r["close_s"]
assert r["opened"] == 100, r
assert r["closed"] == 100, "closed %d of 100" % r["closed"]
assert sum(1 for x in t if x < 2) >= 36, "over-cap connections not cut at once: %s" % t
assert max(t) <= 13, "a slow connection outlived the 10 s deadline: %s" % t
PY
grep -q 'more than 64 connections open' "$work/err" || fail "the per-source cap was not logged"
grep -q 'did not arrive within 10000 ms' "$work/err" || fail "the request deadline was not logged"
sleep 0.5
waiting=$(ip netns exec "$P-app" ss -Htn state close-wait '( sport = :7880 )' | wc -l)
[[ $waiting -eq 0 ]] || fail "$waiting connections in CLOSE-WAIT"

stop_edgesfu
bash "$topo" down "$P" > /dev/null
assert_nothing_left
echo "PASS"
