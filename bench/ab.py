#!/usr/bin/env python3
"""Two dactl builds side by side: does a change make dactl slower?

Both builds run against one emulator (`sandbox serve` of build B, 25 ms added latency, on
127.0.0.1), one command of A then the same of B, PAIRS times, so that the machine's load falls
on both alike. Each build keeps its own DACTL_HOME (its token and what it saw), as a user's
second command does. Prints the medians and the B/A ratio of each case, and how many of the
pairs B won.

usage: bench/ab.py OLD_DACTL NEW_DACTL [--pairs 25]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

from bench import CLIENT_ID, CLIENT_SECRET, SINGLE_ACTION, Emulator, base_env


def timed(cmd, env):
    start = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)} exited {r.returncode}: {r.stderr.decode()[-400:]}")
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", help="the build to compare against (e.g. the previous commit's)")
    ap.add_argument("b", help="the build under test")
    ap.add_argument("--pairs", type=int, default=25)
    args = ap.parse_args()
    assert CLIENT_ID and CLIENT_SECRET
    emu = Emulator(args.b, "--latency", "25")
    try:
        aid = next(a for a in emu.state()["actions"] if a["name"] == SINGLE_ACTION)["id"]
        homes = {k: base_env(tempfile.mkdtemp(prefix=f"dactl-ab-{k}-")) for k in ("a", "b")}
        cases = {
            # One action, token kept and the action seen: the everyday second command.
            "timeout set (one action)": lambda bin, i: [bin, "-q", "--base-url", emu.url,
                                                       "timeout", "set", f"{5 + i % 50}s", aid],
            # No network at all: start-up, settings, one journal folder read.
            "runs list (no request)": lambda bin, i: [bin, "-q", "runs", "list"],
        }
        # One warm-up each (token fetched, action seen).
        for k, bin in (("a", args.a), ("b", args.b)):
            for make in cases.values():
                timed(make(bin, 0), homes[k])
        for name, make in cases.items():
            ta, tb = [], []
            for i in range(1, args.pairs + 1):
                ta.append(timed(make(args.a, 2 * i), homes["a"]))
                tb.append(timed(make(args.b, 2 * i + 1), homes["b"]))
            ma, mb = statistics.median(ta), statistics.median(tb)
            wins = sum(1 for x, y in zip(ta, tb) if y < x)
            print(f"{name}: A {ma * 1000:.1f} ms, B {mb * 1000:.1f} ms, B/A {mb / ma:.3f}, "
                  f"B faster in {wins} of {args.pairs} pairs")
    finally:
        emu.stop()


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    main()
