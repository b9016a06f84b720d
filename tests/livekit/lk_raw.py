"""A raw LiveKit signalling client (no SDK, no media): a WebSocket to /rtc/v1
with a minted token, binary frames in and out. For the signalling benchmark
(bench/livekit_signal.py) and the isolation tests (isolation_client.py).
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import time

# WrappedJoinRequest{compression NONE, join_request=JoinRequest{client_info{sdk JS}}}
JOIN_REQUEST = base64.urlsafe_b64encode(b"\x08\x00\x12\x04\x0a\x02\x08\x01").decode()
# SignalRequest{ping_req=16: Ping{timestamp=1: 1}}; the answer starts with
# SignalResponse's pong_resp (20) tag.
PING = b"\x82\x01\x02\x08\x01"
PONG_TAG = b"\xa2\x01"


def b64(d):
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def token(secret, room, identity, ttl=600):
    h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = b64(json.dumps({"iss": "devkey", "sub": identity, "exp": int(time.time()) + ttl,
                        "video": {"room": room, "roomJoin": True}}).encode())
    return f"{h}.{p}." + b64(hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())


class Ws:
    """One participant's signalling connection; raises on a refused upgrade."""

    def __init__(self, host, port, tok, timeout=10):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.s.sendall((f"GET /rtc/v1?access_token={tok}&join_request={JOIN_REQUEST} HTTP/1.1\r\n"
                        f"Host: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        "Sec-WebSocket-Version: 13\r\n"
                        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n\r\n")
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
        """The next binary frame's payload (other frames are skipped)."""
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

    def send(self, payload, count=1):
        """`payload` as `count` masked binary frames (the mask is zeros: valid,
        and cheap to build in bulk)."""
        n = len(payload)
        if n < 126:
            head = bytes([0x82, 0x80 | n])
        elif n < 65536:
            head = bytes([0x82, 0x80 | 126]) + struct.pack(">H", n)
        else:
            head = bytes([0x82, 0x80 | 127]) + struct.pack(">Q", n)
        self.s.sendall((head + b"\x00\x00\x00\x00" + payload) * count)

    def close(self):
        self.s.close()
