"""The compiled engine agrees with the Python engine, state for state.

Each shipped example, and the takeover of a running Python search, must give
exactly the Python BFS's result: states, transitions, depth, completeness,
every violation with the same path of states (so the same shortest
counterexample), the same reached properties and warnings, and the same
coverage (hits per node and per step). Random programs are compared in
tests/test_differential.py, which runs both engines too.

The C is built with -O0 here (HUGEMC_CC_OPT, set in conftest.py): what is
tested is the generated code's meaning, the same at every level.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hugemc.backend import compile_program
from hugemc.backend.jit import Build, JitUnavailable, jit_model
from hugemc.check import CheckOptions, check_scenario
from hugemc.explore import Limits, bfs
from hugemc.explore.compiled import compiled_bfs
from hugemc.lang import build_program
from hugemc.scenario import load_scenario
from test_reduce import LOCKED  # three lockers, or a sloppy counter

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
BIG = {"seed-merged-contended"}  # minutes of Python BFS in CI: compared in the bench instead


def summary(r, model) -> dict:
    """Everything a search result says, in comparable form."""
    return {
        "states": r.states, "transitions": r.transitions, "depth": r.depth, "complete": r.complete,
        "limit": r.limit,
        "violations": {k: (f.kind, f.message, f.path, f.thread) for k, f in r.violations.items()},
        "reached": {k: f.path for k, f in r.reached.items()},
        "warnings": {k: f.path for k, f in r.warnings.items()},
        "node_hits": model.coverage.node_hits(), "step_hits": model.coverage.step_hits(),
    }


def both(path: Path, limits: Limits = Limits()):
    prog = build_program(load_scenario(path))
    m1, m2 = compile_program(prog), compile_program(prog)
    r1 = bfs(m1, limits)
    jm = jit_model(m2)
    r2 = compiled_bfs(m2, jm, limits)
    return summary(r1, m1), summary(r2, m2), jm


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.stem not in BIG], ids=lambda p: p.stem)
def test_example_agrees(path):
    a, b, jm = both(path)
    assert a == b, f"{path.stem}: the engines disagree ({jm.describe()})"


def test_goto_compiled_steps_agree():
    """A model whose large steps are compiled node by node (loops over pages with branches inside)."""
    a, b, jm = both(ROOT / "examples" / "hugetlb-pool-speculative.toml")
    assert jm.info["cfg_steps"] > 0 and not jm.info["fallback_steps"]
    assert a == b


@pytest.mark.parametrize("limits", [Limits(max_states=100), Limits(max_depth=7), Limits(max_depth=1)],
                         ids=["max_states", "max_depth", "depth1"])
def test_limits_agree(limits):
    a, b, _ = both(ROOT / "examples" / "dissolve-2021-race.toml", limits)
    assert not a["complete"] and a == b


class _Later:
    """A build that becomes ready after some polls (to test the takeover mid-search)."""

    def __init__(self, jm, after: int) -> None:
        self.jm, self.after, self.result = jm, after, None

    def poll(self):
        self.after -= 1
        if self.after <= 0:
            self.result = self.jm
        return self.result


@pytest.mark.parametrize("after", [1, 4, 12])
def test_takeover_mid_search(after):
    """The Python engine starts; the compiled one takes over between two batches: same result."""
    path = ROOT / "examples" / "dissolve-2021-race.toml"
    prog = build_program(load_scenario(path))
    m1, m2 = compile_program(prog), compile_program(prog)
    a = summary(bfs(m1), m1)
    later = _Later(jit_model(m2), after)
    b = summary(bfs(m2, upgrade=later), m2)
    assert later.result is not None  # it did take over
    assert a == b


def test_cache_hit_and_key():
    path = ROOT / "examples" / "seed-merged.toml"
    prog = build_program(load_scenario(path))
    jit_model(compile_program(prog))
    again = Build(compile_program(prog))
    assert again.result is not None and again.result.cached  # from the cache, at once


def test_check_uses_and_reports_the_engine(tmp_path):
    r = check_scenario(ROOT / "examples" / "dissolve-2021-race.toml", CheckOptions(engine="compiled"))
    assert r.ok and r.stats.engine == "compiled" and "compiled engine" in r.stats.engine_note
    p = check_scenario(ROOT / "examples" / "dissolve-2021-race.toml", CheckOptions(engine="python"))
    assert p.stats.engine == "python"
    assert [(v.property, len(v.trace.steps)) for v in r.violations] == \
        [(v.property, len(v.trace.steps)) for v in p.violations]
    d = check_scenario(ROOT / "examples" / "dissolve-2021-race.toml", CheckOptions(strategy="dfs"))
    assert d.stats.engine == "python" and "DFS" in d.stats.engine_note


def test_no_compiler_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("HUGEMC_CC", str(tmp_path / "no-such-cc"))
    monkeypatch.setenv("HUGEMC_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(JitUnavailable):
        jit_model(compile_program(build_program(load_scenario(ROOT / "examples" / "seed-merged.toml"))))
    r = check_scenario(ROOT / "examples" / "seed-merged.toml", CheckOptions(engine="compiled"))
    assert r.ok and r.stats.engine == "python" and "no C compiler" in r.stats.engine_note


def test_compile_error_is_not_a_crash(monkeypatch, tmp_path):
    """A C compiler that fails: the Python engine checks the scenario, and says why."""
    cc = tmp_path / "badcc"
    cc.write_text("#!/bin/sh\necho 'broken compiler' >&2\nexit 1\n")
    cc.chmod(0o755)
    monkeypatch.setenv("HUGEMC_CC", str(cc))
    monkeypatch.setenv("HUGEMC_CACHE_DIR", str(tmp_path / "cache"))
    r = check_scenario(ROOT / "examples" / "seed-merged.toml", CheckOptions(engine="compiled"))
    assert r.ok and r.stats.engine == "python" and "compiler failed" in r.stats.engine_note
    assert os.listdir(tmp_path / "cache") == [] or all(not f.endswith(".so") for f in os.listdir(tmp_path / "cache"))


@pytest.mark.parametrize("name", ["dissolve-2021-race", "hugetlb-pool-speculative", "mutant-forget-page",
                                  "free-pages-2020-leak", "gigantic-2021-blind-store"])
def test_threads_agree(name):
    """--workers with the compiled engine: states expanded in two threads, inserted in order: the same result."""
    prog = build_program(load_scenario(ROOT / "examples" / f"{name}.toml"))
    m1, m2 = compile_program(prog), compile_program(prog)
    a = summary(bfs(m1), m1)
    b = summary(compiled_bfs(m2, jit_model(m2), workers=2), m2)
    assert a == b


def test_workers_use_the_compiled_engine():
    r = check_scenario(ROOT / "examples" / "dissolve-2021-race.toml", CheckOptions(workers=2))
    p = check_scenario(ROOT / "examples" / "dissolve-2021-race.toml", CheckOptions(engine="python", workers=2))
    assert r.stats.engine == "compiled" and p.stats.engine == "python" and r.stats.workers == 2
    assert r.ok and (r.stats.states, r.stats.transitions) == (p.stats.states, p.stats.transitions)


def sym_both(path: Path, workers: int = 1):
    """Python BFS and compiled BFS, both under symmetry reduction."""
    from hugemc.explore.reduce import Reduction
    prog = build_program(load_scenario(path))
    m1, m2 = compile_program(prog), compile_program(prog)
    r1 = bfs(m1, reduce=Reduction(m1, symmetry=True))
    jm = jit_model(m2)
    r2 = compiled_bfs(m2, jm, reduce=Reduction(m2, symmetry=True), workers=workers)
    assert r2.reduction == r1.reduction and "symmetry" in r2.reduction
    return summary(r1, m1), summary(r2, m2), jm


@pytest.mark.parametrize("name", ["frozen-allocator-2025", "lost-update"])
def test_symmetry_agrees(name):
    """Canonical states computed in C: the same states, paths and coverage as the Python engine's."""
    a, b, jm = sym_both(ROOT / "examples" / f"{name}.toml")
    assert jm.info["sym_groups"] and a == b


def test_symmetry_renames_lock_holders(tmp_path):
    """Three identical lockers: a lock word holding a moved thread's id is renamed with it (in C too)."""
    from conftest import write_scenario
    p = write_scenario(tmp_path, LOCKED, {"w": ("worker()", 3)})
    a, b, jm = sym_both(p)
    assert jm.info["sym_groups"] == [[0, 1, 2]] and a == b
    full = bfs(compile_program(build_program(load_scenario(p))))
    assert a["states"] < full.states
    a2, b2, _ = sym_both(p, workers=2)
    assert a2 == b2
    r = check_scenario(p, CheckOptions(engine="compiled", symmetry=True))
    assert r.ok and r.stats.engine == "compiled" and "symmetry" in r.stats.reduction
    assert r.stats.states == a["states"]


def test_symmetry_counterexample_is_concrete(tmp_path):
    """A race found on canonical states is reported as the concrete run the Python engine reports."""
    from conftest import write_scenario
    p = write_scenario(tmp_path, LOCKED, {"s": ("sloppy()", 3)}, expect=["all_counted"])
    r = check_scenario(p, CheckOptions(engine="compiled", symmetry=True))
    q = check_scenario(p, CheckOptions(engine="python", symmetry=True))
    assert r.stats.engine == "compiled" and r.verdict == q.verdict == "violated" and r.ok
    assert [len(v.trace.steps) for v in r.violations] == [len(v.trace.steps) for v in q.violations]
    assert [[s.thread for s in v.trace.steps] for v in r.violations] == \
        [[s.thread for s in v.trace.steps] for v in q.violations]


def test_large_model_built_from_several_units(monkeypatch, tmp_path):
    """A large model's C is split into translation units compiled at once: the same engine."""
    from hugemc.backend.jit import generate_units
    monkeypatch.setenv("HUGEMC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    path = ROOT / "examples" / "dissolve-2021-race.toml"
    prog = build_program(load_scenario(path))
    srcs, _ = generate_units(compile_program(prog), 3)
    assert len(srcs) == 3 and sum("hm_batch(" in s for s in srcs) == 1
    small, _ = generate_units(compile_program(build_program(load_scenario(ROOT / "examples" / "lost-update.toml"))), 3)
    assert len(small) == 1  # too small to be worth splitting
    a, b, jm = both(path)
    assert not jm.cached and a == b


def test_symmetry_takeover_mid_search():
    """--symmetry under --engine auto: the compiled engine takes over a reduced search, same result."""
    from hugemc.explore.reduce import Reduction
    prog = build_program(load_scenario(ROOT / "examples" / "frozen-allocator-2025.toml"))
    m1, m2 = compile_program(prog), compile_program(prog)
    a = summary(bfs(m1, reduce=Reduction(m1, symmetry=True)), m1)
    later = _Later(jit_model(m2), 4)
    r = bfs(m2, upgrade=later, reduce=Reduction(m2, symmetry=True))
    assert later.result is not None and "symmetry" in r.reduction
    assert a == summary(r, m2)


@pytest.mark.parametrize("name,wide", [("independent-pages", False), ("hugetlb-pool-speculative", True)])
def test_tables_grown_from_their_smallest(monkeypatch, name, wide):
    """Grown from a few entries: rebuilt from the states (32-bit entries) or moved over by their hash
    half (64-bit entries), the table gives the same search as one that never grows."""
    from hugemc.explore import compiled
    prog = build_program(load_scenario(ROOT / "examples" / f"{name}.toml"))
    m1, m2 = compile_program(prog), compile_program(prog)
    jm = jit_model(m1)
    assert (jm.words > 2) == wide
    a = summary(compiled_bfs(m1, jm), m1)
    monkeypatch.setattr(compiled, "KEYS0", 4)
    monkeypatch.setattr(compiled, "TABLE0", 8)
    S = compiled.CompiledSearch(m2, jit_model(m2), Limits(), None, None)
    assert len(S.table) == 8 and S.table.itemsize == (8 if wide else 4)
    b = summary(compiled_bfs(m2, jit_model(m2)), m2)
    assert a["states"] > 5000 and a == b


SHIFTS = """
int n __range(-1, 70);
long r __range(0, 7);
int big __range(0, 1);
void t(void) { n = nondet_int(-1, 70); STEP; }
REACHABLE(shift63) { return n == 63 && r == RVAL && big == 1; }
REACHABLE(shift62) { return n == 62 && r == RVAL && big == 1; }
"""
SHIFT_STEPS = {"<<": ("r = (7 << n) >> n; big = (1 << n) > (1 << 40)", "7"),
               ">>": ("r = ((7 << 59) >> n) & 7; big = ((1 << 59) >> n) == 0", "0")}


@pytest.mark.parametrize("op", sorted(SHIFT_STEPS))
def test_shift_counts_beyond_63_are_errors_in_both_engines(tmp_path, op):
    """Counts 0..63 shift (the C hands 62 and 63 to Python, never shifts by 64); others are domain_overflow."""
    from conftest import write_scenario
    step, r = SHIFT_STEPS[op]
    src = SHIFTS.replace("STEP", step).replace("RVAL", r)
    p = write_scenario(tmp_path, src, {"t": "t()"}, expect=["domain_overflow", "shift63", "shift62"])
    a, b, jm = both(p)
    assert a == b, jm.describe()
    kind, message, _, _ = a["violations"]["domain_overflow"]
    assert kind == "domain_overflow" and ("shift count 64 cannot be meant" in message
                                          or "negative shift count -1" in message)
    assert set(a["reached"]) == {"shift63", "shift62"}
    assert re.match(r"compiled engine: (\d+) of \1 steps", jm.describe()), jm.describe()
