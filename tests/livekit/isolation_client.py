#!/usr/bin/env python3
"""Raw-WebSocket parts of the isolation tests (issue 16 #4), one JSON line out.

  isolation_client.py HOST PORT SECRET ROOM MODE SECONDS

  ping     the healthy participant: ping_req every 50 ms on its own
           connection, the round trip to its pong_resp measured (other frames
           skipped); {n, p50_ms, p99_ms, max_ms, lost}
  garbage  the misbehaving one: frames that are no SignalRequest as fast as
           it can (random bytes, protobuf with lengths past the end, unknown
           fields, empty frames), reconnecting when closed; {sent, reconnects}
  sockets  the misbehaving one: WebSockets with its one token, opened in a
           loop and held unread (each new one replaces the last session of
           that identity; past the HTTP guard's per-source cap they are
           refused); {opened, refused}
"""
import json
import os
import random
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lk_raw import PING, PONG_TAG, Ws, token  # noqa: E402

host, port, secret, room, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
seconds = float(sys.argv[6])
end = time.monotonic() + seconds


def ping():
    ws = Ws(host, port, token(secret, room, "healthy-pinger"))
    ws.frame()  # the JoinResponse
    ws.s.settimeout(1.0)
    rtts, lost = [], 0
    while time.monotonic() < end:
        t0 = time.perf_counter()
        ws.send(PING)
        try:
            while ws.frame()[:2] != PONG_TAG:
                pass
            rtts.append((time.perf_counter() - t0) * 1000)
        except socket.timeout:
            lost += 1  # no answer within a second
        time.sleep(max(0.0, 0.05 - (time.perf_counter() - t0)))
    ws.close()
    rtts.sort()
    return {"n": len(rtts), "lost": lost, "p50_ms": round(statistics.median(rtts), 2),
            "p99_ms": round(rtts[int(0.99 * (len(rtts) - 1))], 2), "max_ms": round(rtts[-1], 2)}


def junk(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return os.urandom(rng.randrange(1, 2000))
    if kind == 1:  # a SignalRequest field whose length runs past the end
        return bytes([0x0a, 0xff, 0x7f]) + os.urandom(rng.randrange(0, 50))
    if kind == 2:  # unknown fields only
        return bytes([0xf8, 0xff, 0x7f, 0x01]) * rng.randrange(1, 100)
    return b""


def garbage():
    rng = random.Random(16)
    sent, reconnects = 0, 0
    ws = Ws(host, port, token(secret, room, "misbehaving-garbage"))
    while time.monotonic() < end:
        try:
            ws.send(junk(rng))
            sent += 1
            if sent % 50 == 0:
                time.sleep(0.005)  # ~10,000 frames/s, not a pure CPU spin of this client
        except OSError:
            reconnects += 1
            ws.close()
            ws = Ws(host, port, token(secret, room, "misbehaving-garbage"))
    ws.close()
    return {"sent": sent, "reconnects": reconnects}


def sockets():
    tok = token(secret, room, "misbehaving-sockets")
    held, opened, refused = [], 0, 0
    while time.monotonic() < end:
        try:
            held.append(Ws(host, port, tok, timeout=5))
            opened += 1
        except (OSError, RuntimeError):
            refused += 1
            time.sleep(0.05)
        if len(held) > 200:
            held.pop(0).close()
    for w in held:
        w.close()
    return {"opened": opened, "refused": refused}


print(json.dumps({"ping": ping, "garbage": garbage, "sockets": sockets}[mode]()), flush=True)
