"""Breadth-first search with the compiled engine (:mod:`hugemc.backend.jit`).

The same search as :func:`hugemc.explore.bfs.bfs`, state for state: the same
batches (at most one BFS level each), states numbered in the same discovery
order, the same limits, the same results. What changes is where the work is
done. Expanding a state, deduplicating its successors in an open-addressing
table over the packed words, and evaluating the properties on each new
state all run in machine code, with no Python per state.

The Python engine still does what needs exact messages, once per state
that needs it:

* a state the compiled code hands back (a step faults, warns, or could not
  be compiled, or no thread can move) is expanded by the model's Python
  ``expand``, and its successors inserted in order;
* a new state on which a property must be looked at (``_flag``) goes through
  the usual :class:`~hugemc.explore.common.Checker`.

No parent is stored. The parent of a state of level ``d`` is the first state
of level ``d - 1`` (in discovery order) that has it as a successor, which is
exactly the parent the Python engine stores; :meth:`CompiledSearch.path`
finds it by re-expanding that level in compiled code. So a stored state costs
its packed words and its share of the table, nothing else.
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
from collections import deque

import numpy as np

from ..backend import Model
from .common import Checker, Clock, Limits, Progress, SearchResult, peak_rss_bytes
from .store import StateStore

BATCH = 16384      # states expanded per batch (as the Python engine: the same batches)
OUTCAP = 4096      # successors of one state the compiled code handles (more: the Python engine's)
KGROW = 1.25       # the stored states grow by this factor (in place where the allocator can)
LOAD = 0.8         # the table grows past this load, 1.5 times (32-bit entries) or 2 times (wide states) larger
RUN = 512          # states expanded before their successors are inserted (hashed, then fetched ahead)
KEYS0 = 1 << 14    # stored states there is room for at first
TABLE0 = 1 << 15   # the table's first size
PEND = 1 << 17     # node hits of goto-compiled steps in one run (at least 65,536: one state's most)
FLAGCAP = 1 << 16  # flagged states between two visits of the property checker
CHUNK = 512        # --workers: states one thread expands at a time (its successors stay in cache)
SEG_ROWS = 1 << 15  # --workers: successors one thread expands into one buffer (at least OUTCAP)
SEG_PEND = 1 << 17  # --workers: node hits of goto-compiled steps per buffer (at least 65,536)


class CompiledSearch:
    """The state of one compiled breadth-first search (arrays, levels, the checker)."""

    def __init__(self, model: Model, jm, limits: Limits, progress: Progress | None, red=None,
                 workers: int = 1) -> None:
        self.model = model
        self.red = red  # a Reduction with symmetry groups (None: no symmetry)
        if red is not None and jm.info.get("sym_groups") != red.groups:
            raise ValueError("the compiled engine and the reduction disagree on the symmetry groups")
        jm.lib.hm_set_sym(1 if red is not None else 0)
        self.expand = red.expand if red is not None else model.expand  # the Python engine's expansion
        self.lib = jm.lib
        self.jm_info = jm.info
        self.W = W = jm.words
        self.limits = limits
        self.r = SearchResult()
        self.clock = Clock(limits, progress)
        self.chk = Checker(model, self.r)
        self.keys = _mapped(self.lib, (KEYS0, W), np.int64)
        # table entries: 32-bit state indices, or with states of several words, 64 bits with half the hash
        self.tdtype = np.int64 if jm.lib.hm_entry_bytes() == 8 else np.int32
        self.table = _mapped(self.lib, (TABLE0,), self.tdtype)
        self.out = np.zeros((2 * OUTCAP, W), dtype=np.int64)  # a run's successors
        self.oc = np.zeros(2 * OUTCAP, dtype=np.int32)
        self.ms = np.zeros(RUN, dtype=np.int64)
        self.pc = np.zeros(RUN, dtype=np.int64)
        self.pend = np.zeros(PEND, dtype=np.int64)
        self.pout = np.zeros((OUTCAP, W), dtype=np.int64)
        self.poc = np.zeros(OUTCAP, dtype=np.int32)
        info = jm.info  # paths of the path-expanded steps, then node hits and step hits of the others
        self.cov = np.zeros(info["npaths"] + 2 * info["nodes"] + 1, dtype=np.int64)
        self.flags = np.zeros(FLAGCAP, dtype=np.int64)
        self.props = [p.name for p in model.program.properties]
        self.openp = np.zeros(max(1, len(self.props)), dtype=np.int8)
        self.st = np.zeros(5, dtype=np.int64)  # transitions, max states, frontier only, limit hit, flags used
        self.n = 0
        self.bounds = [0]  # first state of each level, then the end of the current level
        self.errs: list = []
        self.warns: list = []
        self.nbytes = 8 * W
        self.py_transitions = 0  # successors the Python engine made
        self.seg_free: list[tuple] = []  # --workers: buffers of expanded chunks, for reuse
        self.grow_in_place = workers <= 1  # (under --workers other threads read the stored states)
        self._update_open()

    # -- conversions -------------------------------------------------------------
    def state(self, i: int) -> int:
        """The packed integer of stored state ``i``."""
        return int.from_bytes(self.keys[i].tobytes(), "little")

    def rows(self, states: list[int]) -> np.ndarray:
        """Packed integers as rows of words."""
        nb = self.nbytes
        b = b"".join([x.to_bytes(nb, "little") for x in states])
        return np.frombuffer(b, dtype=np.int64).reshape(len(states), self.W).copy()

    # -- storage -------------------------------------------------------------------
    def ensure(self, more: int) -> bool:
        """Room for ``more`` new states (False: the memory limit forbids it)."""
        n = self.n
        need_keys = n + more > len(self.keys)
        need_table = (n + more) > LOAD * len(self.table)
        if not (need_keys or need_table):
            return True
        kcap = max(int(len(self.keys) * KGROW), n + more) if need_keys else len(self.keys)
        tsize = len(self.table)
        while (n + more) > LOAD * tsize:
            tsize = int(tsize * (2.0 if self.table.itemsize == 8 else 1.5)) + 1
        if tsize >= 1 << 31:
            return False
        lim = self.limits.max_memory
        regrow = tsize != len(self.table) and self.table.itemsize == 8  # (the old table lives while it is read)
        room = kcap * self.nbytes + tsize * self.table.itemsize + (self.table.nbytes if regrow else 0)
        if lim is not None and room > lim:
            return False
        if need_keys and self.grow_in_place:  # remapped, not copied
            self.keys = _remapped(self.lib, self.keys, (kcap, self.W))
        elif need_keys:  # --workers: threads may be reading the old array; it lives on while they do
            keys = _mapped(self.lib, (kcap, self.W), np.int64)
            keys[:n] = self.keys[:n]
            self.keys = keys
        if regrow:  # the entries moved over, the states not read again
            table = _mapped(self.lib, (tsize,), self.tdtype)
            self.lib.hm_regrow(_p(self.table), len(self.table), _p(table), tsize)
            self.table = table
        elif tsize != len(self.table):
            self.table = None  # free it before the new one is made
            self.table = _mapped(self.lib, (tsize,), self.tdtype)
            self.lib.hm_rehash(_p(self.keys), n, _p(self.table), len(self.table))
        return True

    def store_bytes(self) -> int:
        """Bytes of the visited set: the words of every stored state (with spare room) and the table."""
        return self.keys.nbytes + self.table.nbytes

    # -- properties ------------------------------------------------------------------
    def _update_open(self) -> None:
        is_open = self.chk.is_open
        for k, name in enumerate(self.props):
            self.openp[k] = 1 if is_open(name) else 0

    def drain(self) -> None:
        """Run the property checker on the flagged states, in discovery order."""
        k = int(self.st[4])
        if not k:
            return
        idx = self.flags[:k].tolist()
        self.st[4] = 0
        on_state = self.chk.on_state
        for i in idx:
            on_state(self.state(i), lambda i=i: self.path(i))
        self._update_open()

    def insert_states(self, states: list[int]) -> None:
        """Insert successors made by the Python engine, in order (flags them as the compiled code does)."""
        if not states:
            return
        rows = self.rows(states)
        if not self.ensure(len(rows)):
            raise _MemoryFull
        if int(self.st[4]) + len(rows) > len(self.flags):
            self.drain()
            if len(rows) > len(self.flags):
                self.flags = np.zeros(len(rows), dtype=np.int64)
        self.n = self.lib.hm_insert(_p(self.keys), self.n, _p(self.table), len(self.table), _p(rows), len(rows),
                                    _p(self.openp), _p(self.flags), _p(self.st))

    def commit_coverage(self) -> None:
        """Add what the compiled steps ran to the model's coverage."""
        cov = self.model.coverage
        info = self.jm_info
        npaths, total, offs = info["npaths"], info["nodes"], info["node_offsets"]
        counts = cov.counts
        c = self.cov.tolist()
        paths = info["paths"]  # the generator's numbering (it may have run in another process)
        for k in range(npaths):
            if c[k]:
                tid, trail = paths[k]
                counts[cov.index(tid, tuple(trail))] += c[k]
        threads = self.model.program.threads
        for tid, t in enumerate(threads):
            base = offs[tid]
            for pc in range(len(t.nodes)):
                n = c[npaths + base + pc]
                if n:
                    cov.extra_nodes[(tid, pc)] = cov.extra_nodes.get((tid, pc), 0) + n
                n = c[npaths + total + base + pc]
                if n:
                    cov.extra_steps[(tid, pc)] = cov.extra_steps.get((tid, pc), 0) + n

    # -- traces ------------------------------------------------------------------------
    def parent(self, i: int) -> int:
        """The index of the state state ``i`` was first reached from (-1 for an initial state)."""
        b = self.bounds
        lv = bisect.bisect_right(b, i) - 1
        if lv <= 0:
            return -1
        lo, hi = b[lv - 1], b[lv]
        target = self.keys[i].copy()
        want = self.state(i)
        start = lo
        counts = self.model.coverage.counts
        while start < hi:
            r = self.lib.hm_find_parent(_p(self.keys), start, hi, _p(target), _p(self.pout), _p(self.poc), OUTCAP)
            if r >= 0:
                return r
            if r == -1:
                break
            j = -2 - r
            saved = list(counts)  # re-expanding for a trace is not coverage
            res: list[int] = []
            self.expand(self.state(j), res, [], [])
            counts[:] = saved + [0] * (len(counts) - len(saved))
            if want in res:
                return j
            start = j + 1
        raise AssertionError(f"state {i} has no parent in level {lv - 1}")

    def expand_ahead(self, pool, head: int, end: int, workers: int):
        """Expand states head .. end-1 in the threads of ``pool``, a chunk each, ahead of the caller.

        Yields the segments of successors in state order while later chunks
        are still being expanded, so the caller inserts one chunk while the
        threads expand the next ones (a pipeline: the insertion, in order,
        is the serial part). A segment's buffers return to a free list when
        the next one is asked for; at most ``workers + 1`` chunks are ahead.
        """
        lib, W = self.lib, self.W
        keys = self.keys
        free = self.seg_free

        def buffers() -> tuple:
            if free:
                return free.pop()
            return (np.empty((SEG_ROWS, W), dtype=np.int64), np.empty(SEG_ROWS, dtype=np.int32),
                    np.empty(CHUNK, dtype=np.int64), np.empty(CHUNK, dtype=np.int64),
                    np.empty(SEG_PEND, dtype=np.int64), np.empty(3, dtype=np.int64))

        def work(lo: int, hi: int) -> list[tuple]:
            segs = []
            while lo < hi:
                buf = buffers()
                out, oc, ms, pc, pend, ret = buf
                lib.hm_expand_range(_p(keys), lo, hi, _p(out), _p(oc), SEG_ROWS, _p(ms), _p(pend), SEG_PEND,
                                    _p(pc), _p(ret))
                nxt = int(ret[0])
                segs.append((lo, nxt, buf))
                lo = nxt
            return segs
        starts = iter(range(head, end, CHUNK))
        ahead: deque = deque()
        for lo in itertools.islice(starts, workers + 1):
            ahead.append(pool.submit(work, lo, min(lo + CHUNK, end)))
        while ahead:
            segs = ahead.popleft().result()
            lo = next(starts, None)
            if lo is not None:
                ahead.append(pool.submit(work, lo, min(lo + CHUNK, end)))
            for seg in segs:
                yield seg
                free.append(seg[2])

    stored_path = StateStore.path  # the same walk back over state() and parent(): the Python engine's path

    def path(self, i: int) -> list[int]:
        """The states from an initial state to state ``i`` (concrete ones under symmetry)."""
        p = self.stored_path(i)
        return self.red.concretize(p) if self.red is not None else p


class _MemoryFull(Exception):
    pass


class _Mapping:
    """Anonymous memory mapped by the compiled engine (``hm_map``), unmapped when no array uses it."""

    def __init__(self, lib, ptr: int, nbytes: int) -> None:
        self.lib, self.ptr, self.nbytes = lib, ptr, nbytes

    def __del__(self) -> None:
        if self.ptr:
            self.lib.hm_unmap(self.ptr, self.nbytes)


def _wrap(lib, ptr: int | None, nbytes: int, shape: tuple, dtype) -> np.ndarray:
    if not ptr:
        raise _MemoryFull
    buf = (ctypes.c_char * nbytes).from_address(ptr)
    buf.mapping = _Mapping(lib, ptr, nbytes)  # the array's base is buf: the mapping lives as long as it
    return np.frombuffer(buf, dtype=dtype).reshape(shape)


def _mapped(lib, shape: tuple, dtype) -> np.ndarray:
    """A zero-filled array in memory of its own (its pages are zeroed by the kernel as first touched)."""
    nbytes = max(1, int(np.prod(shape))) * np.dtype(dtype).itemsize
    return _wrap(lib, lib.hm_map(nbytes), nbytes, shape, dtype)


def _remapped(lib, a: np.ndarray, shape: tuple) -> np.ndarray:
    """``a`` (from :func:`_mapped`) grown to ``shape``, its data kept; ``a`` must not be used again."""
    b = a
    while not hasattr(b, "mapping"):  # the views' bases lead to the buffer
        b = b.base
    m = b.mapping
    nbytes = max(1, int(np.prod(shape))) * a.itemsize
    ptr = lib.hm_remap(m.ptr, m.nbytes, nbytes)
    if not ptr:
        raise _MemoryFull
    m.ptr = 0  # the old mapping is the new one now
    return _wrap(lib, ptr, nbytes, shape, a.dtype)


def _p(a: np.ndarray) -> int:
    """The address of a (C-contiguous) array's data, for the compiled engine."""
    return a.ctypes.data


def compiled_bfs(model: Model, jm, limits: Limits = Limits(), progress: Progress | None = None,
                 resume: dict | None = None, workers: int = 1, reduce=None) -> SearchResult:
    """Explore every reachable state of ``model`` breadth-first with its compiled engine ``jm``.

    The result is the one :func:`hugemc.explore.bfs.bfs` gives: the same
    states, transitions, verdicts and counterexamples. ``resume`` takes over
    a search the Python engine began (see :func:`hugemc.explore.bfs.bfs`):
    its stored states (``keys``, in discovery order), level ``bounds``,
    ``head``, ``depth``, ``transitions``, ``frontier_only`` and its
    ``result``, ``checker`` and ``clock``. ``workers`` > 1 expands each batch
    in ``workers - 1`` threads ahead (the compiled code runs without the
    GIL), while this thread inserts the expanded chunks in order, so states
    are numbered exactly as with one. ``reduce`` is a symmetry-only
    :class:`~hugemc.explore.reduce.Reduction` (partial-order reduction runs
    on the Python engine): states are stored as their canonical
    representatives, canonicalised in compiled code, as the Python engine
    does with the same reduction.
    """
    if reduce is not None and reduce.por:
        raise ValueError("partial-order reduction runs on the Python engine")
    red = reduce if reduce is not None and reduce.groups else None
    S = CompiledSearch(model, jm, limits, progress, red, workers)
    lib, st = S.lib, S.st
    ret = np.zeros(3, dtype=np.int64)
    ret5 = np.zeros(5, dtype=np.int64)
    pool = None
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor
        pool = ThreadPoolExecutor(max(1, workers - 1), thread_name_prefix="hugemc-expand")
    errs, warns = S.errs, S.warns
    expand = S.expand
    all_done = model.all_done
    max_depth = limits.max_depth
    if resume is None:
        r, chk = S.r, S.chk
        init = list(dict.fromkeys(model.initial_states()))
        if red is not None:
            init = list(dict.fromkeys(red.canon(s) for s in init))
        st[1] = -1
        S.insert_states(init)
        st[4] = 0  # the initial states are checked here, not through the flags
        for i, s in enumerate(init):
            chk.on_state(s, lambda i=i: S.path(i))
        frontier_only = max_depth is not None and max_depth <= 0
        depth = 0
        head = 0
        level_end = S.n
        S.bounds = [0, level_end]
        transitions = 0  # by the Python engine (the compiled engine counts in st[0])
    else:
        r, chk = resume["result"], resume["checker"]
        S.r, S.chk, S.clock = r, chk, resume["clock"]
        keys = resume["keys"]
        S.keys = _mapped(lib, (max(len(keys) + (len(keys) >> 2), 1 << 14), S.W), np.int64)
        S.keys[: len(keys)] = keys
        S.n = 0
        if not S.ensure(len(keys)):
            raise MemoryError("no room for the states found so far")
        S.n = len(keys)
        lib.hm_rehash(_p(S.keys), S.n, _p(S.table), len(S.table))
        S.bounds = list(resume["bounds"])
        head, depth, transitions = resume["head"], resume["depth"], resume["transitions"]
        level_end = S.bounds[-1]
        frontier_only = resume["frontier_only"]
    S._update_open()
    st[1] = -1 if limits.max_states is None else limits.max_states
    try:
        while head < S.n:
            if head == level_end:
                depth += 1
                level_end = S.n
                S.bounds.append(level_end)
                if max_depth is not None and depth >= max_depth:
                    frontier_only = True
            end = min(head + BATCH, level_end)
            st[2] = 1 if frontier_only else 0

            def by_python(i: int) -> None:
                """The Python engine expands state i (a fault, a warning, no successor, a step not compiled)."""
                s = S.state(i)
                res: list[int] = []
                expand(s, res, errs, warns)
                if not res and not errs and not all_done(s):
                    chk.on_deadlock(s, lambda i=i: S.path(i))
                if errs:
                    chk.on_errors(errs, lambda i=i: S.path(i))
                    errs.clear()
                if warns:
                    chk.on_warnings(warns, lambda i=i: S.path(i))
                    warns.clear()
                S.py_transitions += len(res)
                S.insert_states(res)
                S.drain()

            def settle(i: int, why: int) -> int:
                """After the compiled code stopped at state i: check flagged states, do what it asked; the next state."""
                S.drain()
                if why == 1:
                    by_python(i)
                    return i + 1
                if why == 2 and not S.ensure(OUTCAP):
                    raise _MemoryFull
                return i

            if pool is None:
                i = head
                while i < end:
                    lib.hm_batch(_p(S.keys), len(S.keys), S.n, _p(S.table), len(S.table), i, end, RUN, _p(S.out),
                                 _p(S.oc), len(S.out), _p(S.ms), _p(S.pend), PEND, _p(S.pc), _p(S.cov), _p(S.openp),
                                 _p(S.flags), len(S.flags), _p(st), _p(ret))
                    i, S.n, why = (int(x) for x in ret)
                    i = settle(i, why)
            else:
                for lo, hi, (out, oc, ms, pc, pend, _) in S.expand_ahead(pool, head, end, workers):
                    i, pos, ppos = lo, 0, 0
                    while i < hi:
                        lib.hm_merge(_p(S.keys), len(S.keys), S.n, _p(S.table), len(S.table), i, hi, _p(out),
                                     _p(oc), _p(ms[i - lo:]), _p(pend), _p(pc[i - lo:]), pos, ppos, _p(S.cov),
                                     _p(S.openp), _p(S.flags), len(S.flags), _p(st), _p(ret5))
                        i, S.n, why, pos, ppos = (int(x) for x in ret5)
                        i = settle(i, why)
            head = end
            hit = int(st[3])
            st[3] = 0
            if hit == 2:
                r.complete, r.limit = False, "max_depth"
            elif hit == 1:
                r.complete, r.limit = False, "max_states"
                break
            lim = S.clock.over(S.n, transitions + S.py_transitions + int(st[0]), depth, S.n - head)
            if lim:
                r.complete, r.limit = False, lim
                break
    except _MemoryFull:
        r.complete, r.limit = False, "max_memory"
    S.commit_coverage()
    if r.complete and head < S.n:
        r.complete = False
    r.states = S.n
    if pool is not None:
        pool.shutdown()
    r.transitions = transitions + S.py_transitions + int(st[0])
    r.depth = depth
    r.seconds = S.clock.elapsed()
    r.peak_rss = peak_rss_bytes()
    r.store_bytes = S.store_bytes()
    r.store = "memory"
    if reduce is not None:
        r.reduction = reduce.describe()
    return r
