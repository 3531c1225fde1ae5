"""Differential tests: hugemc's BFS and DFS against an independent brute-force enumerator.

Random small programs (and hand-written ones) are written out as a C model
plus a scenario, checked by hugemc, and explored by ``tests/brute.py``, which
executes its own lowering of the same generated structure and imports nothing
from hugemc. They must agree on:

- the number of reachable states (BFS, DFS and ``check_scenario``);
- which properties are violated (assertion, domain_overflow, deadlock,
  unlock_unheld, null_deref, out_of_bounds, warning, INVARIANT, FINAL) and
  which REACHABLE ones are reached;
- lengths: every BFS counterexample, witness and warning trace (raw path and
  replayed trace) is exactly as long as the enumerator's shortest path; DFS
  counterexamples are no shorter;
- how many WARN_ON statements fire.

The generator covers: 1-3 scalar globals with small domains (initial values,
negative bounds), an optional ghost global, array and ``int *`` global;
2-3 threads (distinct functions, shared functions, ``count = 2``), an
optional nondeterministic ``init`` routine and ``fatal_warnings``. Statements:
plain, ``WRITE_ONCE``/``atomic_set``/``smp_store_release`` stores of values
reading up to three globals (also through arrays and pointers), ``?:``, ``&&``
and ``||`` (nested) in values and conditions; ``++``/``--``/``+=``; all
``atomic_*`` read-modify-writes with and without results (targets
``&x``, ``&a[i]``, pointers); spinlocks (nested, missing or double unlock,
lock domains), ``spin_trylock``; ``ATOMIC`` and ``GHOST`` blocks; local
declarations (``READ_ONCE``, ``atomic_read``, ``smp_load_acquire``, local
domains); ``nondet_int``/``nondet_bool`` (empty ranges too) with ``assume``;
``if``/``switch`` (fall-through)/``for``/``while``/``do``/``break``/
``continue``/``return``; busy-waiting; ``assert``/``BUG_ON``/``WARN_ON``/
``pr_info``; local pointers (``&x``, ``&a[i]``, ``NULL``, ``p + k``,
comparisons, ``if (p)``); inlined helpers with parameters, early returns and
results; INVARIANT/FINAL/REACHABLE properties over globals.

The number of random programs comes from the Hypothesis profile (tests/conftest.py):
``HUGEMC_HYPOTHESIS_PROFILE=thorough`` runs 2,000, CI runs 24.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hugemc.backend import compile_program
from hugemc.backend.jit import jit_model
from hugemc.check import CheckOptions, check_scenario
from hugemc.explore.compiled import compiled_bfs
from hugemc.explore.reduce import Reduction
from hugemc.explore import bfs, dfs
from hugemc.lang import build_program
from hugemc.scenario import load_scenario


def _load_brute():
    name = "hugemc_tests_brute"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("brute.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


brute = _load_brute()
Spec = brute.Spec


def summary(r, model) -> dict:
    """Everything a raw search result says (the engines must agree on all of it)."""
    return {"states": r.states, "transitions": r.transitions, "depth": r.depth, "complete": r.complete,
            "violations": {k: (f.kind, f.message, f.path, f.thread) for k, f in r.violations.items()},
            "reached": {k: f.path for k, f in r.reached.items()},
            "warnings": {k: f.path for k, f in r.warnings.items()},
            "node_hits": model.coverage.node_hits(), "step_hits": model.coverage.step_hits()}


# ---------------------------------------------------------------------------
# running both sides and comparing
# ---------------------------------------------------------------------------

def run_hugemc(spec: Spec, folder: Path):
    """hugemc's BFS and DFS results, and the checked scenario (BFS, replayed traces).

    The BFS runs on both engines, which must agree on everything (states,
    transitions, every path, coverage); the checked scenario uses the
    compiled engine.
    """
    (folder / "m.c").write_text(spec.c_text())
    (folder / "s.toml").write_text(spec.toml_text())
    sc = load_scenario(folder / "s.toml")
    prog = build_program(sc)
    model = compile_program(prog)
    rb = bfs(model)
    sb = summary(rb, model)  # before the DFS adds to the coverage
    rd = dfs(model)
    model2 = compile_program(prog)
    rc = compiled_bfs(model2, jit_model(model2))
    assert sb == summary(rc, model2), \
        "the compiled engine disagrees with the Python engine\n" + spec.c_text() + spec.toml_text()
    m3, m4 = compile_program(prog), compile_program(prog)
    red3 = Reduction(m3, symmetry=True)
    if red3.groups:  # symmetry, canonicalised in compiled code: the same canonical states and paths
        r3 = bfs(m3, reduce=red3)
        r4 = compiled_bfs(m4, jit_model(m4), reduce=Reduction(m4, symmetry=True))
        assert summary(r3, m3) == summary(r4, m4), \
            "the engines disagree under --symmetry\n" + spec.c_text() + spec.toml_text()
    checked = check_scenario(folder / "s.toml", CheckOptions(engine="compiled"))
    assert checked.verdict != "error", checked.error
    return rb, rd, checked


def _raw_len(found) -> int:
    """Steps of a raw counterexample: path edges, plus the failing step for errors."""
    return len(found.path) - 1 + (1 if found.thread is not None else 0)


def _by_kind(violations: dict) -> dict:
    """Raw violations keyed by property, with assertion sites merged into their kind (shortest kept)."""
    out: dict = {}
    for name, found in violations.items():
        key = found.kind if "@" in name else name
        if key not in out or _raw_len(found) < _raw_len(out[key]):
            out[key] = found
    return out


def _checked_by_kind(checked):
    """A checked result whose site violations are merged into their kind (shortest kept)."""
    import dataclasses
    best: dict = {}
    for v in checked.violations:
        key = v.kind if "@" in v.property else v.property
        if key not in best or len(v.trace.steps) < len(best[key].trace.steps):
            best[key] = dataclasses.replace(v, property=key)
    return dataclasses.replace(checked, violations=list(best.values()))


def compare(spec: Spec, folder: Path, mine=None):
    """Run both sides, assert agreement, return the enumerator's outcome."""
    if mine is None:
        mine = brute.explore(spec)
    assert not mine.max_states_hit
    rb, rd, checked = run_hugemc(spec, folder)
    # the enumerator names runtime errors by kind; hugemc names each assertion
    # site (assert@f): compare by kind, the shortest over a kind's sites
    rb.violations, rd.violations = _by_kind(rb.violations), _by_kind(rd.violations)
    checked = _checked_by_kind(checked)
    ctx = "\n--- m.c ---\n" + spec.c_text() + "--- s.toml ---\n" + spec.toml_text()
    assert rb.complete and rd.complete, ctx
    assert (rb.states, rd.states) == (mine.states, mine.states), \
        f"states: bfs={rb.states} dfs={rd.states} brute={mine.states}" + ctx
    assert set(rb.violations) == set(mine.violations), \
        f"bfs violations {sorted(rb.violations)} != brute {sorted(mine.violations)}" + ctx
    assert set(rd.violations) == set(mine.violations), \
        f"dfs violations {sorted(rd.violations)} != brute {sorted(mine.violations)}" + ctx
    assert set(rb.reached) == set(mine.reached) == set(rd.reached), \
        f"reached: bfs={sorted(rb.reached)} dfs={sorted(rd.reached)} brute={sorted(mine.reached)}" + ctx
    for name, found in rb.violations.items():
        assert _raw_len(found) == mine.violations[name], \
            f"{name}: bfs path {_raw_len(found)} steps, shortest {mine.violations[name]}" + ctx
    for name, found in rd.violations.items():
        assert _raw_len(found) >= mine.violations[name], f"{name}: dfs path shorter than shortest" + ctx
    for name, found in rb.reached.items():
        assert len(found.path) - 1 == mine.reached[name], \
            f"{name}: bfs witness {len(found.path) - 1} steps, shortest {mine.reached[name]}" + ctx
    # the full check: replayed traces, verdict
    assert checked.stats.states == mine.states, ctx
    assert {v.property for v in checked.violations} == set(mine.violations), ctx
    for v in checked.violations:
        assert len(v.trace.steps) == mine.violations[v.property], \
            f"{v.property}: trace has {len(v.trace.steps)} steps, shortest is " \
            f"{mine.violations[v.property]}" + ctx
    for p in checked.properties:
        if p.kind == "reachable":
            assert (p.status == "reached") == (p.name in mine.reached), ctx
            if p.witness is not None:
                assert len(p.witness.steps) == mine.reached[p.name], ctx
    assert checked.verdict == ("violated" if mine.violations else "holds"), ctx
    # non-fatal WARN_ONs: one per statement (file:line) that fires, first found at the shortest path
    assert len(rb.warnings) == len(rd.warnings) == len(mine.warnings), \
        f"warnings: bfs={len(rb.warnings)} dfs={len(rd.warnings)} brute={len(mine.warnings)}" + ctx
    assert sorted(_raw_len(f) for f in rb.warnings.values()) == sorted(mine.warnings.values()), ctx
    assert sorted(len(w.trace.steps) for w in checked.warnings) == sorted(mine.warnings.values()), ctx
    return mine


# ---------------------------------------------------------------------------
# hand-written calibration cases
# ---------------------------------------------------------------------------

def g(n):
    return ("g", n)


def l(n):
    return ("l", n)


def c(k):
    return ("c", k)


def asg(x, e):
    return ("assign", x, e, None)


def inc(x):
    return ("incr", x, None, "++")


def rmw(fn, x, *args, dst=None):
    return ("rmw", fn, x, tuple(args), dst)


G3 = [("g0", 0, 3, 0)]
G33 = [("g0", 0, 3, 0), ("g1", 0, 3, 0)]


def test_lost_update(tmp_path):
    spec = Spec(G3, [], [[inc("g0")], [inc("g0")]], [("final", "two", ("==", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    # per thread: before the load, after it (the loaded value is live), returned
    assert mine.states == 12
    assert mine.violations == {"two": 4}


def test_atomic_inc_no_lost_update(tmp_path):
    spec = Spec(G3, [], [[rmw("atomic_inc", "g0")]] * 2, [("final", "two", ("==", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.states == 4 and mine.violations == {}


def test_locked_increments(tmp_path):
    body = [("lock", "l0"), inc("g0"), ("unlock", "l0")]
    spec = Spec(G3, ["l0"], [body, body], [("final", "two", ("==", g("g0"), c(2))),
                                           ("invariant", "le2", ("<=", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.violations == {}


def test_three_loads(tmp_path):
    gl = [("g0", 0, 3, 0), ("g1", 0, 3, 1), ("g2", 0, 3, 2)]
    spec = Spec(gl, [], [[asg("g0", ("+", g("g1"), g("g2")))], [asg("g1", c(3)), asg("g2", c(0))]],
                [("invariant", "inv", ("<=", g("g0"), c(2))), ("final", "fin", ("==", g("g0"), c(3)))])
    mine = compare(spec, tmp_path)
    # g0 = 1 + 2 with no interference: load, load, store
    assert mine.violations["inv"] == 3
    # g1 = 3 stored before the load of g1, g2 = 2 still: 3 + 2 overflows
    assert mine.violations["domain_overflow"] == 4


def test_same_global_twice(tmp_path):
    spec = Spec(G3, [], [[asg("g0", ("+", g("g0"), g("g0")))], [inc("g0")]],
                [("final", "fin", ("!=", g("g0"), c(1)))])
    compare(spec, tmp_path)


def test_domain_overflow(tmp_path):
    spec = Spec([("g0", 0, 1, 0)], [], [[inc("g0")], [rmw("atomic_inc", "g0")]], [])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"domain_overflow": 3}


def test_abba_deadlock(tmp_path):
    t0 = [("lock", "l0"), ("lock", "l1"), asg("g0", c(1)), ("unlock", "l1"), ("unlock", "l0")]
    t1 = [("lock", "l1"), ("lock", "l0"), asg("g0", c(2)), ("unlock", "l0"), ("unlock", "l1")]
    mine = compare(Spec(G3, ["l0", "l1"], [t0, t1], []), tmp_path)
    assert mine.violations == {"deadlock": 2}


def test_exit_holding_lock(tmp_path):
    t0 = [("lock", "l0"), asg("g0", c(1))]
    t1 = [("lock", "l0"), asg("g0", c(2)), ("unlock", "l0")]
    mine = compare(Spec(G3, ["l0"], [t0, t1], []), tmp_path)
    assert mine.violations == {"deadlock": 2}


def test_unlock_unheld(tmp_path):
    t0 = [("lock", "l0"), asg("g0", c(1)), ("unlock", "l0")]
    t1 = [asg("g0", c(2)), ("unlock", "l0")]
    mine = compare(Spec(G3, ["l0"], [t0, t1], []), tmp_path)
    assert mine.violations == {"unlock_unheld": 2}


def test_same_function_two_threads_lock_owner(tmp_path):
    # both threads run f0; each stores its own 1 + thread number into the lock
    body = [("lock", "l0"), asg("g0", ("+", g("l0"), c(0))), ("unlock", "l0")]
    spec = Spec(G3, ["l0"], [body], [("reachable", "two", ("==", g("g0"), c(2)))], entries=[(0, 2)])
    mine = compare(spec, tmp_path)
    assert mine.reached == {"two": 3}
    spec = Spec(G3, ["l0"], [body], [("reachable", "two", ("==", g("g0"), c(2)))], entries=[(0, 1), (0, 1)])
    compare(spec, tmp_path)


def test_load_then_local_use(tmp_path):
    t0 = [("decl", "v1", g("g0"), None, None), asg("g1", c(1)),
          ("if", ("==", l("v1"), c(1)), [asg("g1", c(2))], [])]
    t1 = [asg("g0", c(1)), asg("g0", c(0))]
    spec = Spec(G33, [], [t0, t1], [("reachable", "two", ("==", g("g1"), c(2))),
                                    ("final", "fin", ("!=", g("g1"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.reached == {"two": 4} and mine.violations == {"fin": 5}


def test_local_assert(tmp_path):
    t0 = [("decl", "v1", g("g0"), "READ_ONCE", None), ("assert", ("==", l("v1"), c(0)))]
    t1 = [("assign", "g0", c(1), "WRITE_ONCE")]
    mine = compare(Spec(G3, [], [t0, t1], []), tmp_path)
    assert mine.violations == {"assertion": 2}


def test_global_assert_two_loads(tmp_path):
    t0 = [("assert", ("<=", ("+", g("g0"), g("g1")), c(1)))]
    t1 = [asg("g0", c(1)), asg("g1", c(1))]
    mine = compare(Spec(G33, [], [t0, t1], []), tmp_path)
    assert mine.violations == {"assertion": 4}


def test_nondet_and_assume(tmp_path):
    t0 = [("nondet", "v1", 0, 2, 1, [asg("g0", c(2))], [rmw("atomic_inc", "g0")])]
    t1 = [("assume", (">=", g("g0"), c(1))), ("incr", "g0", None, "--")]
    spec = Spec(G3, [], [t0, t1], [("final", "fin", ("==", g("g0"), c(0)))])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"fin": 4}


def test_blocked_forever(tmp_path):
    t0 = [("assume", ("==", g("g0"), c(3)))]
    t1 = [asg("g0", c(1))]
    mine = compare(Spec(G3, [], [t0, t1], []), tmp_path)
    assert mine.violations == {"deadlock": 1}


def test_spin_wait(tmp_path):
    t0 = [("spin", "g0", 1), asg("g1", c(1))]
    t1 = [asg("g0", c(1))]
    mine = compare(Spec(G33, [], [t0, t1], [("final", "fin", ("==", g("g1"), c(1)))]), tmp_path)
    assert mine.violations == {}


def test_cmpxchg_and_xchg(tmp_path):
    t0 = [rmw("atomic_cmpxchg", "g0", c(0), c(1), dst="v1"),
          ("if", ("==", l("v1"), c(0)), [asg("g1", c(1))], [])]
    t1 = [rmw("atomic_xchg", "g0", c(2), dst="v2"), asg("g1", ("+", l("v2"), c(2)))]
    spec = Spec(G33, [], [t0, t1], [("invariant", "inv", ("<=", g("g1"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"inv": 3}


def test_value_returning_atomics(tmp_path):
    gl = [("g0", -1, 3, 1), ("g1", 0, 3, 0)]
    t0 = [rmw("atomic_dec_and_test", "g0", dst="v1"), rmw("atomic_add_unless", "g0", c(2), c(0), dst="v2"),
          asg("g1", ("+", l("v1"), l("v2")))]
    t1 = [rmw("atomic_inc_not_zero", "g0", dst="v1"), rmw("atomic_sub_return", "g0", g("g1"), dst="v2"),
          ("assert", (">=", l("v2"), c(0)))]
    spec = Spec(gl, [], [t0, t1], [("final", "fin", ("<=", g("g1"), c(1)))])
    compare(spec, tmp_path)


def test_trylock(tmp_path):
    body = [("trylock", "l0", [inc("g0")])]
    spec = Spec(G3, ["l0"], [body, body], [("final", "fin", ("==", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    assert "fin" in mine.violations


def test_atomic_block_with_locals(tmp_path):
    gl = [("g0", 0, 2, 1), ("g1", 0, 3, 0)]
    t0 = [("atomic", ["v1"], [("set", "v1", g("g0")),
                              ("aif", ("==", g("g0"), c(1)), [("store", "g0", c(0))], [("store", "g1", c(3))])]),
          asg("g1", ("+", l("v1"), g("g0")))]
    t1 = [("atomic", [], [("store", "g0", ("+", g("g0"), c(1)))])]
    spec = Spec(gl, [], [t0, t1], [("final", "fin", ("<=", g("g1"), c(2)))])
    compare(spec, tmp_path)


def test_invariant_violated_initially(tmp_path):
    spec = Spec([("g0", 0, 3, 2)], [], [[asg("g0", c(0))], [asg("g0", c(1))]],
                [("invariant", "inv", ("<", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"inv": 0}


def test_empty_and_local_only_threads(tmp_path):
    t0 = [("nondet", "v1", 0, 1, None, [asg("g0", c(1))], [])]
    mine = compare(Spec(G3, [], [t0, []], [("final", "fin", ("==", g("g0"), c(0)))]), tmp_path)
    assert mine.violations == {"fin": 2}


def test_shortcircuit_on_globals(tmp_path):
    t0 = [("if", ("&&", ("==", g("g0"), c(1)), ("==", g("g1"), c(1))), [asg("g0", c(2))], [asg("g1", c(2))]),
          ("assert", ("||", ("!=", g("g0"), c(2)), ("==", g("g1"), c(1))))]
    t1 = [asg("g0", c(1)), asg("g1", c(1)), asg("g0", ("?", ("==", g("g1"), c(1)), g("g0"), c(3)))]
    compare(Spec(G33, [], [t0, t1], [("final", "fin", ("!=", g("g0"), c(3)))]), tmp_path)


def test_for_loop_local_only_laps(tmp_path):
    # laps of the loop that touch only locals run inside the step that reaches them
    t0 = [("for", "v1", 2, [("nondet", "v2", 0, 1, None, [inc("g0")], [])])]
    t1 = [asg("g0", c(0))]
    mine = compare(Spec(G3, [], [t0, t1], [("final", "fin", ("<=", g("g0"), c(1)))]), tmp_path)
    assert mine.states == 18


def test_while_on_globals(tmp_path):
    t0 = [("while", ("<", g("g0"), c(2)), [rmw("atomic_inc", "g1")])]
    t1 = [inc("g0"), inc("g0")]
    compare(Spec([("g0", 0, 3, 0), ("g1", 0, 2, 0)], [], [t0, t1], []), tmp_path)


def test_early_return_break_continue(tmp_path):
    h1 = brute.Helper("h1", ("hp1",), (("if", ("==", g("g0"), l("hp1")), [("return", c(2))], []),
                                       inc("g0")), ("+", l("hp1"), c(1)), ("hp1",))
    t0 = [("for", "v1", 2, [("if", ("==", g("g1"), c(1)), [("continue",)], []),
                            ("call", h1, (l("v1"),), "v2"),
                            ("if", ("==", l("v2"), c(2)), [("break",)], [])]),
          ("if", ("==", g("g0"), c(0)), [("return", None)], []), asg("g1", c(0))]
    t1 = [asg("g1", c(1)), ("do", [inc("g0")], ("<", g("g0"), c(2)))]
    spec = Spec(G33, [], [t0, t1], [("final", "fin", ("<=", g("g0"), c(2)))], helpers=[h1])
    compare(spec, tmp_path)


def test_switch(tmp_path):
    t0 = [("switch", g("g0"), [(0, [asg("g1", c(1))], True), (1, [asg("g1", c(2))], False)],
           ([inc("g1")], True))]
    t1 = [rmw("atomic_inc", "g0"), rmw("atomic_inc", "g0")]
    compare(Spec(G33, [], [t0, t1], [("final", "fin", ("!=", g("g1"), c(3)))]), tmp_path)


def test_ghost_state_is_not_shared(tmp_path):
    gl = [("g0", 0, 3, 0), ("ghost_n", 0, 2, 0)]
    body = [inc("g0"), inc("ghost_n")]
    spec = Spec(gl, [], [body, body], [("final", "fin", ("==", g("g0"), g("ghost_n")))])
    mine = compare(spec, tmp_path)
    # ghost updates ride along in the store step: same states as without them
    assert mine.states == 12 and mine.violations == {"fin": 4}


def test_init_routine_and_local_domain(tmp_path):
    t0 = [("decl", "v1", ("+", g("g0"), c(1)), None, (0, 2)), asg("g1", l("v1"))]
    t1 = [inc("g0")]
    spec = Spec(G33, [], [t0, t1], [("invariant", "inv", ("!=", g("g1"), c(2)))],
                init=[("inondet", "g0", 0, 2), ("iset", "g1", 1)])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"inv": 2, "domain_overflow": 1}


def test_lock_domain(tmp_path):
    body = [("lock", "l0"), inc("g0"), ("unlock", "l0")]
    spec = Spec(G3, ["l0"], [body], [], entries=[(0, 2)], lock_hi={"l0": 1})
    mine = compare(spec, tmp_path)
    assert mine.violations == {"domain_overflow": 1}


def test_warnings(tmp_path):
    t0 = [("decl", "v1", g("g0"), None, None), ("warn", ("==", l("v1"), c(1)), 1), ("print", (l("v1"), g("g0"))),
          ("warn", (">", g("g0"), c(1)), 2)]
    t1 = [inc("g0"), inc("g0")]
    for fatal in (False, True):
        spec = Spec(G3, [], [t0, t1], [], fatal_warnings=fatal)
        mine = compare(spec, tmp_path)
        assert (mine.violations, mine.warnings) == (({"warning": 3}, {}) if fatal else ({}, {1: 3, 2: 7}))


def test_empty_nondet_range_blocks(tmp_path):
    t0 = [("nondet", "v1", 2, 1, None, [asg("g0", c(1))], [])]
    mine = compare(Spec(G3, [], [t0, [asg("g0", c(2))]], []), tmp_path)
    assert mine.violations == {"deadlock": 1}


ARR = [("arr", 2, 0, 3, (0, 0))]


def idx(i):
    return ("idx", "arr", 2, i)


def test_array_index(tmp_path):
    t0 = [("nondet", "v1", 0, 2, None, [asg(idx(l("v1")), c(1))], []), ("incr", idx(g("g0")), None, "++")]
    t1 = [asg("g0", c(1)), rmw("atomic_add", idx(g("g0")), g("g1"))]
    spec = Spec(G33, [], [t0, t1], [("final", "fin", ("<=", idx(c(1)), c(1)))], arrays=ARR)
    mine = compare(spec, tmp_path)
    assert mine.violations == {"out_of_bounds": 1, "fin": 7}


def test_pointers(tmp_path):
    gptrs = [("gp", ("addr", "g0"))]
    t0 = [("incr", ("deref", g("gp")), None, "++"), ("pdecl", "p1", ("addri", "arr", 2, c(1))),
          ("pset", "p1", ("padd", l("p1"), 1)), ("decl", "v1", ("deref", l("p1")), None, None)]
    t1 = [asg("gp", ("addri", "arr", 2, c(0))), rmw("atomic_inc", ("deref", g("gp"))),
          ("if", ("==", g("gp"), ("null",)), [asg("g1", c(1))], [asg("gp", ("null",))]),
          asg(("deref", g("gp")), c(2))]
    spec = Spec(G33, [], [t0, t1], [("final", "fin", ("==", ("+", g("g0"), idx(c(0))), c(2)))],
                arrays=ARR, gptrs=gptrs)
    mine = compare(spec, tmp_path)
    assert set(mine.violations) == {"out_of_bounds", "null_deref"}  # t0 never returns


def test_endless_local_loop(tmp_path):
    # a loop over locals (or ghost state) stays in its step; an endless one is an error
    gl = [("g0", 0, 3, 0), ("ghost_n", 0, 2, 0)]
    t0 = [("for", "v1", 2, [("nondet", "v2", 0, 1, None, [inc("g0")], [])]), ("spin", "ghost_n", 2)]
    t1 = [asg("g0", c(0)), ("ghost", [("store", "ghost_n", g("g0"))])]
    mine = compare(Spec(gl, [], [t0, t1], [("final", "fin", ("<=", g("g0"), c(1)))]), tmp_path)
    assert mine.violations["assertion"] == 1


def test_helper_inlining(tmp_path):
    h1 = brute.Helper("h1", ("hp1",), ((("incr", "g0", ("l", "hp1"), "+="),)), ("+", g("g1"), l("hp1")),
                      ("hp1",))
    t0 = [("call", h1, (c(1),), "v1"), asg("g1", l("v1"))]
    t1 = [("call", h1, (g("g1"),), None), ("call", h1, (c(0),), None)]
    spec = Spec(G33, [], [t0, t1], [("final", "fin", ("<=", g("g0"), c(2)))], helpers=[h1])
    compare(spec, tmp_path)


# ---------------------------------------------------------------------------
# regressions: hugemc bugs this test found (fixed in 67ad8f9)
# ---------------------------------------------------------------------------

NESTED_SC = ("&&", g("a"), ("||", g("b"), ("&&", g("c"), g("a"))))
ABC = [("a", 0, 1, 1), ("b", 0, 1, 1), ("c", 0, 1, 0)]


def test_nested_shortcircuit_value(tmp_path):
    # was: the right operand of && (itself a || whose right operand emits nodes) was
    # entered at its first emitted node instead of its branch, so b was never read
    # and assert(a && (b || (c && a))) failed with a = b = 1, c = 0
    mine = compare(Spec(ABC, [], [[("assert", NESTED_SC)]], []), tmp_path)
    assert mine.violations == {}


def test_nested_shortcircuit_property(tmp_path):
    # was: the same lowering made INVARIANT(inv) { return a && (b || (c && a)); } fail initially
    mine = compare(Spec(ABC, [], [[]], [("invariant", "inv", NESTED_SC)]), tmp_path)
    assert mine.violations == {}


def test_nested_shortcircuit_condition(tmp_path):
    # as an if condition the expression is lowered to jumping code
    t0 = [("if", NESTED_SC, [asg("c", c(1))], [asg("c", c(0))])]
    compare(Spec(ABC, [], [t0], [("final", "fin", ("==", g("c"), c(1)))]), tmp_path)


def test_warning_then_assume_false(tmp_path):
    # was: the compiled successor function reported a WARN_ON whose path assume() then
    # cut, the interpreter did not, and check_scenario crashed replaying the warning
    t0 = [("decl", "v1", g("g0"), None, None), ("warn", ("==", l("v1"), c(0)), 1),
          ("assume", ("==", l("v1"), c(1))), asg("g0", c(2))]
    spec = Spec(G3, [], [t0, [asg("g0", c(1))]], [])
    mine = compare(spec, tmp_path)
    assert mine.warn_then_blocked and mine.warnings == {}


def test_constant_argument_as_index(tmp_path):
    # was (since parameters alias their argument): a constant argument made the callee's
    # guarded index a constant, rejected at compile time on a path the guard excludes
    h = brute.Helper("get", ("i",), (("if", ("<", l("i"), c(2)), [("return", ("idx", "arr", 2, l("i")))], []),),
                     c(0), ("i",))
    spec = Spec(G3, [], [[("call", h, (c(2),), "v1"), asg("g0", l("v1"))]], [], helpers=[h], arrays=ARR)
    mine = compare(spec, tmp_path)
    assert mine.violations == {}


def test_local_argument_as_index(tmp_path):
    # the same program with the argument in a local: accepted, and correct
    h = brute.Helper("get", ("i",), (("if", ("<", l("i"), c(2)), [("return", ("idx", "arr", 2, l("i")))], []),),
                     c(0), ("i",))
    t0 = [("decl", "v2", c(2), None, None), ("call", h, (l("v2"),), "v1"), asg("g0", l("v1"))]
    mine = compare(Spec(G3, [], [t0], [], helpers=[h], arrays=ARR), tmp_path)
    assert mine.violations == {}


# ---------------------------------------------------------------------------
# random programs
# ---------------------------------------------------------------------------

class Ctx:
    """What a statement being generated may refer to."""

    def __init__(self, gnames: list, locks: list, helpers: list, prefix: str = "v",
                 ret: str = "void", wids: list | None = None, arrays=(), gptrs=()) -> None:
        self.gnames = gnames
        self.arrays = list(arrays)   # (name, size)
        self.gptrs = list(gptrs)     # global int * names
        self.ptrs: list[str] = []    # local int * names in scope
        self.locks = locks
        self.helpers = helpers
        self.locals: list[str] = []
        self.prefix = prefix
        self.counter = [0]        # shared with sub-scopes: names stay unique in the function
        self.declared: list[str] = []  # every local name made (shared with sub-scopes)
        self.held: set[str] = set()
        self.ret = ret            # "void" or "int": what a return statement returns
        self.in_loop = False
        self.in_switch = False
        self.wids = wids if wids is not None else [0]  # WARN_ON ids, unique in the program

    @property
    def shared(self) -> list:
        """Scalar globals whose access is a shared access (not ghost state)."""
        return [x for x in self.gnames if not brute.is_ghost(x)]

    @property
    def ghosts(self) -> list:
        return [x for x in self.gnames if brute.is_ghost(x)]

    def fresh(self) -> str:
        self.counter[0] += 1
        name = f"{self.prefix}{self.counter[0]}"
        self.declared.append(name)
        return name

    def wid(self) -> int:
        self.wids[0] += 1
        return self.wids[0]

    def scope(self) -> "Ctx":
        sub = Ctx(self.gnames, self.locks, self.helpers, self.prefix, self.ret, self.wids, self.arrays,
                  self.gptrs)
        sub.locals = list(self.locals)
        sub.ptrs = list(self.ptrs)
        sub.counter = self.counter
        sub.declared = self.declared
        sub.held = set(self.held)
        sub.in_loop = self.in_loop
        sub.in_switch = self.in_switch
        return sub


K = st.integers(-1, 3)
CMPS = ["==", "!=", "<=", "<", ">=", ">"]


def draw_index(draw, ctx: Ctx, n: int):
    """An array index: a constant in range, or a local or a global (anything)."""
    f = draw(st.sampled_from(["k", "k", "k", "v", "g"] if ctx.locals else ["k", "k", "k", "g"]))
    if f == "k":   # (a constant index out of range is a compile error)
        return ("c", draw(st.integers(0, n - 1)))
    if f == "v":
        return ("l", draw(st.sampled_from(ctx.locals)))
    return ("g", draw(st.sampled_from(ctx.gnames)))


def draw_ptr(draw, ctx: Ctx, depth: int = 0, null: bool = True):
    """A pointer to an int global (scalar or array element), NULL, or pointer arithmetic."""
    opts = ["addr", "addr"] + (["null"] if null else []) + (["addri", "addri"] if ctx.arrays else [])
    opts += ["p", "p"] if ctx.ptrs else []
    opts += ["gp", "gp"] if ctx.gptrs else []
    opts += ["padd"] if depth == 0 else []
    f = draw(st.sampled_from(opts))
    if f == "addr":
        return ("addr", draw(st.sampled_from(ctx.gnames)))
    if f == "null":
        return ("null",)
    if f == "addri":
        a, n = draw(st.sampled_from(ctx.arrays))
        return ("addri", a, n, draw_index(draw, ctx, n))
    if f == "p":
        return ("l", draw(st.sampled_from(ctx.ptrs)))
    if f == "gp":
        return ("g", draw(st.sampled_from(ctx.gptrs)))
    # (arithmetic on the NULL literal, a void pointer, is a compile error)
    return ("padd", draw_ptr(draw, ctx, depth + 1, null=False), draw(st.sampled_from([1, -1, 2])))


def draw_lv(draw, ctx: Ctx):
    """An int lvalue: a scalar global, an array element, or *pointer."""
    opts = ["g"] * 4 + (["idx", "idx"] if ctx.arrays else []) + (["deref", "deref"] if ctx.ptrs or ctx.gptrs else [])
    f = draw(st.sampled_from(opts))
    if f == "g":
        return draw(st.sampled_from(ctx.gnames))
    if f == "idx":
        a, n = draw(st.sampled_from(ctx.arrays))
        return ("idx", a, n, draw_index(draw, ctx, n))
    ps = [("l", p) for p in ctx.ptrs] + [("g", p) for p in ctx.gptrs]
    return ("deref", draw(st.sampled_from(ps)))


def draw_read(draw, ctx: Ctx):
    """A read of a global int: scalar, array element or *pointer."""
    lv = draw_lv(draw, ctx)
    return ("g", lv) if isinstance(lv, str) else lv


def draw_arith(draw, ctx: Ctx, allow_locals: bool = True):
    """An arithmetic value over globals, locals and constants (no lazy operators)."""
    gs = st.sampled_from(ctx.gnames)
    forms = ["k", "g", "g+k", "g-k", "g+g", "g-g", "-g+k", "g+g-g"]
    if allow_locals and ctx.locals:
        forms += ["v", "v", "v+k", "v+g", "g-v"]
    if ctx.arrays or ctx.ptrs or ctx.gptrs:
        forms += ["mem", "mem+k"]
    f = draw(st.sampled_from(forms))
    if f == "k":
        return ("c", draw(K))
    if f == "mem":
        return draw_read(draw, ctx)
    if f == "mem+k":
        return ("+", draw_read(draw, ctx), ("c", draw(st.integers(-1, 1))))
    if f == "g":
        return ("g", draw(gs))
    if f in ("g+k", "g-k"):
        return (f[1], ("g", draw(gs)), ("c", draw(st.integers(1, 2))))
    if f in ("g+g", "g-g"):
        return (f[1], ("g", draw(gs)), ("g", draw(gs)))
    if f == "-g+k":
        return ("+", ("neg", ("g", draw(gs))), ("c", draw(st.integers(1, 3))))
    if f == "g+g-g":
        return ("-", ("+", ("g", draw(gs)), ("g", draw(gs))), ("g", draw(gs)))
    v = ("l", draw(st.sampled_from(ctx.locals)))
    if f == "v":
        return v
    if f == "v+k":
        return ("+", v, ("c", draw(st.integers(-1, 1))))
    if f == "v+g":
        return ("+", v, ("g", draw(gs)))
    return ("-", ("g", draw(gs)), v)


def draw_cmp(draw, ctx: Ctx, locals_only: bool = False):
    """A comparison (no lazy operators)."""
    op = draw(st.sampled_from(CMPS))
    opts = []
    if not locals_only:
        opts += ["g", "g", "g+g", "g?g"]
    if ctx.locals:
        opts += ["v", "v"]
        if not locals_only:
            opts += ["v?g"]
    if ctx.ptrs and locals_only:
        opts += ["ptr"]
    if (ctx.ptrs or ctx.gptrs) and not locals_only:
        opts += ["ptr", "ptr?ptr"]
    if not opts:
        return ("!=", ("c", 0), ("c", 0))
    f = draw(st.sampled_from(opts))
    gs = st.sampled_from(ctx.gnames)
    if f in ("ptr", "ptr?ptr"):
        ps = [("l", p) for p in ctx.ptrs] + ([] if locals_only else [("g", p) for p in ctx.gptrs])
        a = draw(st.sampled_from(ps))
        if f == "ptr":
            # a pointer's truth value, or a comparison with NULL (a bare pointer only as
            # an if condition: as a stored value it would assign a pointer to an int)
            return draw(st.sampled_from([("!", a), ("==", a, ("null",)), ("!=", a, ("null",))]))
        return (draw(st.sampled_from(["==", "!="])), a, draw_ptr(draw, ctx, 1))
    if f == "g":
        return (op, ("g", draw(gs)), ("c", draw(K)))
    if f == "g+g":
        return (op, ("+", ("g", draw(gs)), ("g", draw(gs))), ("c", draw(st.integers(0, 4))))
    if f == "g?g":
        return (op, ("g", draw(gs)), ("g", draw(gs)))
    if f == "v":
        return (op, ("l", draw(st.sampled_from(ctx.locals))), ("c", draw(K)))
    return (op, ("l", draw(st.sampled_from(ctx.locals))), ("g", draw(gs)))


def draw_loop_cond(draw, ctx: Ctx):
    """A loop condition whose first operand reads shared state, so that every lap of the
    loop has a shared access: local-only laps would run inside one step, and the
    endless ones cost hugemc 100 000 operations per path (see test_endless_local_loop)."""
    first = (draw(st.sampled_from(CMPS)), ("g", draw(st.sampled_from(ctx.shared))), ("c", draw(K)))
    f = draw(st.sampled_from(["cmp", "cmp", "&&", "||"]))
    return first if f == "cmp" else (f, first, draw_cond(draw, ctx))


def draw_cond(draw, ctx: Ctx, locals_only: bool = False, lazy: bool = True, depth: int = 0):
    """A condition: a comparison, or &&/||/! of conditions (lazy operators never under arithmetic)."""
    f = draw(st.sampled_from(["cmp", "cmp", "cmp", "and", "or", "not"] if lazy and depth < 3 else ["cmp"]))
    if f == "cmp":
        return draw_cmp(draw, ctx, locals_only)
    if f == "not":
        return ("!", draw_cond(draw, ctx, locals_only, lazy, depth + 1))
    return ("&&" if f == "and" else "||", draw_cond(draw, ctx, locals_only, lazy, depth + 1),
            draw_cond(draw, ctx, locals_only, lazy, depth + 1))


def draw_value(draw, ctx: Ctx, allow_locals: bool = True):
    """A stored value: arithmetic, or a lazy ?:, && or || at the top."""
    f = draw(st.sampled_from(["arith"] * 6 + ["ternary", "lazy"]))
    if f == "arith":
        return draw_arith(draw, ctx, allow_locals)
    if f == "ternary":
        return ("?", draw_cond(draw, ctx), draw_arith(draw, ctx, allow_locals),
                draw_arith(draw, ctx, allow_locals))
    return draw_cond(draw, ctx)


def draw_arg(draw, ctx: Ctx, call: bool = False):
    """An argument of a builtin or (``call``) a helper call."""
    opts = ["k", "k", "g"] + (["v"] if ctx.locals else [])
    f = draw(st.sampled_from(opts))
    if f == "k":
        hi = 2
        if call and ctx.arrays:
            # a constant argument must be a valid index of every array: the helper may
            # index with its parameter (test_constant_argument_as_index, a hugemc bug)
            hi = min(n for _, n in ctx.arrays) - 1
        return ("c", draw(st.integers(0, hi)))
    if f == "g":
        return ("g", draw(st.sampled_from(ctx.gnames)))
    return ("l", draw(st.sampled_from(ctx.locals)))


def _rmw_args(draw, ctx: Ctx, fn: str) -> tuple:
    n = len(brute.RMW_FNS[fn][0]) - 1
    return tuple(draw_arg(draw, ctx) for _ in range(n))


def draw_simple(draw, ctx: Ctx):
    """A statement that defines no local and does not lock (for branches and loop bodies)."""
    gs = st.sampled_from(ctx.gnames)
    kind = draw(st.sampled_from(["assign", "assign", "incr", "rmw", "atomic"] + (["gpset"] if ctx.gptrs else [])))
    if kind == "assign":
        style = draw(st.sampled_from([None] * 5 + ["WRITE_ONCE", "atomic_set", "smp_store_release"]))
        return ("assign", draw_lv(draw, ctx), draw_value(draw, ctx), style)
    if kind == "gpset":
        return ("assign", draw(st.sampled_from(ctx.gptrs)), draw_ptr(draw, ctx),
                draw(st.sampled_from([None, None, "WRITE_ONCE"])))
    if kind == "incr":
        style = draw(st.sampled_from(["++", "--", "pre++", "pre--", "+=", "-="]))
        e = draw(st.one_of(st.integers(1, 2).map(lambda k: ("c", k)),
                           st.sampled_from(ctx.gnames).map(lambda x: ("g", x)),
                           *([st.sampled_from(ctx.locals).map(lambda x: ("l", x))] if ctx.locals else [])))
        return ("incr", draw_lv(draw, ctx), e if style in ("+=", "-=") else None, style)
    if kind == "rmw":
        fn = draw(st.sampled_from(sorted(brute.RMW_FNS)))
        return ("rmw", fn, draw_lv(draw, ctx), _rmw_args(draw, ctx, fn), None)
    x, y = draw(gs), draw(gs)
    if draw(st.booleans()):
        return ("atomic", [], [("store", x, ("+", ("g", x), ("c", draw(st.integers(1, 2)))))])
    return ("atomic", [], [("aif", draw_cond(draw, ctx), [("store", y, draw_value(draw, ctx))], [])])


def draw_block(draw, ctx: Ctx, depth: int, lo: int = 1, hi: int = 2, loop: bool = False,
               switch: bool = False) -> list:
    sub = ctx.scope()
    if loop:
        sub.in_loop, sub.in_switch = True, False
    if switch:
        sub.in_switch = True
    out: list = []
    for _ in range(draw(st.integers(lo, hi))):
        out += draw_stmt(draw, sub, depth + 1)
    return out


def draw_stmt(draw, ctx: Ctx, depth: int, first: bool = False) -> list:
    """One statement (a lock bracket yields several).

    ``first``: the first statement of a thread function is never a loop that
    can come back to the thread's entry. (hugemc drops dead local code such as
    unused constant parameters; when that code sits at the entry of a thread
    whose first statement is a loop, the loop-back state then coincides with
    the initial one: fewer states, same verdicts. The enumerator does not
    optimise, so keep clear of that corner.)
    """
    gs = st.sampled_from(ctx.gnames)
    kinds = ["simple", "simple", "simple", "decl", "decl", "rmw_ret", "atomic_def", "atomic_misc", "nondet",
             "if", "if", "assert", "assume", "lock", "lock", "trylock", "warn", "print", "ret", "switch"]
    if depth == 0:
        kinds += ["for", "for"] + ([] if first else ["spin", "while", "do"])
    if ctx.helpers:
        kinds += ["call", "call"]
    if ctx.in_loop or ctx.in_switch:
        kinds += ["brk", "brk"]
    if ctx.arrays or ctx.gptrs:
        kinds += ["pdecl"]
    if ctx.ghosts:
        kinds += ["ghost"]
    if ctx.ptrs:
        kinds += ["pset"]
    kind = draw(st.sampled_from(kinds))
    if kind == "simple" or depth > 2:
        return [draw_simple(draw, ctx)]
    if kind == "pdecl":
        p = ctx.fresh()
        s = ("pdecl", p, draw_ptr(draw, ctx))
        ctx.ptrs.append(p)
        return [s]
    if kind == "pset":
        return [("pset", draw(st.sampled_from(ctx.ptrs)), draw_ptr(draw, ctx))]
    if kind == "decl":
        v = ctx.fresh()
        style = draw(st.sampled_from([None] * 4 + ["READ_ONCE", "atomic_read", "smp_load_acquire"]))
        e = ("g", draw(gs)) if style else draw_value(draw, ctx)
        rng = draw(st.sampled_from([None, None, None, (0, 1), (0, 2), (-1, 3)]))
        ctx.locals.append(v)
        return [("decl", v, e, style, rng)]
    if kind == "warn":
        return [("warn", draw_cond(draw, ctx), ctx.wid())]
    if kind == "print":
        return [("print", tuple(draw_arith(draw, ctx) for _ in range(draw(st.integers(1, 2)))))]
    if kind == "ret":
        e = None if ctx.ret == "void" else draw_arith(draw, ctx)
        return [("if", draw_cond(draw, ctx), [("return", e)], [])]
    if kind == "brk":
        what = "continue" if ctx.in_loop and (not ctx.in_switch) and draw(st.booleans()) else "break"
        return [("if", draw_cond(draw, ctx), [(what,)], [])]
    if kind == "switch":
        if ctx.locals and draw(st.booleans()):
            e = ("l", draw(st.sampled_from(ctx.locals)))
        else:
            e = ("g", draw(gs))
        vals = draw(st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True))
        cases = [(k, draw_block(draw, ctx, depth, 1, 1, switch=True), draw(st.booleans())) for k in vals]
        default = None
        if draw(st.booleans()):
            default = (draw_block(draw, ctx, depth, 1, 1, switch=True), draw(st.booleans()))
        return [("switch", e, cases, default)]
    if kind == "do":
        return [("do", draw_block(draw, ctx, depth, 1, 1, loop=True), draw_loop_cond(draw, ctx))]
    if kind == "rmw_ret":
        fn = draw(st.sampled_from(sorted(f for f, (_, r) in brute.RMW_FNS.items() if r)))
        s = ("rmw", fn, draw_lv(draw, ctx), _rmw_args(draw, ctx, fn), ctx.fresh())
        ctx.locals.append(s[4])
        return [s]
    if kind == "atomic_def":
        v = ctx.fresh()
        x = draw(gs)
        body = [("set", v, ("g", x))]
        if draw(st.booleans()):
            body.append(("store", x, draw_value(draw, ctx)))
        else:
            body.append(("aif", draw_cond(draw, ctx), [("set", v, draw_value(draw, ctx))],
                         [("store", draw(gs), draw_value(draw, ctx))]))
        ctx.locals.append(v)
        return [("atomic", [v], body)]
    if kind == "atomic_misc":
        f = draw(st.sampled_from(["assume", "check", "ifelse"]))
        if f == "assume":
            body = [("aassume", draw_cond(draw, ctx)), ("store", draw(gs), draw_value(draw, ctx))]
        elif f == "check":
            body = [("acheck", draw_cond(draw, ctx), brute.ASSERTION)]
        else:
            body = [("aif", draw_cond(draw, ctx), [("store", draw(gs), draw_value(draw, ctx))],
                     [("store", draw(gs), draw_value(draw, ctx))])]
        return [("atomic", [], body)]
    if kind == "nondet":
        v = ctx.fresh()
        lo, hi = draw(st.sampled_from([(0, 1), (0, 2), (1, 2), (0, 1), (2, 1)]))
        excl = draw(st.sampled_from([None, None, lo, hi]))
        sub = ctx.scope()
        sub.locals.append(v)
        th = draw_block(draw, sub, depth, 1, 1)
        el = draw_block(draw, sub, depth, 1, 1) if draw(st.booleans()) else []
        return [("nondet", v, lo, hi, excl, th, el)]
    if kind == "if":
        cond = draw_cond(draw, ctx)
        if ctx.ptrs and draw(st.integers(0, 3)) == 0:
            cond = ("l", draw(st.sampled_from(ctx.ptrs)))   # if (p)
        th = draw_block(draw, ctx, depth, 1, 1)
        el = draw_block(draw, ctx, depth, 1, 1) if draw(st.booleans()) else []
        return [("if", cond, th, el)]
    if kind == "assert":
        return [(draw(st.sampled_from(["assert", "assert", "bug_on"])), draw_cond(draw, ctx))]
    if kind == "assume":
        return [("assume", draw_cond(draw, ctx))]
    if kind == "spin":
        return [("spin", draw(st.sampled_from(ctx.shared)), draw(st.integers(0, 2)))]
    if kind == "while":
        return [("while", draw_loop_cond(draw, ctx), draw_block(draw, ctx, depth, 1, 1, loop=True))]
    if kind == "ghost":
        x = draw(st.sampled_from(ctx.ghosts))
        if draw(st.booleans()):
            body = [("store", x, draw_value(draw, ctx))]
        else:
            body = [("aif", draw_cond(draw, ctx), [("store", x, draw_value(draw, ctx))], [])]
        return [("ghost", body)]
    if kind == "for":
        v = ctx.fresh()
        sub = ctx.scope()
        sub.locals.append(v)
        return [("for", v, draw(st.integers(1, 2)), draw_block(draw, sub, depth, 1, 2, loop=True))]
    if kind == "call":
        h = draw(st.sampled_from(ctx.helpers))
        args = tuple(draw_arg(draw, ctx, call=True) for _ in h.params)
        dst = ctx.fresh() if h.ret is not None and draw(st.booleans()) else None
        if dst:
            ctx.locals.append(dst)
        return [("call", h, args, dst)]
    free = [lk for lk in ctx.locks if lk not in ctx.held]
    if not free:
        return [draw_simple(draw, ctx)]
    lk = draw(st.sampled_from(free))
    if kind == "trylock":
        sub = ctx.scope()
        sub.held.add(lk)
        return [("trylock", lk, draw_block(draw, sub, depth, 1, 1))]
    # a lock bracket: the body's locals stay visible after it (no braces in C)
    ctx.held.add(lk)
    body = []
    for _ in range(draw(st.integers(1, 2))):
        body += draw_stmt(draw, ctx, depth + 1)
    ctx.held.discard(lk)
    tail = draw(st.sampled_from(["unlock"] * 6 + ["missing", "twice"]))
    out = [("lock", lk)] + body
    if tail != "missing":
        out.append(("unlock", lk))
    if tail == "twice":
        out.append(("unlock", lk))
    return out


def draw_prop(draw, gnames, kind):
    gs = st.sampled_from(gnames)  # may include array elements with constant indices
    f = draw(st.sampled_from(["sum", "one", "pair", "cmp", "ternary"]))
    if f == "sum":
        e = (draw(st.sampled_from(["<=", ">=", "!="])), ("+", ("g", draw(gs)), ("g", draw(gs))),
             ("c", draw(st.integers(0, 4))))
    elif f == "one":
        e = (draw(st.sampled_from(CMPS)), ("g", draw(gs)), ("c", draw(K)))
    elif f == "pair":
        e = ("&&", ("==", ("g", draw(gs)), ("c", draw(K))), ("==", ("g", draw(gs)), ("c", draw(K))))
        if kind != "reachable":
            e = ("!", e)
    elif f == "ternary":
        e = ("?", ("==", ("g", draw(gs)), ("c", draw(K))), ("<=", ("g", draw(gs)), ("c", draw(K))),
             ("!=", ("g", draw(gs)), ("c", draw(K))))
    else:
        e = ("||", (draw(st.sampled_from(CMPS)), ("g", draw(gs)), ("g", draw(gs))),
             ("==", ("g", draw(gs)), ("c", draw(K))))
    return e


def draw_helper(draw, k: int, gnames, locks, earlier, wids, arrays, gptrs) -> "brute.Helper":
    returns = draw(st.booleans())
    ctx = Ctx(gnames, locks, earlier, prefix=f"h{k}v", ret="int" if returns else "void", wids=wids,
              arrays=arrays, gptrs=gptrs)
    params = tuple(f"h{k}p{i}" for i in range(draw(st.integers(1, 2))))
    ctx.locals = list(params)
    ctx.declared.extend(params)
    body: list = []
    for _ in range(draw(st.integers(1, 2))):
        body += draw_stmt(draw, ctx, 1)
    ret = draw_value(draw, ctx) if returns else None
    return brute.Helper(f"h{k}", params, tuple(body), ret, tuple(ctx.declared))


@st.composite
def specs(draw):
    ng = draw(st.integers(1, 3))
    globals_ = []
    for i in range(ng):
        lo = draw(st.sampled_from([0, 0, 0, -1]))
        hi = draw(st.integers(1, 3))
        init = draw(st.integers(lo, hi)) if draw(st.booleans()) else 0
        globals_.append((f"g{i}", lo, hi, init))
    if draw(st.integers(0, 3)) == 0:
        globals_.append(("ghost_n", 0, draw(st.integers(1, 3)), 0))
    gnames = [x[0] for x in globals_]
    locks = [f"l{i}" for i in range(draw(st.integers(0, 2)))]
    lock_hi = {lk: draw(st.integers(1, 3)) for lk in locks if draw(st.integers(0, 3)) == 0}
    arrays = []
    if draw(st.integers(0, 2)) == 0:
        n, hi = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        arrays.append(("arr", n, 0, hi, tuple(draw(st.integers(0, hi)) for _ in range(n))))
    arr_sizes = [(a, n) for a, n, *_ in arrays]
    gptrs = []
    if draw(st.integers(0, 2)) == 0:
        tgt = draw(st.sampled_from([None, ("addr", "g0")] + [("addri", a, n, ("c", n - 1)) for a, n in arr_sizes]))
        gptrs.append(("gp", tgt))
    gp_names = [x[0] for x in gptrs]
    wids = [0]
    helpers: list = []
    for k in range(draw(st.sampled_from([0, 0, 1, 2]))):
        helpers.append(draw_helper(draw, k + 1, gnames, locks, list(helpers), wids, arr_sizes, gp_names))
    layout = draw(st.sampled_from([
        [(0, 1), (1, 1)], [(0, 1), (1, 1)], [(0, 1), (1, 1)], [(0, 1), (0, 1)], [(0, 2)],
        [(0, 1), (1, 1), (2, 1)], [(0, 2), (1, 1)], [(0, 1), (1, 1), (0, 1)]]))
    nthreads = sum(n for _, n in layout)
    nfuncs = 1 + max(f for f, _ in layout)
    lo_len, hi_len = (2, 4) if nthreads == 2 else (1, 2)
    funcs = []
    for _ in range(nfuncs):
        ctx = Ctx(gnames, locks, helpers, wids=wids, arrays=arr_sizes, gptrs=gp_names)
        body: list = []
        for i in range(draw(st.integers(lo_len, hi_len))):
            body += draw_stmt(draw, ctx, 0, first=(i == 0))
        funcs.append(body)
    init = None
    if draw(st.integers(0, 3)) == 0:
        init = []
        for name, lo, hi, _ in globals_:
            if draw(st.booleans()):
                init.append(("iset", name, draw(st.integers(lo, hi))) if draw(st.booleans())
                            else ("inondet", name, lo, draw(st.integers(lo, hi))))
    pnames = gnames + [f"{a}[{i}]" for a, n in arr_sizes for i in range(n)]
    inv = draw_prop(draw, pnames, "invariant")
    start = {name: init for name, _, _, init in globals_}
    for a, n, _, _, inits in arrays:
        start.update({f"{a}[{i}]": inits[i] for i in range(n)})
    if not brute.ev(inv, start, {}) and draw(st.integers(0, 3)):
        inv = ("!", inv)  # mostly let the invariant hold initially, so violations need steps
    props = [("invariant", "inv", inv), ("final", "fin", draw_prop(draw, pnames, "final"))]
    if draw(st.booleans()):
        props.append(("reachable", "reach", draw_prop(draw, pnames, "reachable")))
    return Spec(globals_, locks, funcs, props, entries=layout, helpers=helpers, lock_hi=lock_hi,
                init=init, fatal_warnings=draw(st.integers(0, 3)) == 0, arrays=arrays, gptrs=gptrs)


@settings()  # the profile's count of random programs: see tests/conftest.py
@given(specs())
def test_random_programs(spec):
    mine = brute.explore(spec, max_states=50_000)
    if mine.max_states_hit:  # keep the run short; rare
        return
    with tempfile.TemporaryDirectory() as d:
        compare(spec, Path(d), mine)
