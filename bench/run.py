"""Benchmark: hugemc on three scalable model families, and SPIN on the one it has.

    python bench/run.py                          # every family at its default sizes
    python bench/run.py --smoke                  # the smallest size of each family (CI runs this; no timing assertion)
    python bench/run.py --family refcount --sizes 3x3 --big --json rows.json   # against SPIN, up to 5 x 3
    python bench/run.py --family seed,gigantic   # some families only (repeatable)
    python bench/run.py --sizes 3x2,3x3 --write  # refcount at these sizes, and rewrite its part of bench/RESULTS.md
    python bench/run.py --seed-sizes 4x4 --gigantic-sizes 7
    python bench/run.py --ray                    # --engine ray on a local cluster: 1, 2, ... workers (seed 4x4)
    python bench/run.py --ray --ray-size 3x4 --ray-workers 1,2 --write

The families (each must hold; a size whose verdict is not "holds" makes the run exit 1):

refcount  N x M: the refcount freeze model `bench/refcount.c` (N speculative
          getters on M page counts and a freezer), checked by hugemc and by
          SPIN's compiled verifier on `bench/refcount.pml`, with the ratios
          hugemc/SPIN measured in the same run. Sizes: --sizes, default
          2x2,3x2,2x3,3x3.
seed      R x P: the merged freeze patch (FREEZE_PATCH = 3) of
          examples/seed-merged-contended.toml scaled by R readers (pfn
          scanners) and P pages (NR_PAGES, even: P/2 order-1 blocks). The
          allocators are fixed at two `alloc_fresh_huge_page()` threads, as in
          that example: with one the extra pages are mostly never touched (more
          pages make fewer states), with two they compete for the blocks and
          both axes grow the state space. The scanners are spread round-robin
          over the block heads (pfn 0, 2, 4, ...). 4x4 is that example
          itself. Sizes: --seed-sizes, default 2x2,2x4,3x4,3x6.
gigantic  T: gigantic prep as merged (GIGANTIC_PREP = 3) of
          examples/gigantic-merged.toml with T tail pages: GIGANTIC_ORDER =
          log2(T + 1), so T is 1, 3, 7 or 15 (compound_order's domain ends at
          4), and NR_PAGES = T + 1, one run. Two `alloc_fresh_gigantic_page()`
          threads compete for the run; pfn scanners sit on the head and on
          the last page of each power-of-two prefix (pfn 0, 1, 3, ..., T), so a
          freeze can fail after 0, 1, 3, ..., T pages were frozen and the undo
          runs over each of those lengths. Sizes: --gigantic-sizes, default
          1,3,7. T = 15 (16 pages) is accepted but big: more than 1.4
          million states (a 40-second run at about 35,000 states/s did not
          finish); --symmetry and --workers 2 help.

Without --family, the families run are those whose size option is given, or
all of them when none is. For each size it prints states, transitions,
seconds (the search alone), states/second, peak RSS, bytes per stored state
(process growth) and the exact bytes per state of the state store, for
hugemc (the default, compiled engine; its build, into an empty cache, is
timed apart as compile_seconds), hugemc-python (the reference engine),
hugemc --por and (seed, gigantic) hugemc --symmetry, and, for refcount, for
SPIN's compiled verifier on refcount.pml without (spin) and with (spin-por)
partial-order reduction and on refcount_steps.pml (spin-steps: hugemc's
atomicity, the same state count; its gcc time is its compile_seconds). Then
the ratios: states/s and end-to-end speed of hugemc against spin-steps, the
reduction factors, compiled against Python. A full run (no size options), or
--big, adds the target rows: refcount 4 x 3 (1.5 million states) and 5 x 3
(56 million), hugemc and spin-steps. --json FILE writes one row per
measurement. SPIN has no Promela model of seed and gigantic: those rows have
no SPIN peer.
--ray measures the sharded search (`--engine ray`) instead: one family size
(`--ray-family`, `--ray-size`, default seed 4x4, the 366,988 states of
examples/seed-merged-contended.toml) on a local Ray cluster with 1, 2, ...
CPUs and as many shards (`--ray-workers`, default 1, 2 and every power of two
up to the machine's cores), next to the one-process BFS; per run the states
per second, the seconds to compile the model in the shards, the states and
store bytes per state of each shard, and each shard's peak RSS.
Each measurement runs in a fresh process so peak memory is its own. SPIN
needs the Debian packages spin and gcc; when they are missing its columns say
so. --write rewrites the sections of bench/RESULTS.md of the families run and
keeps the others.
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
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAMILIES = ("refcount", "seed", "gigantic")
DEFAULT_SIZES = [(2, 2), (3, 2), (2, 3), (3, 3)]           # refcount: N getters x M pages
SEED_SIZES = [(2, 2), (2, 4), (3, 4), (3, 6)]              # seed: R readers x P pages
GIGANTIC_SIZES = [(1,), (3,), (7,)]                        # gigantic: T tail pages
FAMILY_SIZES = {"refcount": DEFAULT_SIZES, "seed": SEED_SIZES, "gigantic": GIGANTIC_SIZES}
SEED_ALLOCATORS = 2
GIGANTIC_ALLOCATORS = 2

# the properties of the examples the families come from; REACHABLE ones must be reached
SEED_PROPERTIES = ["no_ref_on_frozen", "buddy_pages_unreferenced", "refcount_conserved", "no_leak",
                   "hugetlb_free_pages_unreferenced", "freeze_failed_then_retried", "alloc_gave_up"]
GIGANTIC_PROPERTIES = ["no_ref_on_frozen", "buddy_pages_unreferenced", "refcount_conserved", "no_leak",
                       "hugetlb_free_pages_unreferenced", "gigantic_prep_undo_ran"]


# pan's memory bound (MB): half of this machine's memory, at most 8 GiB, so that SPIN cannot take
# the whole machine (it stops with "memory limit" instead, which the row reports)
PAN_MEMLIM_MB = min(8192, (os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 2 ** 21)


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


def _toml_list(xs: list[str]) -> str:
    return "[" + ", ".join(f'"{x}"' for x in xs) + "]"


def _scanner_threads(pfns: list[int]) -> list[str]:
    """One thread entry per pfn, with a count for pfns visited by several scanners."""
    return [f'scanner{pfn} = {{ call = "pfn_scanner({pfn})", count = {c} }}'
            for pfn, c in sorted(Counter(pfns).items())]


def seed_scanner_pfns(r: int, p: int) -> list[int]:
    """The pfns of R scanners spread round-robin over the block heads of P pages (order-1 blocks)."""
    heads = list(range(0, p, 2))
    return [heads[k % len(heads)] for k in range(r)]


def seed_scenario_text(r: int, p: int) -> str:
    """The merged freeze patch with two allocators, R pfn scanners and P pages.

    The models and property files are found in the shipped library (the
    scenario loader searches it after the scenario's own folder), so the
    scenario can live anywhere.
    """
    if r < 1 or p < 2 or p % 2:
        raise ValueError(f"seed size {r}x{p}: need R >= 1 readers and an even P >= 2 pages (order-1 blocks)")
    pfns = seed_scanner_pfns(r, p)
    lines = ['description = "merged freeze patch: %d allocators, %d scanners, %d pages"' % (SEED_ALLOCATORS, r, p),
             'models = ["mm/hugetlb.c", "mm/speculative.c"]', 'property_files = ["refcount.c", "hugetlb.c"]',
             f"properties = {_toml_list(SEED_PROPERTIES)}", 'init = "mm_init()"', 'expect = "holds"',
             "[defines]", f"NR_PAGES = {p}", "FREEZE_PATCH = 3"]
    per_head = max(Counter(pfns).values())
    if per_head + 1 > 4:  # a head's count: the allocator's reference and every scanner's (REF_MAX defaults to 4)
        lines.append(f"REF_MAX = {per_head + 1}")
    lines += ["[threads]", f'alloc = {{ call = "alloc_fresh_huge_page()", count = {SEED_ALLOCATORS} }}']
    lines += _scanner_threads(pfns)
    return "\n".join(lines) + "\n"


def gigantic_order(t: int) -> int:
    """GIGANTIC_ORDER for T tail pages (T + 1 a power of two, order 1 to 4)."""
    order = (t + 1).bit_length() - 1
    if t < 1 or (1 << order) != t + 1 or order > 4:
        raise ValueError(f"gigantic size {t}: T tails must be 1, 3, 7 or 15 (2^order - 1, order 1 to 4)")
    return order


def gigantic_scanner_pfns(t: int) -> list[int]:
    """The head, and the last page of each power-of-two prefix of the run: 0, 1, 3, ..., T."""
    return [0] + [(1 << k) - 1 for k in range(1, gigantic_order(t) + 1)]


def gigantic_scenario_text(t: int) -> str:
    """Gigantic prep as merged with T tails: one run of T + 1 pages, two allocators, scanners on 0, 1, 3, ..., T."""
    order = gigantic_order(t)
    lines = [f'description = "gigantic prep as merged: {t} tails, {GIGANTIC_ALLOCATORS} allocators"',
             'models = ["mm/gigantic.c", "mm/speculative.c"]', 'property_files = ["refcount.c", "gigantic.c"]',
             f"properties = {_toml_list(GIGANTIC_PROPERTIES)}", 'init = "mm_init()"', 'expect = "holds"',
             "[defines]", f"NR_PAGES = {t + 1}", "GIGANTIC_PREP = 3", f"GIGANTIC_ORDER = {order}",
             "[threads]", f'alloc = {{ call = "alloc_fresh_gigantic_page()", count = {GIGANTIC_ALLOCATORS} }}']
    lines += _scanner_threads(gigantic_scanner_pfns(t))
    return "\n".join(lines) + "\n"


def family_scenario(family: str, size: tuple, bug: bool = False) -> tuple[str, list[Path], list[str]]:
    """(scenario TOML, files to copy next to it, REACHABLE properties that must be reached)."""
    if family == "refcount":
        return scenario_text(*size, bug), [HERE / "refcount.c"], []
    if bug:
        raise ValueError("only the refcount family has a planted bug")
    if family == "seed":
        return seed_scenario_text(*size), [], ["freeze_failed_then_retried", "alloc_gave_up"]
    if family == "gigantic":
        return gigantic_scenario_text(*size), [], ["gigantic_prep_undo_ran"]
    raise ValueError(f"unknown family '{family}' (one of {', '.join(FAMILIES)})")


def parse_size(family: str, text: str) -> tuple:
    """'3x2' for refcount and seed, '7' for gigantic."""
    parts = text.strip().lower().split("x")
    want = 1 if family == "gigantic" else 2
    if len(parts) != want or not all(x.strip().isdigit() for x in parts):
        raise ValueError(f"bad {family} size '{text}': expected " + ("T" if want == 1 else "AxB"))
    size = tuple(int(x) for x in parts)
    family_scenario(family, size)  # validates the size
    return size


def size_label(size: tuple) -> str:
    return " x ".join(map(str, size))


def rss_now() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


VARIANTS = {
    "bfs": "hugemc",                 # the default engine: compiled (generated C)
    "python": "hugemc-python",       # the reference engine
    "por": "hugemc --por",
    "symmetry": "hugemc --symmetry",
    "workers2": "hugemc --workers 2",
}


def search(model, variant: str = "bfs", jm=None):
    """The exhaustive search every hugemc measurement runs (the one place it is called)."""
    from hugemc.explore import bfs
    from hugemc.explore.parallel import parallel_bfs
    from hugemc.explore.reduce import Reduction
    if variant == "bfs":
        from hugemc.explore.compiled import compiled_bfs
        return compiled_bfs(model, jm)
    if variant == "workers2":  # the compiled engine expanding in 2 threads (the Python engine's processes without one)
        if jm is not None:
            from hugemc.explore.compiled import compiled_bfs
            return compiled_bfs(model, jm, workers=2)
        return parallel_bfs(model, workers=2)
    if variant == "symmetry" and jm is not None:  # canonicalised in the compiled engine, as `check --symmetry` does
        from hugemc.explore.compiled import compiled_bfs
        return compiled_bfs(model, jm, reduce=Reduction(model, symmetry=True))
    if variant in ("por", "symmetry"):
        return bfs(model, reduce=Reduction(model, por=variant == "por", symmetry=variant == "symmetry"))
    return bfs(model)


def measure_family(family: str, size: tuple, bug: bool = False, variant: str = "bfs") -> dict:
    """Run in this (fresh) process: build, compile, search; return the figures and the verdict."""
    sys.path.insert(0, str(HERE.parent))
    from hugemc.backend import compile_program
    from hugemc.lang import build_program
    from hugemc.scenario import load_scenario
    text, files, must_reach = family_scenario(family, size, bug)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"{family}.toml"
        for f in files:
            shutil.copy(f, Path(d) / f.name)
        p.write_text(text)
        model = compile_program(build_program(load_scenario(p)))
        jm, compile_secs = None, 0.0
        if variant in ("bfs", "workers2", "symmetry"):
            from hugemc.backend.jit import jit_model
            # a cache of this bench run's own (else of this child's): the first variant of a model, the default
            # engine's row, measures a cold build; the later ones reuse it
            os.environ["HUGEMC_CACHE_DIR"] = os.environ.get("HUGEMC_BENCH_CACHE") or str(Path(d) / "cache")
            t0 = time.perf_counter()
            jm = jit_model(model)
            compile_secs = time.perf_counter() - t0
        base = rss_now()
        t0 = time.perf_counter()
        r = search(model, variant, jm)
        secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    violations = sorted(r.violations)
    reached = sorted(getattr(r, "reached", {}) or {})
    unreached = [x for x in must_reach if x not in reached]
    complete = getattr(r, "complete", True)
    verdict = ("violated" if violations else "incomplete" if not complete
               else "unreached" if unreached else "holds")
    return {"tool": VARIANTS[variant], "family": family, "size": list(size), "states": r.states,
            "transitions": r.transitions, "seconds": secs, "compile_seconds": compile_secs,
            "store_bytes": r.store_bytes,
            "states_per_second": r.states / secs if secs else 0.0, "peak_rss": peak,
            "bytes_per_state": max(peak - base, 0) / max(r.states, 1),
            "store_bytes_per_state": r.store_bytes / max(r.states, 1), "reduction": r.reduction,
            "state_bits": model.layout.bits, "violations": violations,
            "reached": reached, "unreached": unreached, "complete": complete, "verdict": verdict,
            "depth": r.depth}


def measure_ray(family: str, size: tuple, workers: int) -> dict:
    """In this (fresh) process: a local Ray cluster of ``workers`` CPUs, the sharded search; the figures."""
    sys.path.insert(0, str(HERE.parent))
    import logging

    import ray
    from hugemc.backend import compile_program
    from hugemc.explore.raybfs import ray_bfs
    from hugemc.lang import build_program
    from hugemc.scenario import load_scenario
    text, files, must_reach = family_scenario(family, size)
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"{family}.toml"
        for f in files:
            shutil.copy(f, Path(d) / f.name)
        p.write_text(text)
        model = compile_program(build_program(load_scenario(p)))
        r = ray_bfs(model, workers=workers)
    infos = r.shard_info
    states = r.shard_states
    verdict = "violated" if r.violations else "incomplete" if not r.complete else "holds"
    return {"tool": f"hugemc --engine ray --workers {workers}", "family": family, "size": list(size),
            "workers": workers, "states": r.states, "transitions": r.transitions, "seconds": r.seconds,
            "setup_seconds": r.setup_seconds, "states_per_second": r.states / r.seconds if r.seconds else 0.0,
            "shard_states": states, "imbalance": max(states) / (sum(states) / len(states)),
            "shard_store_bytes_per_state": [i["bytes"] / max(n, 1) for i, n in zip(infos, states)],
            "shard_peak_rss": [i["peak"] for i in infos], "depth": r.depth, "verdict": verdict,
            "shard_states_per_cpu_second": [n / i["cpu"] if i["cpu"] else 0.0 for i, n in zip(infos, states)],
            "exchange_bytes_per_state": r.exchange_bytes / max(r.states, 1), "state_bits": model.layout.bits,
            "complete": r.complete}


def run_ray(family: str, size: tuple, workers: list[int]) -> dict:
    """The scaling table of --engine ray: one-process BFS, then each number of workers (fresh processes)."""
    base = run_child("hugemc", family, size)
    rows = ["| workers | states | seconds | states/s | speed-up | shard compile s | states per shard | "
            "imbalance | store bytes/state per shard | peak RSS per shard | states per shard CPU-second | "
            "exchanged bytes/state |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    if "error" not in base:
        rows.append(f"| BFS, 1 process | {base['states']:,} | {base['seconds']:.2f} | "
                    f"{base['states_per_second'] / 1e3:,.1f} k | | | | | {base['store_bytes_per_state']:,.1f} | "
                    f"{base['peak_rss'] / 1048576:,.0f} MiB | | |")
    ok = "error" not in base
    first = None
    for w in workers:
        pr = subprocess.run([sys.executable, __file__, "--child", "ray", family, "x".join(map(str, size)), str(w)],
                            capture_output=True, text=True)
        if pr.returncode != 0:
            err = pr.stderr.strip().splitlines()[-1] if pr.stderr.strip() else "failed"
            rows.append(f"| {w} | {err} | | | | | | | | | | |")
            ok = False
            continue
        r = json.loads(pr.stdout.strip().splitlines()[-1])
        print(f"  {w} worker(s): {r['states']:,} states, {r['seconds']:.2f} s", flush=True)
        ok = ok and r["verdict"] == "holds" and ("error" in base or r["states"] == base["states"])
        first = first or r
        rows.append(f"| {w} | {r['states']:,} | {r['seconds']:.2f} | {r['states_per_second'] / 1e3:,.1f} k | "
                    f"{r['states_per_second'] / first['states_per_second']:.2f} | {r['setup_seconds']:.1f} | "
                    + " / ".join(f"{n:,}" for n in r["shard_states"]) + f" | {r['imbalance']:.3f} | "
                    + " / ".join(f"{b:,.1f}" for b in r["shard_store_bytes_per_state"]) + " | "
                    + " / ".join(f"{b / 1048576:,.0f}" for b in r["shard_peak_rss"]) + " MiB | "
                    + " / ".join(f"{x / 1e3:,.1f} k" for x in r["shard_states_per_cpu_second"]) + " | "
                    + f"{r['exchange_bytes_per_state']:,.0f} |")
    return {"rows": rows, "ok": ok, "family": family, "size": size}


def ray_section(out: dict) -> str:
    """The RESULTS.md section of --ray."""
    return (f"## {RAY_TITLE}\n\nMeasured on {time.strftime('%Y-%m-%d')}, {machine()}: "
            f"{out['family']} {size_label(out['size'])}, a local Ray cluster started with as many CPUs as "
            "workers (one shard each), next to the one-process BFS. seconds: the search (compiling the model "
            "in the shards is the next column); speed-up: states/s over 1 worker; states per shard "
            "CPU-second: each shard's states over the CPU time it spent on levels (what the cores give "
            "when they are not shared: on 2 cores the driver, Ray's processes and 2 shards share them, "
            "so the wall-clock speed-up cannot show there). See docs/distributed.md.\n\n"
            + "\n".join(out["rows"]) + "\n")


RAY_TITLE = "ray: --engine ray on a local cluster, states/s against workers"


def measure_hugemc(n: int, m: int, bug: bool = False) -> dict:
    """The refcount model, N getters on M pages (see measure_family)."""
    return measure_family("refcount", (n, m), bug)


SPIN_VARIANTS = {
    "noreduce": ("spin", "refcount.pml", ["-DNOREDUCE"]),
    "por": ("spin-por", "refcount.pml", []),
    "steps": ("spin-steps", "refcount_steps.pml", ["-DNOREDUCE"]),  # hugemc's atomicity: the same states
}


def measure_spin(n: int, m: int, bug: bool = False, variant: str = "noreduce") -> dict:
    """Compile and run SPIN's verifier (BFS); return the figures or the reason it could not.

    ``noreduce``: refcount.pml without partial-order reduction; ``por``: with
    SPIN's reduction; ``steps``: refcount_steps.pml (hugemc's atomicity), whose
    state count equals hugemc's.
    """
    label, model, flags = SPIN_VARIANTS[variant]
    if not shutil.which("spin") or not shutil.which("gcc"):
        return {"tool": label, "error": "spin or gcc not installed (Debian: apt-get install spin gcc)"}
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(HERE / model, Path(d) / model)
        defs = [f"-DN={n}", f"-DM={m}"] + (["-DBUG"] if bug else [])
        t0 = time.perf_counter()
        subprocess.run(["spin", *defs, "-a", model], cwd=d, check=True, capture_output=True)
        subprocess.run(["gcc", "-O2", "-DSAFETY", "-DBFS", *flags, f"-DMEMLIM={PAN_MEMLIM_MB}", "-o", "pan", "pan.c"],
                       cwd=d, check=True, capture_output=True)
        compile_secs = time.perf_counter() - t0
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
    return {"tool": label, "states": states, "transitions": trans, "seconds": secs, "compile_seconds": compile_secs,
            "store_bytes": int(mem_states * 1048576),
            "states_per_second": states / secs if secs else 0.0, "peak_rss": total * 1048576,
            "bytes_per_state": mem_states * 1048576 / max(states, 1),
            "errors": int(num(r"errors: (\d+)"))}


_RUN_CACHE: list = []


def run_child(which: str, family: str, size: tuple, variant: str = "bfs") -> dict:
    """Measure one size in a fresh process (`which` is hugemc or spin; `variant` one of theirs)."""
    if not _RUN_CACHE:  # the compiled engines built during this run (removed at exit)
        _RUN_CACHE.append(tempfile.TemporaryDirectory(prefix="hugemc-bench-"))
        os.environ["HUGEMC_BENCH_CACHE"] = _RUN_CACHE[0].name
    p = subprocess.run([sys.executable, __file__, "--child", which, family, "x".join(map(str, size)), variant],
                       capture_output=True, text=True)
    if p.returncode != 0:
        label = VARIANTS.get(variant, "hugemc") if which == "hugemc" else SPIN_VARIANTS[variant][0]
        return {"tool": label, "error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed"}
    return json.loads(p.stdout)


def fmt_row(label: str, r: dict) -> str:
    if "error" in r:
        return f"| {label} | {r['tool']} | {r['error']} | | | | | | |"
    store = f"{r['store_bytes_per_state']:,.0f}" if "store_bytes_per_state" in r else ""
    return (f"| {label} | {r['tool']} | {r['states']:,} | {r['transitions']:,} | {r['seconds']:.2f} | "
            f"{r['states_per_second'] / 1e3:,.0f} k | {r['peak_rss'] / 1048576:,.0f} MiB | "
            f"{r['bytes_per_state']:,.0f} | {store} |")


TABLE_HEAD = ("| {axes} | tool | states | transitions | seconds | states/s | peak RSS | bytes/state | "
              "store bytes/state |")
AXES = {"refcount": "N x M", "seed": "R x P", "gigantic": "T"}
TITLES = {"refcount": "refcount: N getters x M pages, hugemc and SPIN",
          "seed": "seed: the merged freeze patch, R readers x P pages (hugemc only: no Promela model)",
          "gigantic": "gigantic: gigantic prep as merged, T tail pages (hugemc only: no Promela model)"}


def verdict_line(results: list[tuple[tuple, dict]]) -> str:
    """'Verdict: ...' for a family's hugemc rows (and the race windows reached)."""
    parts, windows = [], set()
    for size, h in results:
        v = h.get("verdict", "error: " + h.get("error", "?"))
        if v != "holds":
            detail = h.get("violations") or h.get("unreached") or []
            parts.append(f"{size_label(size)}: {v}" + (f" ({', '.join(detail)})" if detail else ""))
        windows.update(h.get("reached", []))
    head = "Verdict: holds at every size" if not parts else "Verdict: NOT as expected at " + "; ".join(parts)
    return head + (f"; race windows reached: {', '.join(sorted(windows))}." if windows else ".")


TARGET = (4, 3)  # refcount at about 1.5 million states: the speed and memory targets (hugemc only)
HUGEMC_ROWS = {"refcount": ["bfs", "python", "por"], "seed": ["bfs", "python", "por", "symmetry"],
               "gigantic": ["bfs", "python", "por", "symmetry"]}
TARGETS = [(4, 3), (5, 3)]  # larger refcount sizes: hugemc (compiled) and SPIN on refcount_steps.pml only


def _factor(a: dict, b: dict, key: str = "states") -> str:
    if "error" in a or "error" in b or not b.get(key):
        return ""
    return f"{a[key] / b[key]:.2f}"


def run_family(family: str, sizes: list[tuple], target: bool = False) -> dict:
    """Measure every size of one family; print rows as they come; return the tables."""
    axes = AXES[family]
    rows = [TABLE_HEAD.format(axes=axes), "|---|---|---|---|---|---|---|---|---|"]
    if family == "refcount":
        ratios = [f"| {axes} | states/s hugemc/SPIN-steps | end-to-end speed hugemc/SPIN-steps (compiling included) | "
                  "states/s hugemc/SPIN | SPIN POR factor | hugemc POR factor | compiled/python | "
                  "states = SPIN-steps |", "|---|---|---|---|---|---|---|---|"]
    else:
        ratios = [f"| {axes} | POR factor | symmetry factor | compiled/python states/s |", "|---|---|---|---|"]
    results = []
    json_rows: list[dict] = []
    print(f"## {TITLES[family]}", flush=True)
    plan = [(s, False) for s in sizes] + ([(t, True) for t in TARGETS] if target and family == "refcount" else [])
    for size, big in plan:
        label = size_label(size) + (" (target)" if big else "")
        hs = {v: run_child("hugemc", family, size, v) for v in (["bfs"] if big else HUGEMC_ROWS[family])}
        h = hs["bfs"]
        results.append((size, h))
        new_rows = [fmt_row(label, x) for x in hs.values()]
        json_rows.extend(_json_row(family, size, x) for x in hs.values())
        speed = _factor(h, hs["python"], "states_per_second") if "python" in hs else ""
        if family == "refcount":
            ss = {v: run_child("spin", family, size, v) for v in (["steps"] if big else SPIN_VARIANTS)}
            new_rows += [fmt_row(label, x) for x in ss.values()]
            json_rows.extend(_json_row(family, size, x) for x in ss.values())
            if big:
                ratios.append(_steps_ratio(label, h, ss["steps"]) + " | | | | | "
                              f"{'yes' if ss['steps'].get('states') == h.get('states') else 'no'} |")
                rows += new_rows
                print("\n".join(new_rows), flush=True)
                continue
            s, sp, st = ss.get("noreduce", {}), ss.get("por", {}), ss.get("steps", {})
            exact = ("yes" if st.get("states") == h.get("states") else f"no ({st.get('states')})") \
                if "error" not in st else st["error"]
            ratios.append(_steps_ratio(label, h, st) + f" | {_factor(h, s, 'states_per_second')} | "
                          f"{_factor(s, sp)} | {_factor(h, hs['por'])} | {speed} | {exact} |")
        else:
            ratios.append(f"| {label} | {_factor(h, hs['por'])} | {_factor(h, hs['symmetry'])} | {speed} |")
        rows += new_rows
        print("\n".join(new_rows), flush=True)
    ok = all(h.get("verdict") == "holds" for _, h in results)
    return {"rows": rows, "ratios": ratios, "verdict": verdict_line(results), "ok": ok, "results": results,
            "json": json_rows}


def _steps_ratio(label: str, h: dict, st: dict) -> str:
    """'| size | states/s ratio | end-to-end ratio' of hugemc against SPIN on refcount_steps.pml."""
    if "error" in h or "error" in st or not st.get("seconds"):
        return f"| {label} | | "
    e2e = (st["seconds"] + st.get("compile_seconds", 0)) / max(h["seconds"] + h.get("compile_seconds", 0), 1e-9)
    return f"| {label} | {_factor(h, st, 'states_per_second')} | {e2e:.2f}"


def _json_row(family: str, size: tuple, r: dict) -> dict:
    """One measurement as a --json row (the search alone in 'seconds'; the compilation apart)."""
    row = {"family": family, "size": size_label(size), "tool": r.get("tool")}
    if "error" in r:
        row["error"] = r["error"]
        return row
    row.update({"states": r["states"], "transitions": r["transitions"], "seconds": round(r["seconds"], 4),
                "compile_seconds": round(r.get("compile_seconds", 0.0), 4),
                "peak_rss_bytes": int(r["peak_rss"]), "store_bytes": int(r.get("store_bytes", 0))})
    return row


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def section(family: str, out: dict) -> str:
    """The RESULTS.md section of one family."""
    head = f"## {TITLES[family]}\n\nMeasured on {time.strftime('%Y-%m-%d')}, {machine()}.\n\n"
    body = "\n".join(out["rows"]) + "\n"
    body += "\nRatios and reduction factors measured in the same run (factor = states without / with):\n\n" \
        + "\n".join(out["ratios"]) + "\n"
    if family == "refcount":
        body += REFCOUNT_TAIL
    else:
        body = SECTION_TEXT[family] + body + "\n" + out["verdict"] + "\n"
    return head + body


def legacy_refcount_section(old: str) -> str | None:
    """The refcount results of a RESULTS.md written before the families (one table, no sections)."""
    t = old.find("| N x M | tool |")
    if t < 0 or "\n## " in old:
        return None
    m = re.search(r"on (\d{4}-\d\d-\d\d), (.+?)\. One run", old, re.S)
    when = f"Measured on {m.group(1)}, {' '.join(m.group(2).split())}.\n\n" if m else ""
    return f"## {TITLES['refcount']}\n\n{when}{old[t:]}"


def write_results(outs: dict, path: Path | None = None) -> None:
    """Rewrite bench/RESULTS.md: fresh sections for the families run, every other section kept in place."""
    path = path or HERE / "RESULTS.md"
    old = path.read_text() if path.exists() else ""
    parts = old.split("\n## ")
    kept = ["## " + p for p in parts[1:]]  # (parts[0] is the head, written afresh)
    fresh = {fam: section(fam, outs[fam]) for fam in FAMILIES if fam in outs}
    sections = []
    for sec in kept:
        fam = next((f for f in FAMILIES if sec.startswith(f"## {TITLES[f]}\n")), None)
        if fam in fresh:
            sections.append(fresh.pop(fam))
        else:
            sections.append(sec)
    if "refcount" not in outs and not any(s.startswith(f"## {TITLES['refcount']}\n") for s in sections):
        legacy = legacy_refcount_section(old)
        if legacy:
            sections.insert(0, legacy)
    sections += [fresh[f] for f in FAMILIES if f in fresh]  # families the file did not have yet
    path.write_text(RESULTS_HEAD + "\n".join(s.rstrip("\n") + "\n" for s in sections))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", action="append",
                    help="family to run: refcount, seed or gigantic (repeatable or comma-separated; default: "
                         "those whose sizes are given, else all)")
    ap.add_argument("--sizes", help="refcount sizes, comma-separated NxM, e.g. 3x2,3x3")
    ap.add_argument("--seed-sizes", help="seed sizes, comma-separated RxP (readers x pages, P even), e.g. 2x4,3x6")
    ap.add_argument("--gigantic-sizes", help="gigantic sizes, comma-separated T (tail pages: 1, 3, 7 or 15)")
    ap.add_argument("--smoke", action="store_true", help="the smallest size of each family only")
    ap.add_argument("--big", action="store_true",
                    help="also the refcount target sizes 4x3 and 5x3 (hugemc and SPIN on refcount_steps.pml), "
                         "which a full run (no size options) includes")
    ap.add_argument("--write", action="store_true", help="rewrite bench/RESULTS.md (the sections of the families run)")
    ap.add_argument("--ray", action="store_true",
                    help="measure --engine ray on a local cluster against the number of workers (see above)")
    ap.add_argument("--ray-family", default="seed", help="--ray: the family (default seed)")
    ap.add_argument("--ray-size", help="--ray: the size (default: seed 4x4, i.e. seed-merged-contended)")
    ap.add_argument("--ray-workers", help="--ray: comma-separated numbers of workers (default 1, 2, 4, ... "
                                          "up to the cores)")
    ap.add_argument("--json", dest="json_out", metavar="FILE",
                    help="also write one JSON row per measurement (family, size, tool, states, transitions, "
                         "seconds, compile_seconds, peak_rss_bytes, store_bytes) to FILE")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        which, family, size_text, variant = a.child
        size = parse_size(family, size_text)
        if which == "ray":
            print(json.dumps(measure_ray(family, size, int(variant))))
            return 0
        print(json.dumps(measure_family(family, size, variant=variant) if which == "hugemc"
                         else measure_spin(*size, variant=variant)))
        return 0
    if a.ray:
        if a.ray_family not in FAMILIES:
            ap.error(f"unknown family '{a.ray_family}' (choose from {', '.join(FAMILIES)})")
        try:
            size = (parse_size(a.ray_family, a.ray_size) if a.ray_size else
                    (4, 4) if a.ray_family == "seed" else FAMILY_SIZES[a.ray_family][-1])
            workers = ([int(w) for w in a.ray_workers.split(",")] if a.ray_workers else
                       sorted({1, 2} | {2 ** k for k in range(1, 8) if 2 ** k <= (os.cpu_count() or 1)}))
        except ValueError as e:
            ap.error(str(e))
        if any(w < 1 for w in workers):
            ap.error("--ray-workers: positive numbers")
        out = run_ray(a.ray_family, size, workers)
        print(f"## {RAY_TITLE}\n")
        print("\n".join(out["rows"]))
        if a.write:
            path = HERE / "RESULTS.md"
            old = path.read_text() if path.exists() else RESULTS_HEAD
            start = old.find(f"## {RAY_TITLE}\n")
            if start >= 0:
                end = old.find("\n## ", start + 1)
                old = old[:start] + (old[end + 1:] if end >= 0 else "")
            path.write_text(old.rstrip("\n") + "\n\n" + ray_section(out))
        return 0 if out["ok"] else 1
    given = {"refcount": a.sizes, "seed": a.seed_sizes, "gigantic": a.gigantic_sizes}
    if a.family:
        families = []
        for item in a.family:
            for f in item.split(","):
                f = f.strip()
                if f not in FAMILIES:
                    ap.error(f"unknown family '{f}' (choose from {', '.join(FAMILIES)})")
                if f not in families:
                    families.append(f)
        families.sort(key=FAMILIES.index)
    else:
        families = [f for f in FAMILIES if given[f]] or list(FAMILIES)
    plan = {}
    for fam in families:
        try:
            sizes = ([parse_size(fam, s) for s in given[fam].split(",")] if given[fam]
                     else FAMILY_SIZES[fam])
        except ValueError as e:
            ap.error(str(e))
        plan[fam] = [min(sizes, key=lambda s: (sum(s), s))] if a.smoke else sizes
    outs = {}
    for fam in families:
        outs[fam] = run_family(fam, plan[fam], target=a.big or (not a.smoke and not given["refcount"]))
        print()
    for fam in families:
        print(f"## {TITLES[fam]}\n")
        print("\n".join(outs[fam]["rows"]))
        print("\nRatios and reduction factors measured in the same run (factor = states without / with):\n")
        print("\n".join(outs[fam]["ratios"]))
        print("\n" + outs[fam]["verdict"] + "\n")
    if a.write:
        write_results(outs)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps([r for fam in families for r in outs[fam]["json"]], indent=1) + "\n")
    return 0 if all(o["ok"] for o in outs.values()) else 1


RESULTS_HEAD = """# Benchmark results

Written by `python bench/run.py --write` (each section says when and where it
was measured). One run per row (noisy 2-core machine: treat as +-20%).
`hugemc` is the default engine (compiled: generated C, built into an empty
cache and timed apart, `compile_seconds` in the `--json` rows) searching
breadth-first; `hugemc-python` is the reference engine; the `--por` and
`--symmetry` rows are the same search with that option (`--por` runs on the
Python engine, `--symmetry` on the compiled one). seconds is the search
alone. bytes/state is the growth of the process's resident memory during the
search divided by the states stored; store bytes/state the exact size of the
visited set (compiled engine: the packed states and the hash table, no parent
index: a trace re-expands the level before each state). SPIN 6.5.2: `gcc -O2
-DSAFETY -DBFS -DNOREDUCE` on `bench/refcount.pml` ("spin"), the same without
`-DNOREDUCE` ("spin-por"), and `bench/refcount_steps.pml` without reduction
("spin-steps": hugemc's atomicity, so exactly hugemc's states); its
bytes/state is pan's "memory usage for states" over states stored, and its
seconds rest on pan's 10 ms clock (ratios below about a million states are
not worth quoting). The module docstring of `bench/run.py` describes each
family's scenario.

"""

REFCOUNT_TAIL = """
Reading the tables:

- **Targets.** 4 x 3 (1.49 million states, one 64-bit word each) and 5 x 3
  (55.9 million states, two words each) are the measuring points: hugemc
  against spin-steps on exactly the same states, single process, BFS, no
  reduction. The first ratio column is states per second, the second end to
  end (each tool's compiler included). store bytes/state counts everything a
  trace needs: 8 bytes a word of state plus the table's share.
- **Against SPIN's own model** (`refcount.pml`) SPIN stores 10-40x more
  states (third ratio column), because hugemc merges local code into the
  shared step around it, so a check takes a fraction of SPIN's time and
  memory even where the states per second are close.
- **Partial-order reduction.** SPIN's POR factor on refcount.pml (1.7-2.2) is
  the interleavings of *local* statements it removes. hugemc never has those
  states, so its own POR finds nothing left to remove here: every getter
  step touches a shared count that the others can still touch (factor
  1.00). Symmetry does not apply either: the getters differ by their first
  page.
- **compiled/python** is the default engine's states per second over the
  reference engine's; below about 10,000 states the compiled engine's fixed
  costs (loading the library, the first table) dominate.

Why the state counts differ, exactly: `bench/refcount_steps.pml` is
`refcount.c` written in Promela with hugemc's atomicity (each hugemc step one
`d_step`, dead locals reset, no `init` process, an entry location per
process), and SPIN stores exactly as many states for it as hugemc does at
every size (last ratio column, "spin, hugemc's steps" rows; the transitions
differ by one: pan counts storing the initial state).
`tests/test_bench_spin_steps.py` checks this equality, also with `-DBUG`.
From refcount.pml to refcount_steps.pml, one change at a time (SPIN states
stored, BFS, no reduction):

| N x M | refcount.pml | no `init` process | one `d_step` per hugemc step | dead `v` reset | entry location per process = hugemc |
|---|---|---|---|---|---|
| 2 x 2 | 6,264 | 6,250 | 1,128 | 432 | 631 |
| 3 x 2 | 362,559 | 362,542 | 42,928 | 6,592 | 9,895 |
| 2 x 3 | 21,948 | 21,933 | 4,245 | 1,608 | 2,050 |
| 3 x 3 | 1,972,368 | 1,972,350 | 253,563 | 37,536 | 48,634 |

- `init` stores exactly 3N + M + 6 states of its own (inside its `atomic`).
- Local statements are SPIN transitions: a getter can stop at 9 locations in
  refcount.pml, 4 in hugemc (load, cmpxchg, assert, put); the freezer at 5
  against 3. This is most of the difference.
- SPIN keeps `v`'s stale value after a failed cmpxchg and until the end of the
  loop; hugemc resets dead locals at step boundaries.
- The other way: a hugemc thread's first step starts at its entry, where `i`
  is still undefined, and no step returns there; a Promela loop that starts at
  its head merges those states (27-50% of hugemc's states at these sizes are
  states where some thread has not moved yet).
"""

SECTION_TEXT = {
    "seed": """The merged freeze patch (`FREEZE_PATCH = 3`) of
`examples/seed-merged-contended.toml`: two `alloc_fresh_huge_page()` threads,
R pfn scanners spread round-robin over the heads of the P/2 order-1 blocks
(pfn 0, 2, ...), P pages. 4 x 4 is that example. SPIN has no Promela model
of it: no SPIN rows.

""",
    "gigantic": """Gigantic prep as merged (`GIGANTIC_PREP = 3`) of
`examples/gigantic-merged.toml` with T tail pages (`GIGANTIC_ORDER` =
log2(T + 1), `NR_PAGES` = T + 1): two `alloc_fresh_gigantic_page()` threads
compete for the run, pfn scanners sit on pfn 0, 1, 3, ..., T, so a freeze can
fail after each of those numbers of pages was frozen. SPIN has no Promela
model of it: no SPIN rows.

""",
}

if __name__ == "__main__":
    sys.exit(main())
