#!/usr/bin/env python3
"""LiveKit signalling figures of edgesfu's /rtc/v1 from a raw WebSocket client
(no SDK, no media: the signalling path alone), for bench/livekit:

  join   N sequential connections: request sent -> 101 -> JoinResponse frame,
         milliseconds (each with its own identity and token)
  pings  one connection sends M ping_req (SignalRequest 16) back to back and
         reads the M pong_resp: signalling messages per second the slow path
         answers on one connection

usage: livekit_signal.py HOST PORT SECRET ROOM JOINS PINGS   (prints one JSON line)
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "livekit"))
from lk_raw import PING, PONG_TAG, Ws as RawWs, token  # noqa: E402  tests/livekit/lk_raw.py

host, port, secret, room = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
joins, pings = int(sys.argv[5]), int(sys.argv[6])


def Ws(identity):  # noqa: N802 (kept the old name: a connection for `identity`)
    return RawWs(host, port, token(secret, room, identity))


def stats(v):
    v = sorted(v)
    return {"p50": statistics.median(v), "p95": v[min(len(v) - 1, int(0.95 * len(v)))],
            "min": v[0], "max": v[-1], "n": len(v)}


join_ms = []
for i in range(joins):
    t0 = time.perf_counter()
    ws = Ws(f"sig-{i}")
    ws.frame()  # the JoinResponse
    join_ms.append((time.perf_counter() - t0) * 1000)
    ws.close()

ws = Ws("pinger")
ws.frame()
t0 = time.perf_counter()
sent = 0
got = 0
while sent < pings:
    batch = min(500, pings - sent)
    ws.send(PING, batch)
    sent += batch
    while got < sent - 1000:  # keep at most ~1000 in flight
        if ws.frame()[:2] == PONG_TAG:
            got += 1
while got < pings:
    if ws.frame()[:2] == PONG_TAG:
        got += 1
secs = time.perf_counter() - t0
ws.close()
print(json.dumps({"join_ms": stats(join_ms), "pings": pings, "ping_seconds": secs,
                  "pongs_per_second": pings / secs}))
