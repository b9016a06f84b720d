#!/usr/bin/python3
"""bench/capacity's results -> results.json, capacity.md and two plots.

  capacity_report.py OUT CPU CASE...

OUT holds, per case, loadgen's JSON (its ramp: one entry per step) and
edgesfu's samples (compare_probe.py lines, when the load is up and at the end
of each step); fastpath-k<K>.json
(bench/fastpath_bench at fan-out K); janus.json and janus.samples. A step's
edgesfu figures come from the samples that bracket its window (loadgen
writes the window in CLOCK_MONOTONIC seconds, as the samples' "t"); they
span the window and the unmeasured second before it at the same rate."""
import json
import os
import subprocess
import sys
import tempfile


def load(path):
    with open(path) as f:
        return json.load(f)


def samples(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def edgesfu_in(step, smp):
    """edgesfu's worker busy share, its own count of packets sent a second and
    its other threads' CPU share, between the samples that bracket the step's
    window (taken in the unmeasured second before each window)."""
    smp = [s for s in smp if "busy_cycles" in s]
    before = [s for s in smp if s["t"] <= step["mono_start"]]
    after = [s for s in smp if s["t"] >= step["mono_end"]]
    if not before or not after:
        return None
    a, b = before[-1], after[0]
    dt = b["t"] - a["t"]
    if dt <= 0 or not b.get("tsc_hz"):
        return None
    by_lcore = {k: (v - a.get("busy_cycles_by_lcore", {}).get(k, 0)) / (dt * b["tsc_hz"])
                for k, v in b.get("busy_cycles_by_lcore", {}).items()}
    rtp_in = b.get("rtp_in", 0) - a.get("rtp_in", 0)
    # Each worker's TSC cycles per packet it sent (with two workers: the one
    # alone on its CPU is the clean figure; the other shares its CPU).
    cycles_by_lcore = {}
    for k, v in b.get("busy_cycles_by_lcore", {}).items():
        sent = b.get("media_tx_by_lcore", {}).get(k, 0) - a.get("media_tx_by_lcore", {}).get(k, 0)
        if sent > 0:
            cycles_by_lcore[k] = (v - a.get("busy_cycles_by_lcore", {}).get(k, 0)) / sent
    return {"worker_busy": (b["busy_cycles"] - a["busy_cycles"]) / (dt * b["tsc_hz"]),
            "busy_by_lcore": by_lcore, "cycles_per_pkt_by_lcore": cycles_by_lcore,
            # Packets handed to the other worker per RTP packet received from
            # publishers (two workers): nearly all of them are those RTP
            # packets; RTCP, STUN and the kernel's frames to a flow are too.
            "handed_off_share": (b.get("handed_off", 0) - a.get("handed_off", 0)) / rtp_in if rtp_in > 0 else 0.0,
            "edgesfu_tx_pps": (b["media_tx_pkts"] - a["media_tx_pkts"]) / dt,
            "other_threads_cpu": (b["cpu_s"] - a["cpu_s"]) / dt, "span_s": dt,
            # The share of the wall time the worker threads had a CPU, and
            # how often the kernel took it from them (a second).
            "worker_on_cpu": ((b["worker_cpu_s"] - a["worker_cpu_s"]) / (dt * max(1, len(by_lcore)))
                              if "worker_cpu_s" in a and "worker_cpu_s" in b else None),
            "worker_preempted_per_s": ((b["worker_preempted"] - a["worker_preempted"]) / dt
                                       if "worker_preempted" in a and "worker_preempted" in b else None),
            # TSC cycles of the worker per packet the subscribers received.
            "worker_cycles_per_pkt": (b["busy_cycles"] - a["busy_cycles"]) / max(1.0, step["recv_pps"] * dt)}


def ceiling(out, k, video):
    """fastpath_bench's GCM figure at fan-out k: Opus-sized packets, or for a
    video case its 1,200-byte packets at the nearest fan-out it ran them."""
    rows = []
    for name in os.listdir(out):
        if name.startswith("fastpath-k") and name.endswith(".json"):
            rows += [c for c in load(os.path.join(out, name))["cases"]
                     if c["profile"] == "AEAD_AES_128_GCM"]
    if video:
        rows = [c for c in rows if c["payload_bytes"] >= 1000]
    else:
        rows = [c for c in rows if c["payload_bytes"] < 1000 and c["fanout"] == k]
    if not rows:
        return None
    c = min(rows, key=lambda c: abs(c["fanout"] - k))
    return {"mpps": c["mpps"], "floor_mpps": c["floor_mpps"], "payload_bytes": c["payload_bytes"],
            "fanout": c["fanout"], "cycles_per_pkt": c["cycles_per_pkt"]}


def janus(out):
    path = os.path.join(out, "janus.json")
    smp = samples(os.path.join(out, "janus.samples"))
    if not os.path.exists(path) or len(smp) < 2:
        return None
    j = load(path)
    cpu = (smp[-1]["cpu_s"] - smp[0]["cpu_s"]) / (smp[-1]["t"] - smp[0]["t"])
    return {"recv_pps": j["recv_pps"], "loss_ratio": j["loss_ratio"], "cpu_share": cpu,
            "latency_p99_ms": j["latency_ms"]["p99"],
            "pps_per_core": j["recv_pps"] / cpu if cpu > 0 else None}


def main():
    out, cpu, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    results = {"cpu": cpu, "cases": [], "janus": janus(out)}
    for name in names:
        path = os.path.join(out, name + ".json")
        if not os.path.exists(path):
            results["cases"].append({"name": name, "error": "no loadgen result"})
            continue
        j = load(path)
        meta = os.path.join(out, name + ".meta.json")
        workers = load(meta)["workers"] if os.path.exists(meta) else 1
        rooms = j.get("rooms", 1)
        k = j["subscribers"] // rooms  # each publisher's subscribers
        smp = samples(os.path.join(out, name + ".samples"))
        steps = j.get("ramp", [])
        for st in steps:
            st["fanout_out"] = st["sent_pps"] * k
            st["edgesfu"] = edgesfu_in(st, smp)
        best = None
        for st in steps:
            if st["pass"]:
                best = st
        failed = steps[-1] if steps and not steps[-1]["pass"] else None  # why the ramp ended
        video = j["video_publishers"] > 0
        results["cases"].append({
            "name": name, "workers": workers, "rooms": rooms, "fanout": k,
            "p99_limit_ms": j.get("ramp_limits", {}).get("p99_ms", 1.0),
            "publishers": j["publishers"], "subscribers": j["subscribers"], "video": video,
            "subscribers_receiving": j["subscribers_receiving"], "failed": j["failed"],
            "srtp_profiles": j["srtp_profiles"], "dpdk": j.get("dpdk"),
            "steps": steps, "max": best, "first_failed": failed,
            "ceiling": ceiling(out, k, video)})
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    lines = ["CPU: %s. edgesfu's worker lcore on CPU 1 (a second one, in the 2-worker case, on CPU 0); "
             "loadgen's media lcore on CPU 0." % cpu, "",
             "| case | workers | max forwarded pps (loss <= 0.1 %, p99 <= the limit) | p99 limit | loss / p99 ms at max | "
             "edgesfu workers busy at max | their cycles / pkt | loadgen media lcore busy | "
             "fastpath_bench ceiling (cycles / pkt) | end to end / ceiling x workers | the step that ended the ramp | "
             "its loss / p99 ms | its workers on a CPU / preempted a second |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for c in results["cases"]:
        if "error" in c:
            lines.append("| %s | | %s | | | | | | | | | | |" % (c["name"], c["error"]))
            continue
        m, f, ce = c["max"], c["first_failed"], c["ceiling"]
        e = (m or {}).get("edgesfu") or {}
        busy = " + ".join("%.0f %%" % (100 * b) for b in sorted(e.get("busy_by_lcore", {}).values()))
        fe = (f or {}).get("edgesfu") or {}
        on_cpu = ("%.0f %% / %.0f" % (100 * fe["worker_on_cpu"], fe["worker_preempted_per_s"])
                  if fe.get("worker_on_cpu") is not None else "")
        lines.append("| %s | %d | %s | %g ms | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c["name"], c["workers"],
            "{:,.0f}".format(m["recv_pps"]) if m else "none passed", c["p99_limit_ms"],
            "%.4f %% / %.2f" % (100 * m["loss_ratio"], m["latency_ms"]["p99"]) if m else "",
            (busy if c["workers"] > 1 else "%.0f %%" % (100 * e["worker_busy"])) if e else "",
            "%.0f" % e["worker_cycles_per_pkt"] if e else "",
            "%.0f %%" % (100 * m["lcore_busy_ratio"]) if m else "",
            "%.2f Mpps (%d B, k = %d; %.0f)" % (ce["mpps"], ce["payload_bytes"], ce["fanout"],
                                                ce["cycles_per_pkt"]) if ce else "",
            "%.0f %%" % (100 * m["recv_pps"] / (c["workers"] * ce["mpps"] * 1e6)) if (m and ce) else "",
            "{:,.0f}".format(f["recv_pps"]) if f else "(ramp ended)",
            "%.4f %% / %.2f" % (100 * f["loss_ratio"], f["latency_ms"]["p99"]) if f else "", on_cpu))
    pair = {c["workers"]: c for c in results["cases"] if c["name"].startswith("2rooms") and c.get("max")}
    if 1 in pair and 2 in pair:
        one, two = pair[1]["max"], pair[2]["max"]
        e2 = two.get("edgesfu") or {}
        lines += ["", "Two rooms of 10 x 100: {:,.0f} pps on one worker, {:,.0f} on two ({:.2f}x); with two, "
                  "for every 100 RTP packets from publishers, {:.0f} packets reached the worker that does not "
                  "own their room and were handed over.".format(one["recv_pps"], two["recv_pps"], two["recv_pps"] / one["recv_pps"],
                                             100 * e2.get("handed_off_share", 0))]
        e1 = one.get("edgesfu") or {}
        per = ", ".join("%s %.0f" % (k, v) for k, v in sorted(e2.get("cycles_per_pkt_by_lcore", {}).items()))
        lines.append("TSC cycles per packet sent, at each maximum: one worker %s; two workers: %s "
                     "(lcore1 has CPU 1 to itself, lcore2 shares CPU 0 with loadgen's media lcore)." % (
                         ", ".join("%.0f" % v for v in e1.get("cycles_per_pkt_by_lcore", {}).values()) or "?",
                         per or "?"))
    jn = results["janus"]
    if jn:
        # One worker held to the 1 ms limit (the two-room pair's 20 ms limit
        # is for the CPU sharing of its two-worker side).
        best = max((c["max"]["recv_pps"] for c in results["cases"]
                    if c.get("max") and c["workers"] == 1 and c["p99_limit_ms"] <= 1), default=0)
        lines += ["", "Janus 1.1.2, 10 x 100 audio on kernel sockets (pinned to CPU 1): "
                  "{:,.0f} pps forwarded at {:.0f} % of a core, loss {:.4f} %, p99 {:.2f} ms: "
                  "{:,.0f} pps per core.".format(jn["recv_pps"], 100 * jn["cpu_share"],
                                                 100 * jn["loss_ratio"], jn["latency_p99_ms"],
                                                 jn["pps_per_core"] or 0)]
        if jn["pps_per_core"]:
            lines.append("edgesfu's largest end-to-end maximum above on one worker lcore with p99 <= 1 ms "
                         "is %.0fx that." % (best / jn["pps_per_core"]))
    with open(os.path.join(out, "capacity.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    with tempfile.TemporaryDirectory() as d:
        pps, lat = [], []
        for i, c in enumerate(results["cases"]):
            if not c.get("steps"):
                continue
            path = os.path.join(d, "c%d.dat" % i)
            with open(path, "w") as f:
                for st in c["steps"]:
                    f.write("%f %f %f\n" % (st["fanout_out"] / 1e6, st["recv_pps"] / 1e6,
                                            max(st["latency_ms"]["p99"], 0.001)))
            pps.append("'%s' using 1:2 with linespoints lw 2 title '%s'" % (path, c["name"]))
            lat.append("'%s' using 2:3 with linespoints lw 2 title '%s'" % (path, c["name"]))
        if pps:
            script = """
set terminal pngcairo size 1000,600 noenhanced
set key outside bottom center horizontal
set grid
set output '%s'
set xlabel 'offered: publishers packets x subscribers (millions a second)'
set ylabel 'received by the subscribers (millions a second)'
set title 'edgesfu end to end (net_memif, real sessions; one worker unless the case says 2w)'
plot %s, x with lines dashtype 2 title 'all delivered'
set output '%s'
set logscale y
set xlabel 'received by the subscribers (millions a second)'
set ylabel 'one-way latency p99 (ms)'
set title 'edgesfu end to end: p99 latency as the load grows (limit 1 ms; 20 ms for the two-room pair)'
plot %s, 1 with lines dashtype 2 title '1 ms', 20 with lines dashtype 3 title '20 ms'
""" % (os.path.join(out, "capacity-pps.png"), ", ".join(pps),
       os.path.join(out, "capacity-latency.png"), ", ".join(lat))
            subprocess.run(["gnuplot"], input=script.encode(), check=True)


if __name__ == "__main__":
    main()
