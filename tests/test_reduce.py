"""Reductions, stores and the multi-process search keep every verdict.

Each example, and randomly generated programs checked against the
independent brute-force enumerator, are explored with partial-order
reduction, symmetry reduction, both, two worker processes, and the disk and
hash-compact stores. Verdicts (violated and reached properties) must be the
same as without them; counterexamples must replay; their length must stay the
shortest except under partial-order reduction (which may lengthen them).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import os

import pytest
from hypothesis import given, settings

from conftest import EXAMPLES, check_file, write_scenario
from hugemc.backend import compile_program
from hugemc.explore import bfs, dfs
from hugemc.explore.parallel import parallel_bfs
from hugemc.explore.reduce import Reduction
from hugemc.lang import build_program
from hugemc.scenario import load_scenario

import test_differential as td

VARIANTS = {
    "por": dict(por=True),
    "symmetry": dict(symmetry=True),
    "por+symmetry": dict(por=True, symmetry=True),
    "dfs+por": dict(strategy="dfs", por=True),
    "workers": dict(workers=2, engine="python"),  # the processes of the Python engine (threads: test_compiled)
    "workers+por+symmetry": dict(workers=2, por=True, symmetry=True),
    "disk": dict(store="disk"),
}


def outcome(result):
    viol = {v.property: len(v.trace.steps) for v in result.violations}
    reached = {p.name: len(p.witness.steps) for p in result.properties if p.witness is not None}
    return viol, reached


# The partial-order reduction's per-state access analysis takes 10-80 s on these large models (each
# variant): CI checks them under the other variants only; HUGEMC_FULL_REDUCE=1 runs every variant on every
# example. The random programs of test_differential run --por under BFS and DFS.
POR_SLOW = {"hugetlb-pool-speculative", "hvo-32c877191e02-buggy", "hvo-32c877191e02-fixed",
            "hvo-d8f5f7e445f0-residual", "hwpoison-405ce051236c-buggy", "hwpoison-405ce051236c-fixed",
            "hwpoison-5596d9e8b553-buggy", "hwpoison-5596d9e8b553-fixed", "surplus-25182f05ffed-buggy",
            "surplus-25182f05ffed-fixed", "surplus-5.15-give-up"}


EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.toml") if p.stem != "seed-merged-contended")
# the two combinations of reductions run on every third example in CI (each alone runs on every one)
COMBINED = {"por+symmetry", "workers+por+symmetry"}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_keep_their_verdicts(name):
    path = EXAMPLES / f"{name}.toml"
    base = check_file(path)
    bv, br = outcome(base)
    every = os.environ.get("HUGEMC_FULL_REDUCE") == "1"
    full = every or name not in POR_SLOW
    for label, opts in VARIANTS.items():
        if "por" in label and not full:
            continue
        if label in COMBINED and not every and EXAMPLE_NAMES.index(name) % 3:
            continue
        r = check_file(path, **opts)  # also replays every trace
        assert r.ok == base.ok and r.verdict == base.verdict, label
        v, reached = outcome(r)
        assert set(v) == set(bv) and set(reached) == set(br), label
        if "dfs" in label:  # depth-first: valid traces, not the shortest
            assert r.stats.states <= base.stats.states, label
        elif "por" in label:
            assert r.stats.states <= base.stats.states, label
            assert all(v[k] >= bv[k] for k in v), label
        else:  # the same shortest counterexamples
            assert v == bv and reached == br, label
        if label in ("workers", "disk"):
            assert r.stats.states == base.stats.states and r.stats.transitions == base.stats.transitions, label
            assert r.coverage == base.coverage, label


def test_symmetry_divides_the_contended_example():
    path = EXAMPLES / "seed-merged-contended.toml"
    base = check_file(path)
    r = check_file(path, symmetry=True)
    assert r.ok and r.verdict == base.verdict == "holds"
    # three pairs of identical threads: at most 2**3 fewer states
    assert base.stats.states / 8 <= r.stats.states < base.stats.states / 4
    assert "symmetry" in r.stats.reduction and "alloc0, alloc1" in r.stats.reduction
    assert {p.name for p in r.properties if p.status == "reached"} == \
        {p.name for p in base.properties if p.status == "reached"}


LOCKED = """
    int counter __range(0, 4);
    int owner_seen __range(0, 3);
    spinlock_t lock;

    void worker(void)
    {
        spin_lock(&lock);
        counter++;
        spin_unlock(&lock);
    }

    void sloppy(void)
    {
        int v = READ_ONCE(counter);
        WRITE_ONCE(counter, v + 1);
    }

    FINAL(all_counted) { return counter == 3; }
"""


def test_symmetry_permutes_lock_holders(tmp_path):
    p = write_scenario(tmp_path, LOCKED, {"w": ("worker()", 3)})
    base = check_file(p)
    r = check_file(p, symmetry=True)
    assert base.verdict == r.verdict == "holds"
    assert r.stats.states < base.stats.states
    model = compile_program(build_program(load_scenario(p)))
    red = Reduction(model, symmetry=True)
    assert red.groups == [[0, 1, 2]] and len(red.holder_slots) == 1
    # a state where w1 holds the lock is represented by one where a canonical thread does,
    # and the lock word names that thread
    init = model.initial_states()[0]
    res: list = []
    model.thread_expand[1](init, res, [], [])
    (s1,) = res
    c = red.canon(s1)
    lock = red.holder_slots[0]
    holder = model.layout.get(c, lock)
    assert holder >= 1
    moved = [t for t in range(3) if model.layout.get(c, model.program.threads[t].pc_slot)
             != model.layout.get(init, model.program.threads[t].pc_slot)]
    assert moved == [holder - 1]


def test_symmetry_with_a_race_gives_a_concrete_trace(tmp_path):
    p = write_scenario(tmp_path, LOCKED, {"w": ("worker()", 1), "s": ("sloppy()", 2)}, expect=["all_counted"])
    base = check_file(p)
    r = check_file(p, symmetry=True)  # check_file replays the trace
    assert r.ok and base.ok
    assert outcome(r) == outcome(base)
    assert r.stats.states < base.stats.states


def test_no_symmetry_when_a_property_reads_thread_state(tmp_path):
    src = LOCKED + "\nINVARIANT(lock_word_small) { return lock <= 3; }\n"
    p = write_scenario(tmp_path, src, {"w": ("worker()", 2)})
    model = compile_program(build_program(load_scenario(p)))
    red = Reduction(model, symmetry=True)
    assert red.groups == [] and "property reads" in red.describe()


INDEPENDENT = """
    int a __range(0, 9);
    int b __range(0, 9);
    int shared __range(0, 2);

    void left(void)  { int i; for (i = 0; i < 8; i++) WRITE_ONCE(a, READ_ONCE(a) + 1); WRITE_ONCE(shared, 1); }
    void right(void) { int i; for (i = 0; i < 8; i++) WRITE_ONCE(b, READ_ONCE(b) + 1); WRITE_ONCE(shared, 2); }

    INVARIANT(shared_ok) { return shared <= 2; }
    REACHABLE(right_last) { return shared == 2; }
"""


def test_por_collapses_independent_work(tmp_path):
    p = write_scenario(tmp_path, INDEPENDENT, {"l": "left()", "r": "right()"})
    base = check_file(p)
    r = check_file(p, por=True)
    assert base.verdict == r.verdict == "holds"
    assert [x.status for x in r.properties] == [x.status for x in base.properties]
    assert r.stats.states * 3 < base.stats.states
    assert "partial order" in r.stats.reduction


def test_por_keeps_a_violation_needing_a_late_interleaving(tmp_path):
    src = INDEPENDENT.replace("INVARIANT(shared_ok) { return shared <= 2; }",
                              "INVARIANT(not_both) { return !(a == 8 && b == 8 && shared == 1); }")
    p = write_scenario(tmp_path, src, {"l": "left()", "r": "right()"}, expect=["not_both"])
    base = check_file(p)
    r = check_file(p, por=True)
    assert base.ok and r.ok
    assert set(outcome(r)[0]) == {"not_both"}


def test_por_with_dfs_reduces_and_keeps_verdicts(tmp_path):
    p = write_scenario(tmp_path, INDEPENDENT, {"l": "left()", "r": "right()"})
    base = check_file(p, strategy="dfs")
    r = check_file(p, por=True, strategy="dfs")
    assert base.verdict == r.verdict == "holds"
    assert [x.status for x in r.properties] == [x.status for x in base.properties]
    assert r.stats.states * 3 < base.stats.states
    assert "partial order" in r.stats.reduction


def test_por_with_dfs_finds_a_late_interleaving(tmp_path):
    src = INDEPENDENT.replace("INVARIANT(shared_ok) { return shared <= 2; }",
                              "INVARIANT(not_both) { return !(a == 8 && b == 8 && shared == 1); }")
    p = write_scenario(tmp_path, src, {"l": "left()", "r": "right()"}, expect=["not_both"])
    r = check_file(p, por=True, strategy="dfs")  # the trace replays
    assert r.ok and set(outcome(r)[0]) == {"not_both"}


TOGGLER = """
    int priv __range(0, 1);
    int bad __range(0, 1);

    void toggler(void) { while (1) WRITE_ONCE(priv, !READ_ONCE(priv)); }
    void breaker(void) { WRITE_ONCE(bad, 1); }

    INVARIANT(never_bad) { return bad == 0; }
"""


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_por_proviso_never_postpones_a_step_forever(tmp_path, strategy):
    """The toggler's endless loop is invisible and independent of the breaker, so {toggler}
    is a persistent set in every state of the loop: without the cycle (BFS) or stack (DFS)
    proviso the reduced search would go round the loop and never let the breaker run."""
    p = write_scenario(tmp_path, TOGGLER, {"t": "toggler()", "b": "breaker()"}, expect=["never_bad"])
    base = check_file(p, strategy=strategy)
    r = check_file(p, por=True, strategy=strategy)
    assert base.ok and r.ok and set(outcome(r)[0]) == {"never_bad"}
    assert "partial order" in r.stats.reduction


PAGES = """
    struct pg { int count __range(0, 3); int flags __range(0, 3); };
    struct pg pgs[3];
    int stat __range(0, 3);

    void worker(int i)
    {
        struct pg *p = &pgs[i];
        int j;
        for (j = 0; j < 3; j++) {
            int c = READ_ONCE(p->count);
            WRITE_ONCE(p->count, (c + 1) % 3);
            WRITE_ONCE(p->flags, j);
        }
    }

    FINAL(all_done) { return pgs[0].count + pgs[1].count + pgs[2].count >= 0; }
"""


def test_por_resolves_page_indices_in_the_state(tmp_path):
    """Workers on pgs[0], pgs[1], pgs[2] through a pointer (a table access): independent.

    With the static sets (every element of the table) no step would commute.
    """
    p = write_scenario(tmp_path, PAGES, {"w0": "worker(0)", "w1": "worker(1)", "w2": "worker(2)"})
    for strategy in ("bfs", "dfs"):
        base = check_file(p, strategy=strategy)
        r = check_file(p, por=True, strategy=strategy)
        assert base.verdict == r.verdict == "holds"
        assert r.stats.states * 10 < base.stats.states, (strategy, r.stats.states, base.stats.states)
    model = compile_program(build_program(load_scenario(p)))
    red = Reduction(model, por=True)
    s0 = model.initial_states()[0]
    step, fut = red.accesses(s0)
    slot = {s.name: i for i, s in enumerate(model.program.slots)}
    for t in range(3):  # each worker's future touches its own page only
        own = {slot[f"pgs[{t}].count"], slot[f"pgs[{t}].flags"]}
        others = {slot[f"pgs[{u}].{f}"] for u in range(3) if u != t for f in ("count", "flags")}
        assert all(fut[t][1] >> k & 1 for k in own)
        assert not any((fut[t][0] | fut[t][1]) >> k & 1 for k in others)


SHARED_PAGE = PAGES.replace("struct pg *p = &pgs[i];", "struct pg *p = &pgs[READ_ONCE(stat)];") + """
    void mover(void) { WRITE_ONCE(stat, 2); }
"""


def test_por_falls_back_when_the_index_is_not_known(tmp_path):
    """The page comes from a global another thread changes: every page it may name may be touched."""
    p = write_scenario(tmp_path, SHARED_PAGE, {"w0": "worker(0)", "w1": "worker(1)", "m": "mover()"})
    model = compile_program(build_program(load_scenario(p)))
    red = Reduction(model, por=True)
    step, fut = red.accesses(model.initial_states()[0])
    slot = {s.name: i for i, s in enumerate(model.program.slots)}
    assert all(fut[0][1] >> slot[f"pgs[{u}].count"] & 1 for u in range(3))
    base = check_file(p)
    r = check_file(p, por=True)
    assert base.verdict == r.verdict == "holds"


def test_por_persistent_set_of_two_threads(tmp_path):
    """Two threads sharing a page depend on each other, a third works alone: when the
    lone thread's step is visible, the pair {w0, w1} is a persistent set of its own."""
    src = PAGES.replace("FINAL(all_done)", "INVARIANT(third_small) { return pgs[2].flags <= 3; }\nFINAL(all_done)")
    p = write_scenario(tmp_path, src, {"w0": "worker(0)", "w1": "worker(0)", "w2": "worker(2)"})
    model = compile_program(build_program(load_scenario(p)))
    red = Reduction(model, por=True)
    s0 = model.initial_states()[0]
    cands = red._candidates(red.pc_key(s0))
    assert (0b011, (0, 1)) in cands
    base = check_file(p)
    r = check_file(p, por=True)
    assert base.verdict == r.verdict == "holds"
    assert r.stats.states < base.stats.states


def test_hash_compact_never_claims_holds(tmp_path):
    path = EXAMPLES / "seed-merged-two-readers.toml"
    base = check_file(path)
    r = check_file(path, store="hash-compact")
    assert base.verdict == "holds" and r.verdict == "incomplete" and not r.ok
    assert r.stats.limit == "hash_compact" and r.stats.states == base.stats.states
    assert any("may have been missed" in p for p in r.problems)
    viol = check_file(EXAMPLES / "dissolve-2021-race.toml", store="hash-compact")
    assert viol.verdict == "violated"


def test_symmetry_with_dfs(tmp_path):
    p = write_scenario(tmp_path, LOCKED, {"w": ("worker()", 1), "s": ("sloppy()", 2)}, expect=["all_counted"])
    r = check_file(p, symmetry=True, strategy="dfs")
    assert r.ok and r.verdict == "violated"


@settings(max_examples=max(settings.default.max_examples // 2, 1))  # the profile's count (tests/conftest.py), halved
@given(td.specs())
def test_random_programs_reduced(spec):
    """Random programs: reductions agree with the brute-force enumerator."""
    mine = td.brute.explore(spec, max_states=20_000)
    if mine.max_states_hit:
        return
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "m.c").write_text(spec.c_text())
        (folder / "s.toml").write_text(spec.toml_text())
        sc = load_scenario(folder / "s.toml")
        prog = build_program(sc)
        ctx = "\n--- m.c ---\n" + spec.c_text() + "--- s.toml ---\n" + spec.toml_text()
        for por, sym in ((True, False), (False, True), (True, True)):
            model = compile_program(prog)
            r = bfs(model, reduce=Reduction(model, por=por, symmetry=sym))
            if por:  # the same verdicts depth-first, with the stack proviso
                model2 = compile_program(prog)
                d = dfs(model2, reduce=Reduction(model2, por=True, symmetry=sym))
                d.violations = td._by_kind(d.violations)
                assert d.complete, ctx
                assert set(d.violations) == set(mine.violations), ("dfs", sym, ctx)
                assert set(d.reached) == set(mine.reached), ("dfs", sym, ctx)
                assert d.states <= mine.states, ctx
            r.violations = td._by_kind(r.violations)  # the enumerator names assertion sites by kind
            assert r.complete, ctx
            assert set(r.violations) == set(mine.violations), (por, sym, ctx)
            assert set(r.reached) == set(mine.reached), (por, sym, ctx)
            assert r.states <= mine.states, ctx
            for name, found in r.violations.items():
                n = td._raw_len(found)
                assert (n >= mine.violations[name]) if por else (n == mine.violations[name]), (name, por, sym, ctx)
            checked = td._checked_by_kind(check_file(folder / "s.toml", por=por, symmetry=sym))  # traces replay
            assert {v.property for v in checked.violations} == set(mine.violations), ctx
        # the multi-process search: exactly the states and shortest counterexamples
        model = compile_program(prog)
        r = parallel_bfs(model, workers=2)
        r.violations = td._by_kind(r.violations)
        assert r.complete and r.states == mine.states, ctx
        assert set(r.violations) == set(mine.violations) and set(r.reached) == set(mine.reached), ctx
        for name, found in r.violations.items():
            assert td._raw_len(found) == mine.violations[name], (name, ctx)


LEAKY = """
    int seen __range(0, 3);
    spinlock_t lock;

    void worker(void)
    {
        spin_lock(&lock);
        seen = lock;
        spin_unlock(&lock);
    }
"""


def test_no_symmetry_when_a_holder_id_is_data(tmp_path):
    """A thread that copies the lock word (its holder's id) into a global tells the threads apart."""
    p = write_scenario(tmp_path, LEAKY, {"w": ("worker()", 2)})
    model = compile_program(build_program(load_scenario(p)))
    red = Reduction(model, symmetry=True)
    assert red.groups == [] and "holder's id is used as data" in red.describe()
    base, r = check_file(p), check_file(p, symmetry=True)
    assert r.stats.states == base.stats.states
