#!/usr/bin/python3
"""fastpath.json -> a PNG plot (gnuplot) and a markdown table on stdout.

One line per (engine, profile) for Opus-sized packets, the engine's crypto
floor measured in the same run dashed beside it; the table lists every case,
1200-byte video ones included."""
import json
import os
import subprocess
import sys
import tempfile


def main():
    src, png = sys.argv[1], sys.argv[2]
    with open(src) as f:
        data = json.load(f)
    cases = data["cases"]
    print("| engine | payload B | profile | fan-out k | Mpps out | cycles/pkt | crypto floor Mpps | "
          "of floor | latency p50 / p99 (us) | own allocs/pkt | engine allocs/pkt |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        print("| %s | %d | %s | %d | %.3f | %.0f | %.3f | %.0f%% | %.1f / %.1f | %.2f | %.2f |" % (
            c["engine"], c["payload_bytes"], c["profile"], c["fanout"], c["mpps"], c["cycles_per_pkt"],
            c["floor_mpps"], c["floor_percent"],
            c["latency_p50_us"], c["latency_p99_us"], c["own_allocs_per_pkt"],
            c["engine_allocs_per_pkt"]))
    series = []
    for c in cases:
        key = (c["engine"], c["profile"])
        if c["payload_bytes"] == 70 and key not in series:
            series.append(key)
    with tempfile.TemporaryDirectory() as d:
        plots = []
        for i, (engine, profile) in enumerate(series):
            path = os.path.join(d, "s%d.dat" % i)
            with open(path, "w") as f:
                for c in cases:
                    if (c["engine"], c["profile"], c["payload_bytes"]) == (engine, profile, 70):
                        f.write("%d %f %f\n" % (c["fanout"], c["mpps"], c["floor_mpps"]))
            plots.append("'%s' using 1:2 with linespoints lw 2 title '%s %s'" % (path, engine, profile))
            plots.append("'%s' using 1:3 with lines dashtype 2 title '%s %s crypto floor'" %
                         (path, engine, profile))
        script = """
set terminal pngcairo size 1000,600 noenhanced
set output '%s'
set logscale x
set logscale y
set xlabel 'fan-out (downtracks per published track, each its own subscriber and keys)'
set ylabel 'SRTP packets out per second (millions), one core'
set title 'edgesfu fast path, 70-byte Opus payload: intel-ipsec-mb vs libsrtp2'
set key outside bottom center horizontal maxrows 4
set grid
plot %s
""" % (png, ", ".join(plots))
        subprocess.run(["gnuplot"], input=script.encode(), check=True)


if __name__ == "__main__":
    main()
