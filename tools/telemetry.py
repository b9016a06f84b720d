#!/usr/bin/python3
"""Queries a running edgesfu's DPDK telemetry socket and prints the JSON answers.

  tools/telemetry.py PREFIX [COMMAND ...]     default command: /edgesfu/lcores

PREFIX is the instance's dataplane.file_prefix (the socket is
/var/run/dpdk/PREFIX/dpdk_telemetry.v2). Commands: /edgesfu/lcores,
/edgesfu/media, /edgesfu/drops, /edgesfu/mempools, and DPDK's own (/, /ethdev/stats,0, ...).
Exit status 1 when the socket cannot be reached or a command is refused.
"""
import json
import socket
import sys


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % sys.argv[1]
    cmds = sys.argv[2:] or ["/edgesfu/lcores"]
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        hello = json.loads(s.recv(16384).decode())
        size = int(hello.get("max_output_len", 16384))
        status = 0
        for c in cmds:
            s.send(c.encode())
            reply = json.loads(s.recv(size).decode())
            if reply.get(c.split(",")[0]) is None:
                status = 1
            print(json.dumps(reply, indent=1))
        return status
    except (OSError, ValueError) as e:
        print("telemetry: %s: %s" % (path, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
