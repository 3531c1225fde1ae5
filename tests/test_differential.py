"""Differential tests: hugemc's BFS and DFS against an independent brute-force enumerator.

Random small programs (and a handful of hand-written ones) are written out as
a C model plus a scenario, checked by hugemc, and explored by
``tests/brute.py``, which executes its own lowering of the same generated
structure and shares no code with hugemc's IR, backend or explorers. The two
must agree on the number of reachable states, on which properties are
violated (and reached), and BFS counterexamples must be exactly as long as the
enumerator's shortest paths.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hugemc.backend import compile_program
from hugemc.check import check_program
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


# ---------------------------------------------------------------------------
# running both sides and comparing
# ---------------------------------------------------------------------------

def run_hugemc(spec: Spec, folder: Path):
    (folder / "m.c").write_text(spec.c_text())
    (folder / "s.toml").write_text(spec.toml_text())
    sc = load_scenario(folder / "s.toml")
    prog = build_program(sc)
    model = compile_program(prog)
    rb = bfs(model)
    rd = dfs(model)
    checked = check_program(sc, prog)
    return rb, rd, checked


def _raw_len(found) -> int:
    """Steps of a raw counterexample: path edges, plus the failing step for errors."""
    return len(found.path) - 1 + (1 if found.thread is not None else 0)


def compare(spec: Spec, folder: Path, mine=None):
    """Run both sides, assert agreement, return the enumerator's outcome."""
    if mine is None:
        mine = brute.explore(spec)
    assert not mine.max_states_hit
    rb, rd, checked = run_hugemc(spec, folder)
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


G3 = [("g0", 0, 3, 0)]


def test_lost_update(tmp_path):
    spec = Spec(G3, [], [[("incr", "g0", 1, "++")], [("incr", "g0", 1, "++")]],
                [("final", "two", ("==", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    # positions per thread: before the load, after it (temp live), done
    assert mine.states == 12
    assert mine.violations == {"two": 4}


def test_atomic_inc_no_lost_update(tmp_path):
    spec = Spec(G3, [], [[("rmw", "atomic_inc", "g0", (), None)]] * 2,
                [("final", "two", ("==", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.states == 4 and mine.violations == {}


def test_locked_increments(tmp_path):
    body = [("lock", "l0"), ("incr", "g0", 1, "++"), ("unlock", "l0")]
    spec = Spec(G3, ["l0"], [body, body], [("final", "two", ("==", g("g0"), c(2))),
                                           ("invariant", "le2", ("<=", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.violations == {}


def test_three_loads(tmp_path):
    gl = [("g0", 0, 3, 0), ("g1", 0, 3, 1), ("g2", 0, 3, 2)]
    spec = Spec(gl, [], [[("assign", "g0", ("+", g("g1"), g("g2")))],
                         [("assign", "g1", c(3)), ("assign", "g2", c(0))]],
                [("invariant", "inv", ("<=", g("g0"), c(2))), ("final", "fin", ("==", g("g0"), c(3)))])
    mine = compare(spec, tmp_path)
    # g0 = 1 + 2 = 3 with no interference: load, load, store
    assert mine.violations["inv"] == 3
    assert "domain_overflow" in mine.violations


def test_same_global_twice(tmp_path):
    spec = Spec(G3, [], [[("assign", "g0", ("+", g("g0"), g("g0")))], [("incr", "g0", 1, "++")]],
                [("final", "fin", ("!=", g("g0"), c(1)))])
    compare(spec, tmp_path)


def test_domain_overflow(tmp_path):
    spec = Spec([("g0", 0, 1, 0)], [], [[("incr", "g0", 1, "++")],
                                        [("rmw", "atomic_inc", "g0", (), None)]], [])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"domain_overflow": 3}


def test_abba_deadlock(tmp_path):
    t0 = [("lock", "l0"), ("lock", "l1"), ("assign", "g0", c(1)), ("unlock", "l1"), ("unlock", "l0")]
    t1 = [("lock", "l1"), ("lock", "l0"), ("assign", "g0", c(2)), ("unlock", "l0"), ("unlock", "l1")]
    mine = compare(Spec(G3, ["l0", "l1"], [t0, t1], []), tmp_path)
    assert mine.violations == {"deadlock": 2}


def test_exit_holding_lock(tmp_path):
    t0 = [("lock", "l0"), ("assign", "g0", c(1))]
    t1 = [("lock", "l0"), ("assign", "g0", c(2)), ("unlock", "l0")]
    mine = compare(Spec(G3, ["l0"], [t0, t1], []), tmp_path)
    assert "deadlock" in mine.violations


def test_unlock_unheld(tmp_path):
    t0 = [("lock", "l0"), ("assign", "g0", c(1)), ("unlock", "l0")]
    t1 = [("assign", "g0", c(2)), ("unlock", "l0")]
    mine = compare(Spec(G3, ["l0"], [t0, t1], []), tmp_path)
    assert mine.violations == {"unlock_unheld": 2}


def test_load_then_local_use(tmp_path):
    gl = [("g0", 0, 3, 0), ("g1", 0, 3, 0)]
    t0 = [("load", "v1", "g0"), ("assign", "g1", c(1)), ("if", ("==", l("v1"), c(1)),
                                                          [("assign", "g1", c(2))], [])]
    t1 = [("assign", "g0", c(1)), ("assign", "g0", c(0))]
    spec = Spec(gl, [], [t0, t1], [("reachable", "two", ("==", g("g1"), c(2))),
                                   ("final", "fin", ("!=", g("g1"), c(2)))])
    mine = compare(spec, tmp_path)
    assert "two" in mine.reached and "fin" in mine.violations


def test_local_assert(tmp_path):
    t0 = [("load", "v1", "g0"), ("assert", ("==", l("v1"), c(0)))]
    t1 = [("assign", "g0", c(1))]
    mine = compare(Spec(G3, [], [t0, t1], []), tmp_path)
    assert mine.violations == {"assertion": 2}


def test_global_assert_two_loads(tmp_path):
    gl = [("g0", 0, 3, 0), ("g1", 0, 3, 0)]
    t0 = [("assert", ("<=", ("+", g("g0"), g("g1")), c(1)))]
    t1 = [("assign", "g0", c(1)), ("assign", "g1", c(1))]
    mine = compare(Spec(gl, [], [t0, t1], []), tmp_path)
    assert mine.violations == {"assertion": 4}


def test_nondet_and_assume(tmp_path):
    t0 = [("nondet", "v1", 0, 2, 1, [("assign", "g0", c(2))], [("rmw", "atomic_inc", "g0", (), None)])]
    t1 = [("assume", (">=", g("g0"), c(1))), ("incr", "g0", -1, "++")]
    spec = Spec(G3, [], [t0, t1], [("final", "fin", ("==", g("g0"), c(0)))])
    mine = compare(spec, tmp_path)
    assert "fin" in mine.violations


def test_blocked_forever(tmp_path):
    t0 = [("assume", ("==", g("g0"), c(3)))]
    t1 = [("assign", "g0", c(1))]
    mine = compare(Spec(G3, [], [t0, t1], []), tmp_path)
    assert mine.violations == {"deadlock": 1}


def test_spin_wait(tmp_path):
    gl = [("g0", 0, 3, 0), ("g1", 0, 3, 0)]
    t0 = [("spin", "g0", 1), ("assign", "g1", c(1))]
    t1 = [("assign", "g0", c(1))]
    mine = compare(Spec(gl, [], [t0, t1], [("final", "fin", ("==", g("g1"), c(1)))]), tmp_path)
    assert mine.violations == {}


def test_cmpxchg_and_xchg(tmp_path):
    gl = [("g0", 0, 3, 0), ("g1", 0, 3, 0)]
    t0 = [("rmw", "atomic_cmpxchg", "g0", (c(0), c(1)), "v1"),
          ("if", ("==", l("v1"), c(0)), [("assign", "g1", c(1))], [])]
    t1 = [("rmw", "atomic_xchg", "g0", (c(2),), "v2"), ("assign", "g1", ("+", l("v2"), c(2)))]
    spec = Spec(gl, [], [t0, t1], [("invariant", "inv", ("<=", g("g1"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"inv": 3}


def test_atomic_block_with_locals(tmp_path):
    gl = [("g0", 0, 2, 1), ("g1", 0, 3, 0)]
    t0 = [("atomic", ["v1"], [("set", "v1", g("g0")),
                              ("aif", ("==", g("g0"), c(1)), [("store", "g0", c(0))], [("store", "g1", c(3))])]),
          ("assign", "g1", ("+", l("v1"), g("g0")))]
    t1 = [("atomic", [], [("store", "g0", ("+", g("g0"), c(1)))])]
    spec = Spec(gl, [], [t0, t1], [("final", "fin", ("<=", g("g1"), c(2)))])
    compare(spec, tmp_path)


def test_invariant_violated_initially(tmp_path):
    spec = Spec([("g0", 0, 3, 2)], [], [[("assign", "g0", c(0))], [("assign", "g0", c(1))]],
                [("invariant", "inv", ("<", g("g0"), c(2)))])
    mine = compare(spec, tmp_path)
    assert mine.violations == {"inv": 0}


def test_empty_and_local_only_threads(tmp_path):
    t0 = [("nondet", "v1", 0, 1, None, [("assign", "g0", c(1))], [])]
    t1 = []
    mine = compare(Spec(G3, [], [t0, t1], [("final", "fin", ("==", g("g0"), c(0)))]), tmp_path)
    assert mine.violations == {"fin": 2}


# ---------------------------------------------------------------------------
# random programs
# ---------------------------------------------------------------------------

class Ctx:
    def __init__(self, tid: int, globals_: list, nlocks: int) -> None:
        self.tid = tid
        self.gnames = [x[0] for x in globals_]
        self.locks = [f"l{i}" for i in range(nlocks)]
        self.locals: list[str] = []
        self.nlocal = 0
        self.used_locks: set[str] = set()

    def fresh(self) -> str:
        self.nlocal += 1
        return f"v{self.nlocal}"


K = st.integers(-1, 3)


def draw_gexpr(draw, ctx: Ctx, allow_locals: bool = True):
    """A value expression over globals, locals and constants (no short-circuit)."""
    gs = st.sampled_from(ctx.gnames)
    forms = ["k", "g", "g+k", "g-k", "g+g", "g-g", "-g+k"]
    if allow_locals and ctx.locals:
        forms += ["v", "v+k", "v+g"]
    f = draw(st.sampled_from(forms))
    if f == "k":
        return ("c", draw(K))
    if f == "g":
        return ("g", draw(gs))
    if f in ("g+k", "g-k"):
        return (f[1], ("g", draw(gs)), ("c", draw(st.integers(1, 2))))
    if f in ("g+g", "g-g"):
        return (f[1], ("g", draw(gs)), ("g", draw(gs)))
    if f == "-g+k":
        return ("+", ("neg", ("g", draw(gs))), ("c", draw(st.integers(1, 3))))
    v = ("l", draw(st.sampled_from(ctx.locals)))
    if f == "v":
        return v
    if f == "v+k":
        return ("+", v, ("c", draw(st.integers(-1, 1))))
    return ("+", v, ("g", draw(gs)))


CMPS = ["==", "!=", "<=", "<", ">=", ">"]


def draw_cond(draw, ctx: Ctx, locals_only: bool = False, globals_only: bool = False):
    """A comparison over globals and/or locals (no short-circuit)."""
    op = draw(st.sampled_from(CMPS))
    opts = []
    if not locals_only:
        opts += ["g", "g+g", "g?g"]
    if ctx.locals and not globals_only:
        opts += ["v"]
        if not locals_only:
            opts += ["v?g"]
    f = draw(st.sampled_from(opts))
    gs = st.sampled_from(ctx.gnames)
    if f == "g":
        return (op, ("g", draw(gs)), ("c", draw(K)))
    if f == "g+g":
        return (op, ("+", ("g", draw(gs)), ("g", draw(gs))), ("c", draw(st.integers(0, 4))))
    if f == "g?g":
        return (op, ("g", draw(gs)), ("g", draw(gs)))
    if f == "v":
        return (op, ("l", draw(st.sampled_from(ctx.locals))), ("c", draw(K)))
    return (op, ("l", draw(st.sampled_from(ctx.locals))), ("g", draw(gs)))


def draw_acond(draw, ctx: Ctx):
    """A condition inside an atomic block (short-circuit allowed: no step boundaries)."""
    a = draw_cond(draw, ctx)
    if draw(st.booleans()):
        return a
    return (draw(st.sampled_from(["&&", "||"])), a, draw_cond(draw, ctx))


def draw_simple(draw, ctx: Ctx):
    """A statement that defines no local (for branches)."""
    gs = st.sampled_from(ctx.gnames)
    kind = draw(st.sampled_from(["assign", "assign", "incr", "rmw", "atomic"]))
    if kind == "assign":
        return ("assign", draw(gs), draw_gexpr(draw, ctx))
    if kind == "incr":
        delta = draw(st.sampled_from([1, -1, 2]))
        style = "++" if abs(delta) == 1 and draw(st.booleans()) else "+="
        return ("incr", draw(gs), delta, style)
    if kind == "rmw":
        fn = draw(st.sampled_from(["atomic_inc", "atomic_dec", "atomic_add", "atomic_sub",
                                   "atomic_cmpxchg", "atomic_xchg"]))
        return ("rmw", fn, draw(gs), _rmw_args(draw, fn), None)
    x, y = draw(gs), draw(gs)
    if draw(st.booleans()):
        return ("atomic", [], [("store", x, ("+", ("g", x), ("c", draw(st.integers(1, 2)))))])
    return ("atomic", [], [("aif", draw_acond(draw, ctx), [("store", y, draw_gexpr(draw, ctx))], [])])


def _rmw_args(draw, fn):
    if fn in ("atomic_add", "atomic_sub", "atomic_fetch_add"):
        return (draw(st.integers(1, 2)),)
    if fn == "atomic_xchg":
        return (("c", draw(K)),)
    if fn == "atomic_cmpxchg":
        return (("c", draw(st.integers(0, 2))), ("c", draw(K)))
    return ()


def draw_stmt(draw, ctx: Ctx, depth: int) -> list:
    """One top-level statement (possibly a lock/unlock bracket around a few)."""
    gs = st.sampled_from(ctx.gnames)
    kinds = ["simple", "simple", "load", "rmw_ret", "atomic_def", "atomic_misc", "nondet", "gif",
             "assert", "assume", "spin", "lock", "lock"]
    if ctx.locals:
        kinds += ["lif", "lif", "assert"]
    if depth > 0:
        kinds = [k for k in kinds if k not in ("spin",)]
    kind = draw(st.sampled_from(kinds))
    if kind == "simple":
        return [draw_simple(draw, ctx)]
    if kind == "load":
        v = ctx.fresh()
        s = ("load", v, draw(gs))
        ctx.locals.append(v)
        return [s]
    if kind == "rmw_ret":
        fn = draw(st.sampled_from(["atomic_fetch_add", "atomic_cmpxchg", "atomic_xchg"]))
        v = ctx.fresh()
        s = ("rmw", fn, draw(gs), _rmw_args(draw, fn), v)
        ctx.locals.append(v)
        return [s]
    if kind == "atomic_def":
        v = ctx.fresh()
        x = draw(gs)
        body = [("set", v, ("g", x))]
        if draw(st.booleans()):
            body.append(("store", x, draw_gexpr(draw, ctx, allow_locals=False)))
        else:
            body.append(("aif", draw_acond(draw, ctx), [("set", v, draw_gexpr(draw, ctx))],
                         [("store", draw(gs), draw_gexpr(draw, ctx))]))
        ctx.locals.append(v)
        return [("atomic", [v], body)]
    if kind == "atomic_misc":
        f = draw(st.sampled_from(["assume", "check", "ifelse"]))
        if f == "assume":
            body = [("aassume", draw_acond(draw, ctx)), ("store", draw(gs), draw_gexpr(draw, ctx))]
        elif f == "check":
            body = [("acheck", draw_acond(draw, ctx), brute.ASSERTION)]
        else:
            body = [("aif", draw_acond(draw, ctx), [("store", draw(gs), draw_gexpr(draw, ctx))],
                     [("store", draw(gs), draw_gexpr(draw, ctx))])]
        return [("atomic", [], body)]
    if kind == "nondet":
        v = ctx.fresh()
        lo, hi = draw(st.sampled_from([(0, 1), (0, 2), (1, 2)]))
        excl = draw(st.sampled_from([None, None, lo, hi]))
        th = [draw_simple(draw, ctx)]
        el = [draw_simple(draw, ctx)] if draw(st.booleans()) else []
        return [("nondet", v, lo, hi, excl, th, el)]
    if kind in ("gif", "lif"):
        cond = draw_cond(draw, ctx, locals_only=(kind == "lif"), globals_only=(kind == "gif"))
        th = [draw_simple(draw, ctx)]
        el = [draw_simple(draw, ctx)] if draw(st.booleans()) else []
        return [("if", cond, th, el)]
    if kind == "assert":
        return [("assert", draw_cond(draw, ctx))]
    if kind == "assume":
        return [("assume", draw_cond(draw, ctx))]
    if kind == "spin":
        return [("spin", draw(gs), draw(st.integers(0, 2)))]
    if kind == "lock":
        free = [lk for lk in ctx.locks if lk not in ctx.used_locks]
        if not free or depth > 1:
            return [draw_simple(draw, ctx)]
        lk = draw(st.sampled_from(free))
        ctx.used_locks.add(lk)
        body = []
        for _ in range(draw(st.integers(1, 2))):
            body += draw_stmt(draw, ctx, depth + 1)
        ctx.used_locks.discard(lk)
        tail = draw(st.sampled_from(["unlock"] * 6 + ["missing", "twice"]))
        out = [("lock", lk)] + body
        if tail != "missing":
            out.append(("unlock", lk))
        if tail == "twice":
            out.append(("unlock", lk))
        return out
    raise AssertionError(kind)


def draw_prop(draw, gnames, kind):
    gs = st.sampled_from(gnames)
    f = draw(st.sampled_from(["sum", "one", "pair", "cmp"]))
    if f == "sum":
        e = (draw(st.sampled_from(["<=", ">=", "!="])), ("+", ("g", draw(gs)), ("g", draw(gs))),
             ("c", draw(st.integers(0, 4))))
    elif f == "one":
        e = (draw(st.sampled_from(CMPS)), ("g", draw(gs)), ("c", draw(K)))
    elif f == "pair":
        e = ("&&", ("==", ("g", draw(gs)), ("c", draw(K))), ("==", ("g", draw(gs)), ("c", draw(K))))
        if kind != "reachable":
            e = ("!", e)
    else:
        e = ("||", (draw(st.sampled_from(CMPS)), ("g", draw(gs)), ("g", draw(gs))),
             ("==", ("g", draw(gs)), ("c", draw(K))))
    return e


@st.composite
def specs(draw):
    ng = draw(st.integers(1, 3))
    globals_ = []
    for i in range(ng):
        lo = draw(st.sampled_from([0, 0, 0, -1]))
        hi = draw(st.integers(1, 3))
        init = draw(st.integers(lo, hi)) if draw(st.booleans()) else 0
        globals_.append((f"g{i}", lo, hi, init))
    nt = draw(st.integers(2, 3))
    nlocks = draw(st.integers(0, 2))
    minlen, maxlen = (2, 5) if nt == 2 else (1, 3)
    threads = []
    for tid in range(nt):
        ctx = Ctx(tid, globals_, nlocks)
        body: list = []
        for _ in range(draw(st.integers(minlen, maxlen))):
            body += draw_stmt(draw, ctx, 0)
        threads.append(body)
    gnames = [x[0] for x in globals_]
    inv = draw_prop(draw, gnames, "invariant")
    g0 = {name: init for name, _, _, init in globals_}
    if not brute.ev(inv, g0, {}) and draw(st.integers(0, 3)):
        inv = ("!", inv)  # mostly let the invariant hold initially, so violations need steps
    props = [("invariant", "inv", inv), ("final", "fin", draw_prop(draw, gnames, "final"))]
    if draw(st.booleans()):
        props.append(("reachable", "reach", draw_prop(draw, gnames, "reachable")))
    return Spec(globals_, [f"l{i}" for i in range(nlocks)], threads, props)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(specs())
def test_random_programs(spec):
    mine = brute.explore(spec, max_states=60_000)
    if mine.max_states_hit:  # keep the run short; hypothesis rarely draws these
        return
    with tempfile.TemporaryDirectory() as d:
        compare(spec, Path(d), mine)
