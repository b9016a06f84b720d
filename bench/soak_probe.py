#!/usr/bin/python3
"""One sample of a running edgesfu for bench/soak, as a JSON line on stdout.

  soak_probe.py PID PREFIX LOG    PREFIX: its DPDK file prefix (telemetry);
                                  LOG: its stderr (the last stats line)

t (s, monotonic), RSS split by kind (KiB), descriptors, threads, the packet
pool's mbufs in use (/edgesfu/mempools), and from edgesfu's last stats line
the flows, tracks and subscriptions in the dataplane, the SRTP sessions, the
webhooks queued and the C heap (in use and free, every glibc arena).
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_probe import status_kb, telemetry  # noqa: E402  bench/compare_probe.py

STATS = re.compile(r"flows (\d+) tracks (\d+) subscriptions (\d+);.*"
                   r"srtp sessions (\d+); webhooks queued (\d+)"
                   r"(?:; heap ([\d.]+) MiB in use, ([\d.]+) MiB free)?")


def last_stats(log):
    """flows, tracks, subscriptions, SRTP sessions and webhooks queued of the
    last stats line in the log's tail."""
    try:
        with open(log, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    found = STATS.findall(tail)
    if not found:
        return None
    return [None if x == "" else float(x) if "." in x else int(x) for x in found[-1]]


def main():
    pid, prefix, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = status_kb(pid, ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Threads"))
    sample = {"t": round(time.monotonic(), 1), "rss_kb": s.get("VmRSS"),
              "anon_kb": s.get("RssAnon"), "file_kb": s.get("RssFile"),
              "shmem_kb": s.get("RssShmem"), "threads": s.get("Threads"),
              "fds": len(os.listdir("/proc/%d/fd" % pid))}
    try:
        pools = telemetry(prefix, ["/edgesfu/mempools"])["/edgesfu/mempools"] or {}
        # The packet pool (esfu_pool_s<socket>), not the TAP PMD's own.
        sample["mbufs_in_use"] = sum(v["in_use"] for k, v in pools.items()
                                     if k.startswith("esfu_pool"))
    except Exception as e:  # telemetry socket busy or gone: the sample goes on without it
        sample["telemetry_error"] = str(e)
    st = last_stats(log)
    if st:
        (sample["flows"], sample["tracks"], sample["subscriptions"], sample["srtp_sessions"],
         sample["webhooks_queued"], heap_mib, free_mib) = st
        if heap_mib is not None:  # an edgesfu from before the heap figures has none
            sample["heap_kb"], sample["heap_free_kb"] = round(heap_mib * 1024), round(free_mib * 1024)
            # in use (mmapped chunks included) + free: what malloc holds
            sample["heap_held_kb"] = sample["heap_kb"] + sample["heap_free_kb"]
    print(json.dumps(sample), flush=True)


if __name__ == "__main__":
    main()
