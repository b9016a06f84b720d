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


def query(prefix, cmds):
    """Sends each command to instance PREFIX's telemetry socket; returns the
    replies in order (each a dict keyed by the command's name). Raises OSError
    or ValueError when the socket cannot be reached or answers garbage."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
        hello = json.loads(s.recv(16384).decode())
        size = int(hello.get("max_output_len", 16384))
        replies = []
        for c in cmds:
            s.send(c.encode())
            replies.append(json.loads(s.recv(size).decode()))
        return replies
    finally:
        s.close()


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    cmds = sys.argv[2:] or ["/edgesfu/lcores"]
    try:
        replies = query(sys.argv[1], cmds)
    except (OSError, ValueError) as e:
        print("telemetry: /var/run/dpdk/%s/dpdk_telemetry.v2: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    status = 0
    for c, reply in zip(cmds, replies):
        if reply.get(c.split(",")[0]) is None:
            status = 1
        print(json.dumps(reply, indent=1))
    return status


if __name__ == "__main__":
    sys.exit(main())
