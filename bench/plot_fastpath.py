#!/usr/bin/python3
"""fastpath.json -> a PNG plot (gnuplot) and a markdown table on stdout."""
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
    profiles = []
    for c in cases:
        if c["profile"] not in profiles:
            profiles.append(c["profile"])
    print("| profile | fan-out k | Mpps out | cycles/pkt | crypto floor Mpps | of floor | "
          "latency p50 / p99 (us) | own allocs/pkt |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        print("| %s | %d | %.3f | %.0f | %.3f | %.0f%% | %.1f / %.1f | %.2f |" % (
            c["profile"], c["fanout"], c["mpps"], c["cycles_per_pkt"], c["floor_mpps"],
            100.0 * c["mpps"] / c["floor_mpps"] if c["floor_mpps"] else 0,
            c["latency_p50_us"], c["latency_p99_us"], c["own_allocs_per_pkt"]))
    with tempfile.TemporaryDirectory() as d:
        files = []
        for p in profiles:
            path = os.path.join(d, p + ".dat")
            with open(path, "w") as f:
                for c in cases:
                    if c["profile"] == p:
                        f.write("%d %f %f\n" % (c["fanout"], c["mpps"], c["floor_mpps"]))
            files.append((p, path))
        plots = []
        for p, path in files:
            plots.append("'%s' using 1:2 with linespoints title '%s fast path'" % (path, p))
            plots.append("'%s' using 1:3 with lines dashtype 2 title '%s crypto floor'" % (path, p))
        script = """
set terminal pngcairo size 900,540 noenhanced
set output '%s'
set logscale x
set xlabel 'fan-out (downtracks per published track)'
set ylabel 'SRTP packets out per second (millions), one core'
set title 'edgesfu fast path, %s engine, %d-byte Opus-sized payload'
set key outside bottom center horizontal
set grid
plot %s
""" % (png, data["engine"], data["payload_bytes"], ", ".join(plots))
        subprocess.run(["gnuplot"], input=script.encode(), check=True)


if __name__ == "__main__":
    main()
