#!/usr/bin/python3
"""What bench/soak --heaptrack found still allocated, by call stack.

  heaptrack_leaks.py HEAPTRACK_TXT [MIN_CALLS]

Reads heaptrack_print's leak report (--print-leaks) and prints the call
stacks with at least MIN_CALLS (50) allocations still held when edgesfu was
killed, leaving out what start-up allocated once (EAL, mempools, tables, the
certificate): what remains grows with the sessions that came and went.
"""
import re
import sys

STARTUP = ("Appliance::start", "rte_eal_init", "Certificate::generate", "WorkerSet::create",
           "Fastpath::create", "DescriptorPool", "protobuf::DescriptorBuilder")


def main():
    path = sys.argv[1]
    min_calls = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    blocks, cur = [], None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^(\S+) leaked over (\d+) calls from:$", line)
        if m:
            cur = [m.group(1), int(m.group(2)), []]
            blocks.append(cur)
        elif re.match(r"^\S+ leaked over \d+ calls from$", line):
            cur = None
        elif cur is not None and line.startswith("    ") and not line.startswith("      "):
            frame = line.strip()
            if not frame.startswith("0x"):
                cur[2].append(frame)
    found = 0
    for size, calls, stack in sorted(blocks, key=lambda b: -b[1]):
        text = " < ".join(stack)
        if calls < min_calls or any(s in text for s in STARTUP):
            continue
        found += 1
        print(f"{size} in {calls} allocations: {text[:700]}\n")
    if not found:
        print(f"nothing held in {min_calls} or more allocations outside start-up")


if __name__ == "__main__":
    main()
