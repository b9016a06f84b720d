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
import base64
import hashlib
import hmac
import json
import os
import socket
import statistics
import struct
import sys
import time

host, port, secret, room = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
joins, pings = int(sys.argv[5]), int(sys.argv[6])
# WrappedJoinRequest{compression NONE, join_request=JoinRequest{client_info{sdk JS}}}
JR = base64.urlsafe_b64encode(b"\x08\x00\x12\x04\x0a\x02\x08\x01").decode()


def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def token(identity):
    h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = b64(json.dumps({"iss": "devkey", "sub": identity, "exp": int(time.time()) + 600,
                        "video": {"room": room, "roomJoin": True}}).encode())
    return f"{h}.{p}." + b64(hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())


class Ws:
    def __init__(self, identity):
        self.s = socket.create_connection((host, port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.s.sendall((f"GET /rtc/v1?access_token={token(identity)}&join_request={JR} HTTP/1.1\r\n"
                        f"Host: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                       .encode())
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(head[:80].decode(errors="replace"))

    def _recv(self):
        chunk = self.s.recv(1 << 16)
        if not chunk:
            raise RuntimeError("connection closed")
        return chunk

    def frame(self):
        while True:
            if len(self.buf) >= 2:
                n, o = self.buf[1] & 0x7F, 2
                if n == 126 and len(self.buf) >= 4:
                    n, o = struct.unpack(">H", self.buf[2:4])[0], 4
                elif n == 127 and len(self.buf) >= 10:
                    n, o = struct.unpack(">Q", self.buf[2:10])[0], 10
                if n < 126 or o > 2:
                    if len(self.buf) >= o + n:
                        op, payload = self.buf[0] & 0x0F, self.buf[o:o + n]
                        self.buf = self.buf[o + n:]
                        if op == 2:
                            return payload
                        continue
            self.buf += self._recv()

    def send_many(self, payload, count):
        mask = b"\x00\x00\x00\x00"  # masked with zeros: valid, and cheap to build in bulk
        one = bytes([0x82, 0x80 | len(payload)]) + mask + payload
        self.s.sendall(one * count)

    def close(self):
        self.s.close()


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
# SignalRequest{ping_req=16: Ping{timestamp=1: 1}}
ping = b"\x82\x01\x02\x08\x01"
t0 = time.perf_counter()
sent = 0
got = 0
while sent < pings:
    batch = min(500, pings - sent)
    ws.send_many(ping, batch)
    sent += batch
    while got < sent - 1000:  # keep at most ~1000 in flight
        if ws.frame()[:2] == b"\xa2\x01":  # pong_resp=20
            got += 1
while got < pings:
    if ws.frame()[:2] == b"\xa2\x01":
        got += 1
secs = time.perf_counter() - t0
ws.close()
print(json.dumps({"join_ms": stats(join_ms), "pings": pings, "ping_seconds": secs,
                  "pongs_per_second": pings / secs}))
