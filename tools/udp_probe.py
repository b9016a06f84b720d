#!/usr/bin/python3
"""UDP traffic through the dev topology, for the netns tests and the demo
(run with Debian's /usr/bin/python3).

  udp_probe.py echo BIND_ADDR PORT SECONDS      echo datagrams back until SECONDS pass
  udp_probe.py ping ADDR PORT COUNT             send COUNT numbered datagrams, each
                                                retried up to 3 times; exit 0 if all echoed
  udp_probe.py recv BIND_ADDR PORT COUNT SECS   exit 0 once COUNT distinct datagrams arrived
  udp_probe.py send ADDR PORT COUNT             send COUNT numbered datagrams, 5 ms apart
"""
import socket
import sys
import time


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if mode == "echo":
        s.bind((addr, port))
        end = time.time() + float(sys.argv[4])
        while time.time() < end:
            s.settimeout(max(0.05, end - time.time()))
            try:
                data, peer = s.recvfrom(2048)
            except socket.timeout:
                continue
            s.sendto(data, peer)
        return 0
    if mode == "ping":
        count, got = int(sys.argv[4]), 0
        s.settimeout(1.0)
        for i in range(count):
            msg = b"edgesfu-%d" % i
            for _ in range(3):
                s.sendto(msg, (addr, port))
                try:
                    data, _ = s.recvfrom(2048)
                except socket.timeout:
                    continue
                if data == msg:
                    got += 1
                    break
        print("udp ping: %d/%d echoed" % (got, count))
        return 0 if got == count else 1
    if mode == "recv":
        count, secs = int(sys.argv[4]), float(sys.argv[5])
        s.bind((addr, port))
        seen, end = set(), time.time() + secs
        while len(seen) < count and time.time() < end:
            s.settimeout(max(0.05, end - time.time()))
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                continue
            seen.add(data)
        print("udp recv: %d/%d" % (len(seen), count))
        return 0 if len(seen) >= count else 1
    if mode == "send":
        for i in range(int(sys.argv[4])):
            s.sendto(b"edgesfu-%d" % i, (addr, port))
            time.sleep(0.005)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
