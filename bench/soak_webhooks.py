#!/usr/bin/python3
"""The webhook receiver of bench/soak: answers every POST with 200 and counts
the events by type; on SIGTERM prints the counts as one JSON line.

  soak_webhooks.py ADDRESS PORT
"""
import collections
import http.server
import json
import signal
import sys

counts = collections.Counter()


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        n = int(self.headers.get("Content-Length") or 0)
        try:
            counts[json.loads(self.rfile.read(n)).get("event", "?")] += 1
        except ValueError:
            counts["unreadable"] += 1
        if not self.headers.get("Authorization"):
            counts["unsigned"] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Hook)

    def stop(*_):
        print(json.dumps(dict(counts, total=sum(counts.values()))), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
