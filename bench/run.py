"""Benchmark: hugemc against SPIN on the refcount freeze model.

    python bench/run.py                 # the default sizes, hugemc and SPIN side by side
    python bench/run.py --smoke         # the smallest size only (CI runs this; no timing assertion)
    python bench/run.py --sizes 3x2,3x3 --write   # and rewrite bench/RESULTS.md

For each size (N getters x M pages) it prints states, transitions, seconds,
states/second, peak RSS and bytes per stored state for hugemc (BFS, every
state kept with what trace reconstruction needs) and for SPIN's compiled
verifier (BFS, no partial-order reduction, `-DNOREDUCE`), then the ratios
hugemc/SPIN measured in the same run. Each measurement runs in a fresh process
so peak memory is its own. SPIN needs the Debian packages spin and gcc; when
they are missing its columns say so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = [(2, 2), (3, 2), (2, 3), (3, 3)]


def scenario_text(n: int, m: int, bug: bool) -> str:
    """The scenario TOML for N getters on M pages."""
    lines = ['models = ["refcount.c"]', 'init = "mm_bench_init()"',
             'expect = ["assertion"]' if bug else 'expect = "holds"', "[defines]", f"N = {n}", f"M = {m}"]
    if bug:
        lines.append("BUG = 1")
    lines.append("[threads]")
    lines += [f'getter{k} = "getter({k})"' for k in range(n)]
    lines.append('freezer = "freezer()"')
    return "\n".join(lines) + "\n"


def rss_now() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_hugemc(n: int, m: int, bug: bool = False) -> dict:
    """Run in this (fresh) process: build, compile, BFS; return the figures."""
    sys.path.insert(0, str(HERE.parent))
    from hugemc.backend import compile_program
    from hugemc.explore import bfs
    from hugemc.lang import build_program
    from hugemc.scenario import load_scenario
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "refcount.toml"
        shutil.copy(HERE / "refcount.c", Path(d) / "refcount.c")
        p.write_text(scenario_text(n, m, bug))
        model = compile_program(build_program(load_scenario(p)))
        base = rss_now()
        t0 = time.perf_counter()
        r = bfs(model)
        secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"tool": "hugemc", "states": r.states, "transitions": r.transitions, "seconds": secs,
            "states_per_second": r.states / secs if secs else 0.0, "peak_rss": peak,
            "bytes_per_state": max(peak - base, 0) / max(r.states, 1), "violations": sorted(r.violations),
            "depth": r.depth}


def measure_spin(n: int, m: int, bug: bool = False) -> dict:
    """Compile and run SPIN's verifier (BFS, no POR); return the figures or the reason it could not."""
    if not shutil.which("spin") or not shutil.which("gcc"):
        return {"tool": "spin", "error": "spin or gcc not installed (Debian: apt-get install spin gcc)"}
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(HERE / "refcount.pml", Path(d) / "refcount.pml")
        defs = [f"-DN={n}", f"-DM={m}"] + (["-DBUG"] if bug else [])
        subprocess.run(["spin", *defs, "-a", "refcount.pml"], cwd=d, check=True, capture_output=True)
        subprocess.run(["gcc", "-O2", "-DSAFETY", "-DBFS", "-DNOREDUCE", "-DMEMLIM=20000", "-o", "pan", "pan.c"],
                       cwd=d, check=True, capture_output=True)
        t0 = time.perf_counter()
        p = subprocess.run(["./pan", "-m40000000", "-w25"], cwd=d, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        out = p.stdout

    def num(pat, default=0.0):
        mm = re.search(pat, out)
        return float(mm.group(1)) if mm else default
    states = int(num(r"([\d.e+]+) states, stored"))
    trans = int(num(r"([\d.e+]+) transitions"))
    secs = num(r"pan: elapsed time ([\d.e+-]+) seconds", wall) or wall
    mem_states = num(r"([\d.]+)\s+actual memory usage for states") or num(r"([\d.]+)\s+memory usage for states")
    total = num(r"([\d.]+)\s+total actual memory usage")
    return {"tool": "spin", "states": states, "transitions": trans, "seconds": secs,
            "states_per_second": states / secs if secs else 0.0, "peak_rss": total * 1048576,
            "bytes_per_state": mem_states * 1048576 / max(states, 1),
            "errors": int(num(r"errors: (\d+)"))}


def run_child(which: str, n: int, m: int) -> dict:
    p = subprocess.run([sys.executable, __file__, "--child", which, f"{n}x{m}"], capture_output=True, text=True)
    if p.returncode != 0:
        return {"tool": which, "error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed"}
    return json.loads(p.stdout)


def fmt_row(label: str, r: dict) -> str:
    if "error" in r:
        return f"| {label} | {r['tool']} | {r['error']} | | | | | |"
    return (f"| {label} | {r['tool']} | {r['states']:,} | {r['transitions']:,} | {r['seconds']:.2f} | "
            f"{r['states_per_second'] / 1e3:,.0f} k | {r['peak_rss'] / 1048576:,.0f} MiB | "
            f"{r['bytes_per_state']:,.0f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", help="comma-separated NxM, e.g. 3x2,3x3")
    ap.add_argument("--smoke", action="store_true", help="the smallest size only")
    ap.add_argument("--write", action="store_true", help="rewrite bench/RESULTS.md")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        n, m = map(int, a.child[1].split("x"))
        print(json.dumps(measure_hugemc(n, m) if a.child[0] == "hugemc" else measure_spin(n, m)))
        return 0
    sizes = [(2, 2)] if a.smoke else ([tuple(map(int, s.split("x"))) for s in a.sizes.split(",")]
                                       if a.sizes else DEFAULT_SIZES)
    rows = ["| N x M | tool | states | transitions | seconds | states/s | peak RSS | bytes/state |",
            "|---|---|---|---|---|---|---|---|"]
    ratios = ["| N x M | states/s hugemc/SPIN | bytes/state hugemc/SPIN | states hugemc/SPIN | "
              "seconds hugemc/SPIN | peak RSS hugemc/SPIN |", "|---|---|---|---|---|---|"]
    for n, m in sizes:
        h = run_child("hugemc", n, m)
        s = run_child("spin", n, m)
        rows += [fmt_row(f"{n} x {m}", h), fmt_row(f"{n} x {m}", s)]
        if "error" not in h and "error" not in s and s["states_per_second"] and s["bytes_per_state"]:
            ratios.append(f"| {n} x {m} | {h['states_per_second'] / s['states_per_second']:.2f} | "
                          f"{h['bytes_per_state'] / s['bytes_per_state']:.2f} | {h['states'] / s['states']:.3f} | "
                          f"{h['seconds'] / s['seconds']:.3f} | {h['peak_rss'] / s['peak_rss']:.3f} |")
        print(rows[-2], rows[-1], sep="\n", flush=True)
    print()
    print("\n".join(rows))
    print()
    print("\n".join(ratios))
    if a.write:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        (HERE / "RESULTS.md").write_text(RESULTS_HEAD.format(machine=machine, date=time.strftime("%Y-%m-%d"))
                                         + "\n".join(rows) + "\n\nRatios measured in the same run:\n\n"
                                         + "\n".join(ratios) + "\n" + RESULTS_TAIL)
    return 0


RESULTS_HEAD = """# Benchmark results

`python bench/run.py --write` on {date}, {machine}. One run per row (noisy
2-core machine: treat as +-20%). hugemc: BFS, every state kept together with
its parent (what trace reconstruction needs); bytes/state is the growth of the
process's resident memory during the search divided by the states stored.
SPIN 6.5.2: `gcc -O2 -DSAFETY -DBFS -DNOREDUCE`, bytes/state is pan's "memory
usage for states" over states stored.

"""

RESULTS_TAIL = """
Per stored state hugemc is slower and larger than SPIN's compiled C (the
first two ratio columns); but it stores far fewer states for the same model,
so the whole check takes a fraction of SPIN's time and memory (the last two).
The targets of issue 6 (300,000 states/s and 64 bytes per stored state at
about a million states) are not met yet: see the closing note of the session
that wrote this.

Why the state counts differ: the models have the same atomicity for shared
accesses, but SPIN makes a state of every Promela statement, including
local ones (the guard `v == 0`, `got = false`, the resets at the end of the
loop), while hugemc merges computation on locals into the neighbouring
shared step and resets dead locals, so it stores fewer, coarser states for the
same behaviours. The verdicts agree (holds; with -DBUG the freeze assertion
is violated).
"""

if __name__ == "__main__":
    sys.exit(main())
