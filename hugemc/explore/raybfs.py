"""Breadth-first search on a Ray cluster (``--engine ray``).

The visited set is split into ``N`` shards by a hash of each packed state;
each shard is a Ray actor holding its part in a
:class:`~hugemc.explore.store.StateStore` (keys in discovery order, the
parent's index within its shard, and the parent's shard in a parallel array).
The search is level-synchronous; one level is three rounds:

1. ``expand``: every shard expands its part of the frontier with the model's
   own ``expand`` (the model is recompiled in the actor from the pickled IR
   ``Program``: generated code cannot be pickled) and splits the successors
   by owning shard. Each destination's batch is a separate return value of
   the task, so it stays in Ray's object store: the driver only passes its
   reference on.
2. ``receive``: every shard gets one batch from each shard, in shard order,
   drops what it has stored already and keeps the first occurrence of each
   new state (its parent is the first state, in that order, that reached it).
   It answers with a count.
3. ``commit``: the driver hands out quotas (``--max-states``; none past
   ``--max-depth``), each shard stores its new states, evaluates the open
   properties on them and returns, for each property that fires, the
   smallest state (as a packed integer) on which it does, plus the level's
   new states as a separate object: the checkpoint.

Only counts, these few candidate states and errors, and object references
pass through the driver. The driver keeps the
:class:`~hugemc.explore.common.Checker` and records, level by level, the
candidates in increasing order of their packed value: a violation found
first at level ``d`` is recorded at level ``d`` (so its counterexample is a
shortest one) and the choice among the level's candidates does not depend on
the number of shards or on timing. Paths are walked back through the shards'
parent pointers (:meth:`Shard.walk`), then replayed as for every engine.

Faults: the checkpoints of every completed level are objects owned by the
driver. When a shard dies (or an object is lost) in the middle of a level,
every shard is rebuilt from the checkpoints of the completed levels and the
level is done again; after :data:`MAX_RECOVERIES` failures, or when a
checkpoint is lost too, the search stops as incomplete (limit
``worker_lost``), never ``holds``.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from typing import Callable

import numpy as np

from ..backend import Model
from ..ir import INVARIANT, REACHABLE
from ..ir.interp import Fault
from ..progress import interrupted
from .common import Checker, Clock, Limits, Progress, SearchResult, peak_rss_bytes, rss_bytes
from .store import StateStore, StoreFull

BATCH = 16384          # states a shard expands between two looks at its limits
MAX_RECOVERIES = 3     # rebuilds of the shards after a fault before the search gives up
INSTALL_HINT = "install it with: pip install 'hugemc[ray]'"


class RayUnavailable(Exception):
    """Ray cannot be imported, or the cluster cannot be reached."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def import_ray():
    """The ``ray`` module, or :class:`RayUnavailable` with an installation hint."""
    try:
        import ray
    except ImportError as e:
        raise RayUnavailable(f"--engine ray needs Ray, which is not installed ({e})", INSTALL_HINT) from None
    return ray


def partition(keys: np.ndarray, words: int, nshards: int) -> np.ndarray:
    """The shard owning each key: a 64-bit mix of the key's words, modulo ``nshards``."""
    if nshards == 1 or len(keys) == 0:
        return np.zeros(len(keys), dtype=np.int64)
    w = np.ascontiguousarray(keys).view(np.uint64).reshape(-1, words)
    h = np.full(len(keys), 0x2545F4914F6CDD1D, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(words):  # splitmix64's finaliser over each word
            h ^= w[:, j]
            h ^= h >> np.uint64(30)
            h *= np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(27)
            h *= np.uint64(0x94D049BB133111EB)
            h ^= h >> np.uint64(31)
    return (h % np.uint64(nshards)).astype(np.int64)


def _fires(kind: str, f, s: int, all_done) -> bool:
    """Whether property ``f`` must be looked at in state ``s`` (as :class:`Checker` would record it)."""
    try:
        v = f(s)
    except Fault:
        return True
    if kind == INVARIANT:
        return not v
    if kind == REACHABLE:
        return bool(v)
    return not v and all_done(s)  # FINAL


class Shard:
    """One shard of the visited set, run as a Ray actor (see the module's description).

    ``program_blob`` is the pickled IR program; the shard compiles it itself.
    """

    def __init__(self, index: int, nshards: int) -> None:
        self.index = index
        self.nshards = nshards
        self.model: Model | None = None

    # -- set-up --------------------------------------------------------------
    def load(self, digest: str, program_blob, init_keys_hash: int, symmetry: bool, store: str,
             max_memory: int | None) -> bool:
        """Compile the program and start an empty store; check that the state layout matches the driver's.

        ``program_blob`` is a one-element list holding the object reference of
        the pickled program, fetched only when ``digest`` differs from the
        program this shard compiled last (a pooled shard checking the same
        scenario again skips the compilation).
        """
        from ..backend import compile_program
        from ..lang.nesting import deep_recursion
        if self.model is None or getattr(self, "digest", None) != digest:
            import ray
            with deep_recursion():
                program = pickle.loads(ray.get(program_blob[0]))
                self.model = compile_program(program)
            self.digest = digest
            self.st = None
        model = self.model
        self.red = None
        if symmetry:
            from .reduce import Reduction
            self.red = Reduction(model, symmetry=True)
        self.words = model.layout.words
        self.store_kind = store
        self.max_memory = max_memory
        init = list(dict.fromkeys(model.initial_states()))
        if self.red is not None:
            init = list(dict.fromkeys(self.red.canon(s) for s in init))
        if hash(tuple(init)) != init_keys_hash:
            raise RuntimeError("the shard compiled the program to a different state layout than the driver")
        self.props = [(p.kind, f) for p, f in model.properties]
        self._reset()
        return True

    def _reset(self) -> None:
        st = StateStore(self.words, disk=self.store_kind == "disk", hash_compact=self.store_kind == "hash-compact")
        if getattr(self, "st", None) is not None:
            self.st.close()
        self.st = st
        self.pshard: list[np.ndarray] = []  # parent shard of each state, one block per block of the store
        self.levels = [0]                   # local index of the first state of each level
        self.staged = None
        self.cov_base = list(self.model.coverage.counts)
        self.cpu = 0.0   # CPU seconds spent on levels (expand, receive, commit) since the reset
        self.sent = 0    # bytes of successors sent to the other shards

    def _append(self, keys, plocal, pshard, rk=None) -> None:
        if len(keys):
            self.st.add(keys, plocal, rk)
            self.pshard.append(np.asarray(pshard, dtype=np.uint16))
        self.levels.append(self.st.n)

    def init(self, keys: np.ndarray):
        """Store this shard's initial states (level 0); returns its summary and checkpoint."""
        self._reset()
        par = np.full(len(keys), -1, dtype=np.int32)
        ps = np.zeros(len(keys), dtype=np.uint16)
        self._append(keys, par, ps)
        return self._summary([]), (keys, par, ps)

    def restore(self, *deltas) -> int:
        """Rebuild the store from the checkpoints of the completed levels (one per level, level 0 first)."""
        self._reset()
        self.levels = []
        self.levels.append(0)
        for keys, par, ps in deltas:
            self._append(keys, par, ps)
        return self.st.n

    # -- one level -------------------------------------------------------------
    def expand(self, level: int, budget: float | None):
        """Expand the states of ``level``; returns a summary, then one batch per destination shard.

        A batch is ``(keys, parents' local indices)``. ``budget``: seconds
        left before the time limit. The summary's ``notes`` hold, for each
        error name, warning and deadlock, the smallest state showing it.
        """
        t_end = None if budget is None else time.monotonic() + budget
        cpu0 = time.process_time()
        model, red, st = self.model, self.red, self.st
        expand = model.expand if red is None else red.expand
        all_done = model.all_done
        n = self.nshards
        lo, hi = self.levels[level], self.levels[level + 1]
        out_k: list[list[np.ndarray]] = [[] for _ in range(n)]
        out_p: list[list[np.ndarray]] = [[] for _ in range(n)]
        notes: dict[tuple, tuple] = {}

        def note(key, s, i, data):
            old = notes.get(key)
            if old is None or s < old[0]:
                notes[key] = (s, i, data)
        errs: list = []
        warns: list = []
        transitions = 0
        limit = None
        i = lo
        while i < hi:
            end = min(i + BATCH, hi)
            res: list[int] = []
            ends: list[int] = []
            for j, s in enumerate(st.from_keys(st.keys(i, end))):
                before = len(res)
                expand(s, res, errs, warns)
                if len(res) == before and not errs and not all_done(s):
                    note(("deadlock",), s, i + j, None)
                if errs:
                    for e in errs:
                        note(("error", e[4]), s, i + j, e)
                    errs.clear()
                if warns:
                    for w in warns:
                        note(("warning", w[1], w[2].file, w[2].line), s, i + j, w)
                    warns.clear()
                ends.append(len(res))
            if res:
                keys = st.to_keys(res)
                counts = np.diff(np.asarray(ends, dtype=np.int64), prepend=0)
                par = np.repeat(np.arange(i, end, dtype=np.int32), counts)
                dest = partition(keys, self.words, n)
                for d in range(n):
                    m = dest == d
                    if m.any():
                        out_k[d].append(keys[m])
                        out_p[d].append(par[m])
                transitions += len(res)
            i = end
            limit = self._over(t_end)
            if limit:
                break
        outs = []
        for d in range(n):
            if out_k[d]:
                outs.append((np.concatenate(out_k[d]), np.concatenate(out_p[d])))
            else:
                outs.append((np.zeros(0, dtype=st.kdtype), np.zeros(0, dtype=np.int32)))
        sent = sum(k.nbytes + p.nbytes for d, (k, p) in enumerate(outs) if d != self.index)
        self.sent += sent
        summary = {"transitions": transitions, "expanded": i - lo, "limit": limit, "sent": sent,
                   "notes": [(k, s, li, data) for k, (s, li, data) in notes.items()]}
        self.cpu += time.process_time() - cpu0
        return (summary, *outs)

    def receive(self, *batches) -> int:
        """Take one batch from each shard (in shard order); stage the states not stored yet. Returns their count."""
        cpu0 = time.process_time()
        try:
            return self._receive(batches)
        finally:
            self.cpu += time.process_time() - cpu0

    def _receive(self, batches) -> int:
        st = self.st
        ks = [b[0] for b in batches]
        keys = np.concatenate(ks) if any(len(k) for k in ks) else np.zeros(0, dtype=st.kdtype)
        if len(keys) == 0:
            self.staged = None
            return 0
        plocal = np.concatenate([b[1] for b in batches])
        pshard = np.repeat(np.arange(len(batches), dtype=np.uint16), [len(k) for k in ks])
        pos, rk = st.fresh(keys)
        self.staged = (keys[pos], plocal[pos], pshard[pos], rk[pos])
        return len(pos)

    def commit(self, quota: int | None, open_props, check: bool):
        """Store the staged states (at most ``quota``); returns a summary and the level's checkpoint.

        The summary's ``cands`` are ``(state, local index)`` pairs: for each
        open property that fires on a new state, the smallest such state.
        """
        cpu0 = time.process_time()
        try:
            return self._commit(quota, open_props, check)
        finally:
            self.cpu += time.process_time() - cpu0

    def _commit(self, quota, open_props, check):
        st = self.st
        if self.staged is None:
            keys = np.zeros(0, dtype=st.kdtype)
            par = np.zeros(0, dtype=np.int32)
            ps = np.zeros(0, dtype=np.uint16)
            rk = None
        else:
            keys, par, ps, rk = self.staged
            if quota is not None:
                keys, par, ps, rk = keys[:quota], par[:quota], ps[:quota], rk[:quota]
        self.staged = None
        first = st.n
        full = False
        try:
            self._append(keys, par, ps, rk)
        except StoreFull:
            full = True
            keys, par, ps = keys[:0], par[:0], ps[:0]
            self.levels.append(st.n)
        cands = self._check(first, st.n, open_props) if check and st.n > first else []
        summary = self._summary(cands)
        summary["full"] = full
        return summary, (keys, par, ps)

    def _check(self, lo: int, hi: int, open_props) -> list[tuple[int, int]]:
        model = self.model
        all_done = model.all_done
        active = [k for k in sorted(open_props)]
        inv_all = [k for k, (kind, _) in enumerate(self.props) if kind == INVARIANT]
        fast = model.invariants_hold if inv_all and all(k in open_props for k in inv_all) else None
        slow = [k for k in active if fast is None or self.props[k][0] != INVARIANT]
        invs = [k for k in active if self.props[k][0] == INVARIANT]
        best: dict[int, tuple[int, int]] = {}
        props = self.props
        for j, s in enumerate(self.st.from_keys(self.st.keys(lo, hi))):
            todo = slow
            if fast is not None:
                try:
                    bad = not fast(s)
                except Exception:
                    bad = True
                if bad:
                    todo = slow + invs
            for k in todo:
                kind, f = props[k]
                if _fires(kind, f, s, all_done):
                    old = best.get(k)
                    if old is None or s < old[0]:
                        best[k] = (s, lo + j)
        return sorted(set(best.values()))

    def _summary(self, cands: list) -> dict:
        return {"n": self.st.n, "cands": cands, "rss": rss_bytes(), "bytes": self._bytes()}

    def _bytes(self) -> int:
        return self.st.nbytes_used() + sum(a.nbytes for a in self.pshard)

    def _over(self, t_end: float | None) -> str | None:
        if t_end is not None and time.monotonic() > t_end:
            return "time_limit"
        if self.max_memory is not None and rss_bytes() > self.max_memory:
            return "max_memory"
        return None

    # -- afterwards ------------------------------------------------------------
    def walk(self, local: int) -> tuple[list[int], int, int]:
        """States from ``local`` back along parents while they stay in this shard; then the next (shard, index)."""
        st = self.st
        out = []
        shard = self.index
        while local >= 0 and shard == self.index:
            out.append(st.state(local))
            b = st._block(local)
            parent = st.parent(local)
            shard = int(self.pshard[b][local - st.starts[b]]) if parent >= 0 else -1
            local = parent
        return out, shard, local

    def info(self) -> dict:
        """The shard's figures: states, store bytes, resident and peak memory, and its host."""
        import socket
        return {"n": self.st.n, "bytes": self._bytes(), "rss": rss_bytes(), "peak": peak_rss_bytes(),
                "host": socket.gethostname(), "pid": os.getpid(), "cpu": self.cpu, "sent": self.sent}

    def coverage(self) -> tuple[list, list]:
        """The coverage paths and the counts this shard added since :meth:`load`."""
        cov = self.model.coverage
        base = self.cov_base
        return list(cov.paths), [c - (base[k] if k < len(base) else 0) for k, c in enumerate(cov.counts)]


class Stop(Exception):
    """The driver stopped waiting for a level (a limit, or Ctrl-C)."""

    def __init__(self, limit: str) -> None:
        super().__init__(limit)
        self.limit = limit


# -- the cluster -------------------------------------------------------------------
_POOL: dict[int, list] = {}   # shards kept between searches of one process, by their number
_REMOTE = None


def connect(address: str | None, workers: int | None):
    """Join the cluster at ``address`` (or ``$RAY_ADDRESS``), or start a local one with ``workers`` CPUs.

    Does nothing when this process is already connected (a test's cluster,
    or an earlier scenario). Returns the ``ray`` module.
    """
    ray = import_ray()
    if ray.is_initialized():
        return ray
    address = address or os.environ.get("RAY_ADDRESS") or None
    kw = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    quiet = logging.getLogger("ray")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # Ray's start-up notices are not the checker's business
    try:
        if address:
            ray.init(address=address, **kw)
        else:
            from ..runner import default_jobs
            ray.init(num_cpus=workers or default_jobs(), **kw)
    except Exception as e:  # ConnectionError, a bad address, a cluster that will not start
        where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
        raise RayUnavailable(f"cannot reach {where}: {type(e).__name__}: {e}",
                             "start one with `ray start --head` and pass its address with --address "
                             "(or RAY_ADDRESS), or leave both out for a local cluster") from None
    finally:
        quiet.setLevel(level)
    return ray


def _shard_class(ray):
    global _REMOTE
    if _REMOTE is None:
        _REMOTE = ray.remote(max_restarts=0, max_task_retries=0)(Shard)
    return _REMOTE


def _new_shards(ray, nshards: int, indices) -> dict[int, object]:
    cls = _shard_class(ray)
    cpus = ray.cluster_resources().get("CPU", 1.0)
    per = min(1.0, cpus / nshards)  # more shards than CPUs: share them rather than wait for ever
    return {k: cls.options(num_cpus=per, scheduling_strategy="SPREAD").remote(k, nshards) for k in indices}


def _drop_pool(ray, nshards: int) -> None:
    for a in _POOL.pop(nshards, []):
        try:
            ray.kill(a, no_restart=True)
        except Exception:
            pass


def ray_bfs(model: Model, limits: Limits = Limits(), progress: Progress | None = None, *,
            workers: int | None = None, address: str | None = None, store: str = "memory", reduce=None,
            fault_hook: Callable | None = None) -> SearchResult:
    """:func:`~hugemc.explore.bfs.bfs` over hash-partitioned shards held by Ray actors.

    ``workers``: the number of shards (default: the cluster's CPUs); without
    ``address`` a local cluster with that many CPUs is started. ``reduce``: a
    :class:`~hugemc.explore.reduce.Reduction` with symmetry only (partial-order
    reduction needs the whole store for its cycle proviso). ``fault_hook(level,
    shards)`` is called once each level's expansion is under way (the tests
    kill a shard there).
    """
    if reduce is not None and reduce.por:
        raise ValueError("partial-order reduction does not work on shards")
    ray = connect(address, workers)
    import ray.exceptions as rx
    # a shard's process, node or objects gone (ray.kill, a crash, Ray's out-of-memory killer, a lost node)
    faults = tuple(getattr(rx, n) for n in ("RayActorError", "ObjectLostError", "WorkerCrashedError",
                                           "NodeDiedError", "OutOfMemoryError", "LocalRayletDiedError")
                   if hasattr(rx, n))
    nshards = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    r = SearchResult()
    r.store = store
    r.shard_info = []      # each shard's figures (Shard.info), when the search ended with its shards alive
    r.setup_seconds = 0.0
    clock = Clock(limits, None)
    chk = Checker(model, r)
    red = reduce if reduce is not None and reduce.groups else None
    conv = StateStore(model.layout.words)
    words = model.layout.words
    init = list(dict.fromkeys(model.initial_states()))
    if reduce is not None:
        init = list(dict.fromkeys(reduce.canon(s) for s in init))
    from ..lang.nesting import deep_recursion
    with deep_recursion():
        blob = pickle.dumps(model.program, protocol=pickle.HIGHEST_PROTOCOL)
    import hashlib
    digest = hashlib.sha256(blob).hexdigest()
    load_args = (digest, [ray.put(blob)], hash(tuple(init)), red is not None, store, limits.max_memory)

    shards: list = []

    def build(replace_all: bool) -> None:
        """(Re)create the shards: reuse live pooled ones, load the program in each."""
        nonlocal shards
        pool = _POOL.get(nshards)
        if replace_all or pool is None:
            for size in list(_POOL):  # one pool at a time: idle shards of another size would hold the CPUs
                _drop_pool(ray, size)
            pool = list(_new_shards(ray, nshards, range(nshards)).values())
            _POOL[nshards] = pool
        shards = pool
        wait_all([a.load.remote(*load_args) for a in shards])

    def wait_all(refs: list) -> list:
        """``ray.get`` that keeps an eye on Ctrl-C and the time limit while it waits."""
        pending = list(refs)
        while pending:
            _, pending = ray.wait(pending, num_returns=len(pending), timeout=0.25)
            if interrupted():
                raise Stop("interrupted")
            lim = limits.time_limit
            if lim is not None and time.monotonic() - clock.origin > lim + 1.0:  # the shards stop first
                raise Stop("time_limit")
        return ray.get(refs)

    def path_of(shard: int, local: int) -> Callable[[], list]:
        def walk() -> list:
            out: list[int] = []
            k, i = shard, local
            while i >= 0:
                states, k, i = ray.get(shards[k].walk.remote(i))
                out.extend(states)
            out.reverse()
            return red.concretize(out) if red is not None else out
        return walk

    counts = [0] * nshards      # states per shard
    nbytes = [0] * nshards
    rss = [0] * nshards
    deltas: list[list] = [[] for _ in range(nshards)]  # per shard: the checkpoint of each completed level
    transitions = 0
    depth = 0
    level = 0
    frontier = 0
    recoveries = 0
    exchanged = 0   # bytes of successors that crossed from one shard to another
    max_depth, max_states = limits.max_depth, limits.max_states
    checking = chk.active()
    t_search = time.monotonic()
    try:
        # -- level 0: the initial states, checked here in their order ---------------------
        keys = conv.to_keys(init)
        dest = partition(keys, words, nshards)
        local = np.zeros(len(init), dtype=np.int64)
        for k in range(nshards):
            local[dest == k] = np.arange(int((dest == k).sum()))
        for attempt in range(MAX_RECOVERIES + 1):
            try:
                build(attempt > 0)
                r.setup_seconds = time.monotonic() - t_search  # compiling the model in the shards
                outs = [shards[k].init.options(num_returns=2).remote(keys[dest == k]) for k in range(nshards)]
                sums = wait_all([o[0] for o in outs])
                break
            except faults:
                if attempt == MAX_RECOVERIES:
                    raise Stop("worker_lost") from None
        t_search = time.monotonic()
        for k in range(nshards):
            deltas[k].append(outs[k][1])
            counts[k] = sums[k]["n"]
        for j, s in enumerate(init):
            chk.on_state(s, path_of(int(dest[j]), int(local[j])))
        frontier = len(init)
        while frontier:
            depth = level
            frontier_only = max_depth is not None and level >= max_depth
            lim = limits.time_limit
            budget = None if lim is None else max(0.0, lim - (time.monotonic() - clock.origin))
            if interrupted():
                raise Stop("interrupted")
            if limits.max_memory is not None and rss_bytes() + sum(rss) > limits.max_memory:
                raise Stop("max_memory")
            open_props = frozenset(k for k, (p, _) in enumerate(model.properties) if chk.is_open(p.name))
            try:
                outs = [a.expand.options(num_returns=nshards + 1).remote(level, budget) for a in shards]
                if fault_hook is not None:
                    fault_hook(level, shards)
                sums = wait_all([o[0] for o in outs])
                new = wait_all([shards[d].receive.remote(*[outs[k][d + 1] for k in range(nshards)])
                                for d in range(nshards)])
                quotas: list = [None] * nshards
                cut = None
                total = sum(counts)
                if frontier_only:
                    if sum(new):
                        cut = "max_depth"  # a state beyond the limit exists
                    quotas = [0] * nshards
                elif max_states is not None and total + sum(new) > max_states:
                    left = max(max_states - total, 0)
                    for d in range(nshards):
                        quotas[d] = min(new[d], left)
                        left -= quotas[d]
                    cut = "max_states"
                cm = [shards[d].commit.options(num_returns=2).remote(quotas[d], open_props, checking)
                      for d in range(nshards)]
                csums = wait_all([c[0] for c in cm])
            except faults:
                recoveries += 1
                if recoveries > MAX_RECOVERIES:
                    raise Stop("worker_lost")
                try:
                    build(True)
                    wait_all([shards[k].restore.remote(*deltas[k]) for k in range(nshards)])
                except faults:
                    raise Stop("worker_lost") from None
                continue
            # the level is complete: record it
            for d in range(nshards):
                deltas[d].append(cm[d][1])
                counts[d] = csums[d]["n"]
                nbytes[d] = csums[d]["bytes"]
                rss[d] = csums[d]["rss"]
            transitions += sum(s["transitions"] for s in sums)
            exchanged += sum(s["sent"] for s in sums)
            notes = sorted(((s, k, li, key, data) for k, sm in enumerate(sums) for key, s, li, data in sm["notes"]),
                           key=lambda x: (x[0], x[1], x[2]))
            for s, k, li, key, data in notes:
                if key[0] == "deadlock":
                    chk.on_deadlock(s, path_of(k, li))
                elif key[0] == "error":
                    chk.on_errors([data], path_of(k, li))
                else:
                    chk.on_warnings([data], path_of(k, li))
            cands = sorted((s, d, li) for d, cs in enumerate(csums) for s, li in cs["cands"])
            for s, d, li in cands:
                chk.on_state(s, path_of(d, li))
            frontier = sum(new) if quotas[0] is None else sum(quotas)
            level += 1
            if progress is not None:
                top = max(counts)
                mean = sum(counts) / nshards
                detail = (f"level {level}, frontier {frontier:,}, states per shard "
                          + "/".join(f"{c:,}" for c in counts)
                          + f", imbalance {top / mean if mean else 1.0:.3f}")
                progress(sum(counts), transitions, depth, time.monotonic() - t_search, frontier, detail=detail)
            shard_limit = next((s["limit"] for s in sums if s["limit"]), None)
            if any(c.get("full") for c in csums):
                cut = cut or "max_states"
            if cut or shard_limit:
                r.complete, r.limit = False, cut or shard_limit
                break
    except Stop as e:
        r.complete, r.limit = False, e.limit
        _drop_pool(ray, nshards)  # the shards may be busy: do not reuse them
        shards = []
    except BaseException:  # the check's deadline (TimeUp), a second Ctrl-C, a bug: busy shards are not reused
        _drop_pool(ray, nshards)
        raise
    if r.complete and frontier:
        r.complete = False
    if store == "hash-compact" and words > 1:
        r.complete = False
        r.limit = r.limit or "hash_compact"
    peak_total = peak_rss_bytes()
    if shards:
        try:
            infos = ray.get([a.info.remote() for a in shards], timeout=60)
            covs = ray.get([a.coverage.remote() for a in shards], timeout=60)
            cov = model.coverage
            for paths, cnts in covs:
                for key, c in zip(paths, cnts):
                    if c:
                        cov.counts[cov.index(*key)] += c
            nbytes = [i["bytes"] for i in infos]
            peak_total += sum(i["peak"] for i in infos)
            r.shard_info = infos
        except Exception:  # the figures are a courtesy: the verdict is already known
            _drop_pool(ray, nshards)
    r.states = sum(counts)
    r.transitions = transitions
    r.depth = depth
    r.seconds = time.monotonic() - t_search  # the search, as for bfs (the shards' compilation excluded)
    r.peak_rss = peak_total
    r.store_bytes = sum(nbytes)
    r.shards = nshards
    r.exchange_bytes = exchanged
    r.shard_states = list(counts)
    if reduce is not None:
        r.reduction = reduce.describe()
    return r
