"""The packed state layout and the BFS state store."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from conftest import EXAMPLES
from hugemc.backend import compile_program
from hugemc.backend.layout import LayoutError, value_ranges
from hugemc.explore import bfs
from hugemc.explore.store import StateStore
from hugemc.lang import build_program
from hugemc.scenario import load_scenario


def model_of(name):
    return compile_program(build_program(load_scenario(EXAMPLES / f"{name}.toml")))


@pytest.mark.parametrize("name", ["lost-update", "seed-merged", "gigantic-merged"])
def test_pack_unpack_round_trip(name):
    m = model_of(name)
    L = m.layout
    seen = [m.unpack(s) for s in m.initial_states()]
    res: list = []
    for s in m.initial_states():
        m.expand(s, res, [], [])
    seen += [m.unpack(x) for x in res]
    for t in seen:
        x = m.pack(t)
        assert m.unpack(x) == t
        assert 0 <= x < 1 << (64 * L.words)
        for k in range(L.nstate):
            assert L.get(x, k) == t[k]


def test_layout_is_narrower_than_declared_domains():
    m = model_of("seed-merged-contended")
    L = m.layout
    declared = sum((s.hi - s.lo + 1).bit_length() for s in m.program.slots[:m.program.nstate])
    assert L.bits < 0.8 * declared
    # every analysed range lies inside the declared domain
    for k, s in enumerate(m.program.slots[:m.program.nstate]):
        if k not in L.pcs and L.lo[k] <= L.hi[k]:
            assert s.lo <= L.lo[k] <= L.hi[k] <= s.hi


def test_value_outside_the_analysed_range_is_refused():
    m = model_of("lost-update")
    L = m.layout
    t = list(m.unpack(m.initial_states()[0]))
    k = next(i for i in range(L.nstate) if i not in L.pcs and L.lo[i] <= L.hi[i])
    t[k] = L.hi[k] + 1
    with pytest.raises(LayoutError):
        m.pack(tuple(t))


def test_value_ranges_follow_stores(tmp_path):
    from conftest import write_scenario
    p = write_scenario(tmp_path, """
        int small;
        int idx;
        int counter;
        void f(void) { int c; WRITE_ONCE(small, 2); WRITE_ONCE(idx, (READ_ONCE(small) + 1) % 4);
                       c = READ_ONCE(counter); WRITE_ONCE(counter, c + 1); }
    """, {"t": "f()"})
    prog = build_program(load_scenario(p))
    from hugemc.ir.interp import Interpreter
    r = value_ranges(prog, Interpreter(prog).initial_states())
    assert r[prog.slot_index("small")] == (0, 2)
    assert r[prog.slot_index("idx")] == (0, 3)
    # a counter incremented without a bound the analysis can see: its declared domain
    decl = prog.slots[prog.slot_index("counter")]
    assert r[prog.slot_index("counter")] == (decl.lo, decl.hi)


@pytest.mark.parametrize("words", [1, 3])
@pytest.mark.parametrize("disk", [False, True])
def test_store_membership_and_paths(words, disk):
    st = StateStore(words, disk=disk)
    rng = random.Random(words)
    states = list(dict.fromkeys(rng.getrandbits(64 * words - 1) for _ in range(5000)))
    first, rest = states[:3000], states[3000:]
    for k in range(0, len(first), 700):  # several batches: several sorted runs, merged
        chunk = first[k:k + 700]
        st.add(st.to_keys(chunk), np.arange(k, k + len(chunk)) - 1)
    assert st.n == len(first)
    assert len(st.runs) < 6
    assert st.contains(st.run_keys(st.to_keys(first))).all()
    assert not st.contains(st.run_keys(st.to_keys(rest))).any()
    assert st.from_keys(st.keys(0, st.n)) == first
    assert st.path(4) == first[:5]  # parent of i is i - 1
    if disk:
        files = os.listdir(st._dir.name)
        assert files and all(f.endswith(".bin") for f in files)
        where = st._dir.name
        st.close()
        assert not os.path.exists(where)


def test_hash_compaction_keeps_64_bits_per_state():
    st = StateStore(3, hash_compact=True)
    xs = [random.Random(1).getrandbits(190) + i for i in range(1000)]
    keys = st.to_keys(xs)
    rk = st.run_keys(keys)
    assert rk.dtype == np.uint64 and len(set(rk.tolist())) == len(xs)
    st.add(keys, np.full(len(xs), -1))
    assert st.runs[0].nbytes == 8 * len(xs)


def test_bfs_store_is_compact():
    m = model_of("seed-merged-two-readers")
    r = bfs(m)
    per_state = r.store_bytes / r.states
    assert per_state == pytest.approx(8 * m.layout.words * 2 + 4, abs=1)
