"""The visited-state store of the breadth-first search.

States are kept in numpy arrays, never as Python objects: each stored state
costs its packed key (``8 * words`` bytes) in BFS order, its parent's index
(4 bytes, what trace reconstruction needs) and one more copy of the key (or
of its 64-bit hash) in a sorted run used for membership. Sorted runs are
merged as they grow (a log-structured set), so inserting a batch costs a sort
of the batch and a binary search per run. Successors are deduplicated a batch
at a time with vectorised sorts, not one dictionary lookup at a time.

Two options take it beyond RAM:

* ``disk``: the key, parent and run arrays live in memory-mapped files in a
  temporary directory; the operating system keeps in RAM what fits.
* ``hash_compact``: the sorted runs hold a 64-bit hash of each state instead
  of the state. Two states with the same hash are taken for one, so states
  may be missed (with probability about ``n**2 / 2**65`` for ``n`` states); a
  search using it never claims an exhaustive result.
"""

from __future__ import annotations

import bisect
import os
import tempfile

import numpy as np

_M64 = (1 << 64) - 1
MAX_STATES = (1 << 31) - 1


class StoreFull(Exception):
    """More states than parent indices can address."""


class StateStore:
    """Append-only set of packed states in discovery order, with parents."""

    def __init__(self, words: int, disk: bool = False, hash_compact: bool = False) -> None:
        self.words = words
        self.nbytes = 8 * words
        self.kdtype = np.dtype(np.uint64) if words == 1 else np.dtype(f"V{self.nbytes}")
        # with one word the key already is 64 bits: compaction would change nothing
        self.hash_compact = hash_compact and words > 1
        self.rdtype = np.dtype(np.uint64) if (words == 1 or self.hash_compact) else self.kdtype
        self.disk = disk
        self._dir = tempfile.TemporaryDirectory(prefix="hugemc-store-") if disk else None
        self._files = 0
        self.kblocks: list[np.ndarray] = []
        self.pblocks: list[np.ndarray] = []
        self.starts: list[int] = []  # index of the first state of each block
        self.runs: list[np.ndarray] = []
        self.n = 0

    # -- conversions ---------------------------------------------------------
    def to_keys(self, states: list[int]) -> np.ndarray:
        """Packed integers to a key array."""
        if self.words == 1:
            return np.fromiter(states, dtype=np.uint64, count=len(states))
        nb = self.nbytes
        return np.frombuffer(b"".join([x.to_bytes(nb, "little") for x in states]), dtype=self.kdtype)

    def from_keys(self, keys: np.ndarray) -> list[int]:
        """A key array back to packed integers."""
        if self.words == 1:
            return keys.tolist()
        b = keys.tobytes()
        nb = self.nbytes
        fb = int.from_bytes
        return [fb(b[i:i + nb], "little") for i in range(0, len(b), nb)]

    def run_keys(self, keys: np.ndarray) -> np.ndarray:
        """What the sorted runs hold for ``keys``: the keys, or their 64-bit hashes."""
        if not self.hash_compact:
            return keys
        w = keys.view(np.uint64).reshape(-1, self.words)
        h = np.full(len(keys), 0x9E3779B97F4A7C15, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(self.words):  # multiply-xorshift mixing of each word
                h ^= w[:, j]
                h *= np.uint64(0xBF58476D1CE4E5B9)
                h ^= h >> np.uint64(31)
        return h

    # -- storage ---------------------------------------------------------------
    def _array(self, a: np.ndarray) -> np.ndarray:
        if not self.disk or len(a) == 0:
            return a
        self._files += 1
        path = os.path.join(self._dir.name, f"a{self._files}.bin")
        m = np.memmap(path, dtype=a.dtype, mode="w+", shape=a.shape)
        m[:] = a
        m.flush()
        return m

    def _drop(self, a: np.ndarray) -> None:
        if self.disk and isinstance(a, np.memmap):
            name = a.filename
            del a
            try:
                os.unlink(name)
            except OSError:
                pass

    def contains(self, rk: np.ndarray) -> np.ndarray:
        """Which of the (sorted, distinct) run keys ``rk`` are stored."""
        found = np.zeros(len(rk), dtype=bool)
        for run in self.runs:
            if len(run) == 0:
                continue
            pos = np.searchsorted(run, rk)
            np.minimum(pos, len(run) - 1, out=pos)
            found |= run[pos] == rk
        return found

    def fresh(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``keys`` of the states not stored yet, first occurrences only, in order.

        Returns them with the run keys of ``keys`` (for :meth:`add`). One
        stable sort finds the first occurrence of each distinct state; one
        lookup per sorted run drops those already stored.
        """
        rk = self.run_keys(keys)
        order = np.argsort(rk, kind="stable")  # equal keys keep their order
        srt = rk[order]
        first = np.ones(len(srt), dtype=bool)
        first[1:] = srt[1:] != srt[:-1]
        pos = order[first]
        new = ~self.contains(srt[first])
        return np.sort(pos[new]), rk

    def add(self, keys: np.ndarray, parents: np.ndarray, run_keys: np.ndarray | None = None) -> None:
        """Append new states (not stored yet) with their parents' indices."""
        if len(keys) == 0:
            return
        if self.n + len(keys) > MAX_STATES:
            raise StoreFull
        self.starts.append(self.n)
        self.kblocks.append(self._array(np.ascontiguousarray(keys)))
        self.pblocks.append(self._array(parents.astype(np.int32)))
        self.n += len(keys)
        rk = self.run_keys(keys) if run_keys is None else run_keys
        self.runs.append(self._array(np.sort(rk)))
        while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
            b, a = self.runs.pop(), self.runs.pop()
            merged = np.concatenate([a, b])
            merged.sort(kind="stable")  # two sorted runs: a linear merge
            self._drop(a)
            self._drop(b)
            self.runs.append(self._array(merged))

    def _block(self, i: int) -> int:
        return bisect.bisect_right(self.starts, i) - 1

    def keys(self, lo: int, hi: int) -> np.ndarray:
        """Keys of states ``lo .. hi-1``."""
        out = []
        b = self._block(lo)
        while lo < hi:
            start = self.starts[b]
            blk = self.kblocks[b]
            take = min(hi, start + len(blk)) - lo
            out.append(blk[lo - start: lo - start + take])
            lo += take
            b += 1
        return out[0] if len(out) == 1 else np.concatenate(out)

    def state(self, i: int) -> int:
        """The packed state with index ``i``."""
        return self.from_keys(self.keys(i, i + 1))[0]

    def parent(self, i: int) -> int:
        """Index of the parent of state ``i`` (-1 for an initial state)."""
        b = self._block(i)
        return int(self.pblocks[b][i - self.starts[b]])

    def path(self, i: int) -> list[int]:
        """Packed states from an initial state to state ``i``."""
        out = []
        while i >= 0:
            out.append(self.state(i))
            i = self.parent(i)
        out.reverse()
        return out

    def nbytes_used(self) -> int:
        """Bytes held by the store's arrays (in RAM or on disk)."""
        return sum(a.nbytes for a in self.kblocks) + sum(a.nbytes for a in self.pblocks) + \
            sum(a.nbytes for a in self.runs)

    def close(self) -> None:
        """Release the arrays (and the files of a disk store)."""
        self.kblocks.clear()
        self.pblocks.clear()
        self.runs.clear()
        if self._dir is not None:
            self._dir.cleanup()
