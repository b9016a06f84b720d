#!/usr/bin/python3
"""bench/compare's results -> results.json, a markdown table and PNG plots.

  compare_report.py compare OUT_DIR CASE...   per case: OUT_DIR/CASE-{edgesfu,janus}.json
                                              (loadgen) and .samples (compare_probe.py at
                                              the start and the end of the hold)
  compare_report.py soak OUT_DIR              OUT_DIR/soak.samples + soak.json

CPU cycles per forwarded packet: the SFU's CPU over the hold, in TSC cycles,
divided by the packets the subscribers received. edgesfu: its worker lcores'
busy cycles (its own accounting) plus every other thread's CPU time (slow
path, EAL, telemetry); Janus: its process CPU time.
"""
import json
import os
import subprocess
import sys


def load_samples(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return rows


def cpu_mhz():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1])
    return 0.0


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s, %d CPUs" % (model, os.cpu_count())


def one(out, case, sfu, tsc_hz):
    base = os.path.join(out, "%s-%s" % (case, sfu))
    with open(base + ".json") as f:
        lg = json.load(f)
    s = load_samples(base + ".samples")
    if len(s) < 2:
        raise SystemExit("%s.samples: want 2 samples, have %d" % (base, len(s)))
    a, b = s[0], s[-1]
    dt = b["t"] - a["t"]
    hz = b.get("tsc_hz") or tsc_hz
    cycles = (b["cpu_s"] - a["cpu_s"]) * hz
    r = {"case": case, "sfu": sfu, "publishers": lg["publishers"], "subscribers": lg["subscribers"],
         "video_publishers": lg["video_publishers"], "forwarded_pps": lg["recv_pps"],
         "sent_pps": lg["sent_pps"], "loss_ratio": lg["loss_ratio"],
         "latency_p50_ms": lg["latency_ms"]["p50"], "latency_p99_ms": lg["latency_ms"]["p99"],
         "join_sub_p50_ms": lg["join_ms"]["subscriber"].get("p50"),
         "failed": lg["failed"]["publishers"] + lg["failed"]["subscribers"],
         "window_s": lg["window_s"], "sample_s": dt, "rss_mb": b["rss_kb"] / 1024.0}
    if sfu == "edgesfu":
        busy = b["busy_cycles"] - a["busy_cycles"]
        r["lcore_busy_cycles_per_s"] = busy / dt
        r["slowpath_cpu_pct"] = 100.0 * (b["cpu_s"] - a["cpu_s"]) / dt
        r["sfu_counted_pps"] = (b["media_tx_pkts"] - a["media_tx_pkts"]) / dt
        cycles += busy
    r["cycles_per_s"] = cycles / dt
    r["cpu_pct_of_core"] = 100.0 * cycles / dt / hz
    r["cycles_per_pkt"] = r["cycles_per_s"] / r["forwarded_pps"] if r["forwarded_pps"] > 0 else None
    return r


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def compare(out, cases):
    # The TSC rate edgesfu reports (DPDK's measurement), else the kernel's.
    tsc = cpu_mhz() * 1e6
    for c in cases:
        tsc = load_samples(os.path.join(out, c + "-edgesfu.samples"))[-1].get("tsc_hz") or tsc
    rows = []
    for c in cases:
        rows.append(one(out, c, "edgesfu", tsc))
        rows.append(one(out, c, "janus", tsc))
    res = {"machine": machine(), "tsc_hz": tsc, "rows": rows}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)

    md = ["Machine: %s; cycles are TSC cycles at %.2f GHz." % (res["machine"], tsc / 1e9), "",
          "| case | SFU | forwarded pps | CPU cycles / forwarded pkt | CPU (% of a core) | "
          "latency p50 / p99 (ms) | loss | subscriber join p50 (ms) | failed sessions |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append("| %s | %s | %.0f%s | %s | %.1f | %.2f / %.2f | %.3f%% | %s | %d |" % (
            r["case"], r["sfu"], r["forwarded_pps"],
            " (own count %.0f)" % r["sfu_counted_pps"] if "sfu_counted_pps" in r else "",
            "%.0f" % r["cycles_per_pkt"] if r["cycles_per_pkt"] else "-", r["cpu_pct_of_core"],
            r["latency_p50_ms"], r["latency_p99_ms"], 100 * r["loss_ratio"],
            "%.0f" % r["join_sub_p50_ms"] if r["join_sub_p50_ms"] is not None else "-", r["failed"]))
    with open(os.path.join(out, "compare.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

    dat = os.path.join(out, "compare.dat")
    with open(dat, "w") as f:
        f.write("# case edgesfu_cyc janus_cyc edgesfu_p50 edgesfu_p99 janus_p50 janus_p99 edgesfu_pps janus_pps\n")
        for i in range(0, len(rows), 2):
            e, j = rows[i], rows[i + 1]
            f.write("%s %s %s %f %f %f %f %f %f\n" % (
                e["case"], e["cycles_per_pkt"] or 0, j["cycles_per_pkt"] or 0, e["latency_p50_ms"],
                e["latency_p99_ms"], j["latency_p50_ms"], j["latency_p99_ms"], e["forwarded_pps"],
                j["forwarded_pps"]))
    gnuplot("""
set terminal pngcairo size 1200,460 font ",10"
set output "%(out)s/compare-cycles.png"
set key outside bottom center horizontal
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set logscale y
set title "CPU cycles per forwarded packet (log)"
set ylabel "TSC cycles / packet"
plot "%(dat)s" using 2:xtic(1) title "edgesfu" lc rgb "#1f77b4", "" using 3 title "Janus 1.1.2" lc rgb "#d62728"
unset logscale y
set title "Forwarded packets per second (received by subscribers)"
set ylabel "packets / s"
plot "%(dat)s" using 8:xtic(1) title "edgesfu" lc rgb "#1f77b4", "" using 9 title "Janus 1.1.2" lc rgb "#d62728"
unset multiplot
set output "%(out)s/compare-latency.png"
set terminal pngcairo size 800,460 font ",10"
set logscale y
set title "One-way latency through the SFU (publisher send -> subscriber receive)"
set ylabel "ms (log)"
plot "%(dat)s" using 4:xtic(1) title "edgesfu p50" lc rgb "#6baed6", "" using 5 title "edgesfu p99" lc rgb "#08519c", \
     "" using 6 title "Janus p50" lc rgb "#fc9272", "" using 7 title "Janus p99" lc rgb "#a50f15"
""" % {"out": out, "dat": dat})
    print("wrote %s/results.json, compare.md, compare-cycles.png, compare-latency.png" % out)


def soak(out):
    s = load_samples(os.path.join(out, "soak.samples"))
    with open(os.path.join(out, "soak.json")) as f:
        lg = json.load(f)
    t0 = s[0]["t"]
    dat = os.path.join(out, "soak.dat")
    with open(dat, "w") as f:
        for r in s:
            f.write("%f %d %f\n" % (r["t"] - t0, r["mempool_in_use"], r["rss_kb"] / 1024.0))
    gnuplot("""
set terminal pngcairo size 900,380 font ",10"
set output "%(out)s/soak.png"
set title "edgesfu under churn: %(pubs)d publishers x %(subs)d subscribers, %(churn)g joins+leaves/s"
set xlabel "s"
set ylabel "mbufs in use"
set y2label "RSS (MiB)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
plot "%(dat)s" using 1:2 with lines lw 2 title "mempool in use", "" using 1:3 axes x1y2 with lines lw 2 title "RSS"
""" % {"out": out, "dat": dat, "pubs": lg["publishers"], "subs": lg["subscribers"], "churn": lg["churn_per_s"]})
    half = len(s) // 2
    summary = {
        "seconds": s[-1]["t"] - t0, "samples": len(s), "churned": lg["churned"],
        "mempool_in_use": {"first": s[0]["mempool_in_use"], "max": max(r["mempool_in_use"] for r in s),
                           "last": s[-1]["mempool_in_use"]},
        "rss_mb": {"first": s[0]["rss_kb"] / 1024.0, "second_half_first": s[half]["rss_kb"] / 1024.0,
                   "last": s[-1]["rss_kb"] / 1024.0},
        "loss_ratio": lg["loss_ratio"], "recv_pps": lg["recv_pps"],
        "failed": lg["failed"],
    }
    with open(os.path.join(out, "soak-summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))
    print("wrote %s/soak.png, soak-summary.json" % out)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "soak":
        soak(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
