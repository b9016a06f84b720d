#!/usr/bin/python3
"""One sample of an SFU process for bench/compare, as a JSON line on stdout.

  compare_probe.py edgesfu PID PREFIX    CPU of its non-worker threads, its
                                         worker lcores' busy cycles and media
                                         packets (DPDK telemetry), mempool
                                         in-use (/edgesfu/mempools), RSS
  compare_probe.py janus PID             its process CPU time and RSS

CPU times come from /proc/PID/stat and /proc/PID/task/*/stat (utime + stime).
edgesfu's worker lcores busy-poll, so their thread CPU time is always 100 %;
their work is counted by the cycles the worker loop itself accounts as busy
(iterations that moved packets), and the TSC rate converts them to seconds.
Their CPU time and involuntary context switches (/proc/PID/task/*/status) say
how much of the wall time they had a CPU: a polling thread that is preempted
still counts the wall time of the iteration it was in as busy.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from telemetry import query  # noqa: E402  tools/telemetry.py

TICK = os.sysconf("SC_CLK_TCK")


def stat_cpu(path):
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def process_cpu(pid, skip_prefix=None):
    """The process's CPU time (threads that ended included), less the threads
    whose name starts with skip_prefix."""
    total = stat_cpu("/proc/%d/stat" % pid)
    if skip_prefix:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    if f.read().startswith(skip_prefix):
                        total -= stat_cpu("/proc/%d/task/%s/stat" % (pid, tid))
            except OSError:
                continue  # the thread ended meanwhile
    return total


def threads_cpu_and_preempted(pid, prefix):
    """CPU time and involuntary context switches of the threads whose name
    starts with prefix."""
    cpu, preempted = 0.0, 0
    for tid in os.listdir("/proc/%d/task" % pid):
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            with open(base + "comm") as f:
                if not f.read().startswith(prefix):
                    continue
            cpu += stat_cpu(base + "stat")
            with open(base + "status") as f:
                for line in f:
                    if line.startswith("nonvoluntary_ctxt_switches:"):
                        preempted += int(line.split()[1])
        except OSError:
            continue  # the thread ended meanwhile
    return cpu, preempted


def status_kb(pid, fields=("VmRSS", "RssAnon", "RssFile", "RssShmem")):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            name = line.split(":", 1)[0]
            if name in fields:
                out[name] = int(line.split()[1])
    return out


def telemetry(prefix, cmds):
    return {c: r.get(c.split(",")[0]) for c, r in zip(cmds, query(prefix, cmds))}


def main():
    kind, pid = sys.argv[1], int(sys.argv[2])
    st = status_kb(pid)
    # RSS, and its parts: heap and stacks (anon), mapped files, and shared
    # memory (DPDK's hugepage-backed memory shows there or as file).
    sample = {"t": time.monotonic(), "rss_kb": st.get("VmRSS", 0), "rss_anon_kb": st.get("RssAnon", 0),
              "rss_file_kb": st.get("RssFile", 0), "rss_shmem_kb": st.get("RssShmem", 0)}
    if kind == "janus":
        sample["cpu_s"] = process_cpu(pid)
    else:
        prefix = sys.argv[3]
        tel = telemetry(prefix, ["/edgesfu/lcores", "/edgesfu/mempools", "/edgesfu/media"])
        lcores = tel["/edgesfu/lcores"] or {}
        media = tel["/edgesfu/media"] or {}
        # DPDK 22.11 names its worker lcore threads rte-worker-<lcore>.
        sample["cpu_s"] = process_cpu(pid, skip_prefix="rte-worker")
        sample["worker_cpu_s"], sample["worker_preempted"] = threads_cpu_and_preempted(pid, "rte-worker")
        sample["busy_cycles"] = sum(v["busy_cycles"] for v in lcores.values())
        sample["busy_cycles_by_lcore"] = {k: v["busy_cycles"] for k, v in lcores.items()}
        sample["media_tx_by_lcore"] = {k: v["media_tx_pkts"] for k, v in lcores.items()}
        sample["rtp_in"] = sum(v.get("rtp_in", 0) for v in media.values())
        sample["handed_off"] = sum(v.get("handed_off", 0) for v in media.values())
        sample["media_tx_pkts"] = sum(v["media_tx_pkts"] for v in lcores.values())
        sample["tsc_hz"] = max([v.get("tsc_hz", 0) for v in lcores.values()] or [0])
        pools = tel["/edgesfu/mempools"] or {}
        # The packet pool (esfu_pool_s<socket>), not the TAP PMD's own.
        sample["mempool_in_use"] = sum(v["in_use"] for k, v in pools.items() if k.startswith("esfu_pool"))
    print(json.dumps(sample))


if __name__ == "__main__":
    main()
