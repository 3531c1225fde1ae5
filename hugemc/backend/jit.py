"""The compiled engine: C generated from the IR, compiled by the system's C compiler.

:mod:`hugemc.backend.compile` turns every step of every thread into
straight-line Python over the packed state. This module reuses that
generator (:class:`_JitGen` only changes how the state is held, read,
changed and emitted: one ``int64`` local per 30-bit *group* of the packed
state), translates its text to C (:mod:`hugemc.backend.ctrans`) and adds:

* for steps too large to expand path by path (a loop over pages with a
  branch inside doubles the paths each iteration), one function per thread
  with a label per IR node (:func:`cfg_thread`), choices undone by a stack;
* ``hm_expand``: every thread's next step from one state; successors are
  written as the packed 64-bit words of
  :class:`~hugemc.explore.store.StateStore` (the Python engine's keys);
* ``hm_flag``: whether a new state needs the Python property checker (an
  open invariant fails, an open reachability property holds, a final
  property fails in a final state, or evaluating one faults);
* the search core: an open-addressing visited table over the packed words,
  the batch loop of the breadth-first search, and trace support.

Errors are never handled in compiled code: a fault, a warning, a value that
may not fit 62 bits, or a buffer too small makes the step fail, and the
engine hands the whole state to the Python engine's expansion, which produces
the exact outcomes, errors and messages. So the compiled code only has to be
right on error-free paths, as with the Python generator.

Why C and not numba: numba's own analyses (reaching definitions over every
temporary) ran out of memory on the seed model's largest steps, while gcc
compiles them; and a C compiler is on every machine hugemc runs on.

Safety: the source holds only names made here and integer literals produced
by ``int()``; nothing of a model's text is pasted into it.

Builds are cached (:func:`cache_dir`) under a hash of everything the C
depends on (:func:`model_key`), so a model compiles once per machine.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from .. import ir
from ..ir import DONE, Binary, expr_range
from .compile import Model, _Gen, _TooBig, definitely_assigned

MAX_GROUP_BITS = 62  # a group of slots must fit an int64 with room for signed arithmetic
LIMIT = 1 << 62       # intermediate values must stay within +-LIMIT to be compiled
SPLIT_MIN = 200_000   # characters of step functions below which one translation unit is built
JIT_VERSION = "2"     # part of the cache key: bump when the generated code changes meaning


class JitUnavailable(Exception):
    """The compiled engine cannot run this model (no C compiler, or it failed): use the Python engine."""


def cache_dir() -> Path:
    """Where compiled engines (shared libraries and their facts) are kept.

    ``HUGEMC_CACHE_DIR``, else ``$XDG_CACHE_HOME/hugemc/jit``, else
    ``~/.cache/hugemc/jit``; a temporary folder if none can be written.
    """
    env = os.environ.get("HUGEMC_CACHE_DIR")
    if env:
        d = Path(env)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = Path(base) / "hugemc" / "jit"
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / f".probe{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return d
    except OSError:
        d = Path(tempfile.gettempdir()) / f"hugemc-jit-{os.getuid() if hasattr(os, 'getuid') else 0}"
        d.mkdir(parents=True, exist_ok=True)
        return d


class _JitGen(_Gen):
    """The step generator with the state as group locals ``{v}_{j}`` (text the C translator takes)."""

    # a step expanding to more nodes than this is compiled node by node instead (cfg_thread): path by
    # path, a branch doubles the code after it, and the C compiler's time grows with the code
    max_path_nodes = int(os.environ.get("HUGEMC_JIT_PATH_NODES", "300"))

    def __init__(self, program, layout, cov) -> None:
        super().__init__(program, layout)
        self.cov = cov  # the Python model's paths: one numbering of coverage for both engines
        L = layout
        live = sorted({L.shift[k] for k in range(L.nstate) if L.base[k] > 1})
        self.gstart = live
        self.gwidth = [0] * len(live)
        self.gindex = [0] * L.nstate
        for k in range(L.nstate):
            if L.base[k] > 1:
                j = live.index(L.shift[k])
                self.gindex[k] = j
                self.gwidth[j] = max(self.gwidth[j], L.mask[k].bit_length())
        if any(w > MAX_GROUP_BITS for w in self.gwidth):
            raise JitUnavailable("a state slot is wider than 62 bits")
        self.G = max(1, len(live))
        self.W = L.words

    # -- the state as group locals -------------------------------------------------
    def gvars(self, v: str) -> str:
        return ", ".join(f"{v}_{j}" for j in range(self.G))

    def code(self, s: int, v: str) -> str:
        L = self.L
        if L.base[s] == 1:
            return "0"
        t = f"{v}_{self.gindex[s]}"
        if L.inner[s] > 1:
            t = f"({t} // {int(L.inner[s])})"
        if not L.top[s]:
            t = f"({t} % {int(L.base[s])})"
        return t

    def undef_text(self) -> str:
        return "_undef()"

    def dyn_read(self, v: str, addr: str) -> str:
        return f"_getd(({self.gvars(v)},), {addr})"

    def dyn_store(self, v: str, ind: str) -> list[str]:
        out = [f"{ind}_d = (_x - _O[_a] - _coded(({self.gvars(v)},), _a)) * _INN[_a]",
               f"{ind}_j = _GRP[_a]"]
        for j in range(self.G):
            out.append(f"{ind}{'if' if j == 0 else 'elif'} _j == {j}: {v}_{j} += _d")
        return out

    def bump(self, v: str, s: int, factor, ind: str) -> list[str]:
        if self.L.base[s] == 1:
            return []
        inner = int(self.L.inner[s])
        j = self.gindex[s]
        if isinstance(factor, int):
            return [f"{ind}{v}_{j} += {factor * inner}"] if factor else []
        return [f"{ind}{v}_{j} += {factor} * {inner}"]

    def copy_state(self, m: str, v: str, ind: str) -> list[str]:
        return [f"{ind}{m}_{j} = {v}_{j}" for j in range(self.G)]

    def warn_line(self, v: str, c: str, w: str, ind: str) -> str:
        return f"{ind}if {c}: raise _Err"  # a warning: the Python engine records it

    def emit(self, v: str, k: int, ind: str) -> list[str]:
        out = [f"{ind}if _n >= _cap: raise _Err"]
        for w, text in enumerate(self.pack_words(v)):
            out.append(f"{ind}_out[_n, {w}] = {text}")
        out += [f"{ind}_oc[_n] = {int(k)}", f"{ind}_n += 1"]
        return out

    def pack_words(self, v: str, c_array: bool = False) -> list[str]:
        """Text of each 64-bit word of the packed state from the group locals of ``v``.

        ``c_array``: C text over the array ``v`` (``v[j]``, shifted unsigned)
        instead of the translator's locals ``v_j``.
        """
        words: list[list[str]] = [[] for _ in range(self.W)]
        for j, (start, width) in enumerate(zip(self.gstart, self.gwidth)):
            w, b = divmod(start, 64)
            x = f"(uint64_t){v}[{j}]" if c_array else f"{v}_{j}"
            words[w].append(f"({x} << {b})" if b else x)
            if b + width > 64:
                words[w + 1].append(f"({x} >> {64 - b})")
        return [" | ".join(p) if p else "0" for p in words]

    def unpack_groups(self, row: str, v: str, ind: str) -> list[str]:
        """Lines setting the group locals of ``v`` from the packed words ``{row}[0..W-1]``."""
        out = []
        for j, (start, width) in enumerate(zip(self.gstart, self.gwidth)):
            w, b = divmod(start, 64)
            if b + width <= 64:
                t = f"({row}[{w}] >> {b}) & {(1 << width) - 1}" if b else f"{row}[{w}] & {(1 << width) - 1}"
            else:
                lo = 64 - b
                t = (f"(({row}[{w}] >> {b}) & {(1 << lo) - 1}) | "
                     f"(({row}[{w + 1}] & {(1 << (width - lo)) - 1}) << {lo})")
            out.append(f"{ind}{v}_{j} = {t}")
        if not self.gstart:
            out.append(f"{ind}{v}_0 = 0")
        return out

    # -- no value may wrap -----------------------------------------------------------
    def expr(self, e, v: str, known: frozenset) -> str:
        if isinstance(e, Binary):
            self._bounded(e)
        return super().expr(e, v, known)

    def rexpr(self, e, env: dict):
        if isinstance(e, Binary):
            self._bounded(e)
        return super().rexpr(e, env)

    def _bounded(self, e) -> None:
        # shifts are checked when they run (the C helpers fail on a result that does not fit)
        for x in (e.left, e.right) if e.op in ("<<", ">>") else (e, e.left, e.right):
            lo, hi = expr_range(x, self._dom, self.p.tables)
            if lo < -LIMIT or hi > LIMIT:
                raise _TooBig

    # -- functions -------------------------------------------------------------------
    def step_lines(self, tid: int, plan, pc: int, da: list) -> list[str] | None:
        """The Python lines of the step of thread ``tid`` from ``pc`` (None: left to the Python engine)."""
        try:
            return [f"        n_{j} = s_{j}" for j in range(self.G)] + self.step_body(tid, plan, pc, da)
        except _TooBig:
            return None


_C_HEAD = r'''/* hugemc compiled engine: generated from a model, do not edit */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#define HM_NONE INT64_MIN
'''

# The search core. W (words per state) and G (group locals) are defines;
# hm_expand, hm_done and hm_flag are the model's.
_C_CORE = r'''
static inline void hm_unpack(const int64_t *row, int64_t *g) { HM_UNPACK }

static inline void hm_pack(const int64_t *g, int64_t *row) { HM_PACK }

/* --symmetry: successors are replaced by their canonical representatives (hm_canon, the model's) */
static int hm_sym;
void hm_set_sym(int64_t on) { hm_sym = (int)on; }

/* the successors of the state with group locals g (as hm_expand), canonical under --symmetry */
static inline int64_t hm_succ(const int64_t *g, int64_t *out, int32_t *oc, int64_t cap) {
    int64_t m = hm_expand(g, out, oc, 0, cap);
    if (hm_sym)
        for (int64_t j = 0; j < m; j++) {
            int64_t c[HM_G];
            hm_unpack(out + j * HM_W, c);
            hm_canon(c);
            hm_pack(c, out + j * HM_W);
        }
    return m;
}

static int64_t hm_expand_row(const int64_t *row, int64_t *out, int32_t *oc, int64_t cap) {
    int64_t g[HM_G];
    hm_unpack(row, g);
    return hm_succ(g, out, oc, cap);
}

static inline uint64_t hm_hash(const int64_t *row) {
    uint64_t h = 0x2545F4914F6CDD1DULL;
    for (int w = 0; w < HM_W; w++) {
        h = (h ^ (uint64_t)row[w]) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 32;
    }
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return h;
}

/* A table entry is a stored state's index + 1 (0: empty). With states of more than two words it is
   64 bits, the hash's high half above the index, so a probe fetches and compares a whole state only
   when the halves match; narrower states keep 32-bit entries (a smaller table, for the largest runs). */
#if HM_W > 2
typedef int64_t hm_ent;
#define HM_IDX(e) ((int64_t)((uint64_t)(e) & 0xFFFFFFFFULL))
#define HM_ENT(h, i) ((int64_t)(((h) & 0xFFFFFFFF00000000ULL) | (uint64_t)(i)))
#define HM_TAGOK(e, h) (((uint64_t)(e) >> 32) == ((h) >> 32))
#else
typedef int32_t hm_ent;
#define HM_IDX(e) ((int64_t)(e))
#define HM_ENT(h, i) ((int32_t)(i))
#define HM_TAGOK(e, h) 1
#endif
int64_t hm_entry_bytes(void) { return (int64_t)sizeof(hm_ent); }

/* The stored states and the table live in anonymous mappings: the kernel zero-fills their pages as
   they are first touched, and a mapping grows in place or moves without a copy (mremap). */
void *hm_map(int64_t bytes) {
    void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, (size_t)bytes, MADV_HUGEPAGE);
#endif
    return p;
}
void *hm_remap(void *p, int64_t old, int64_t bytes) {
#ifdef MREMAP_MAYMOVE
    void *q = mremap(p, (size_t)old, (size_t)bytes, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
#else
    void *q = hm_map(bytes);
    if (q != NULL) { memcpy(q, p, (size_t)old); munmap(p, (size_t)old); }
    return q;
#endif
}
void hm_unmap(void *p, int64_t bytes) { munmap(p, (size_t)bytes); }

static inline int hm_eq(const int64_t *a, const int64_t *b) {
    for (int w = 0; w < HM_W; w++)
        if (a[w] != b[w])
            return 0;
    return 1;
}

/* a hash's home slot, from its high half (the half a 64-bit entry keeps: the table grows without the states) */
static inline int64_t hm_home(uint64_t h, int64_t size) {
    return (int64_t)(((h >> 32) * (uint64_t)size) >> 32);
}

/* where row (of hash h) is in the table, or the empty slot for it */
static inline int64_t hm_slot(const int64_t *keys, const hm_ent *table, int64_t size, const int64_t *row,
                              uint64_t h) {
    int64_t p = hm_home(h, size);
    for (;;) {
        hm_ent e = table[p];
        if (e == 0)
            return p;
        if (HM_TAGOK(e, h) && hm_eq(keys + (HM_IDX(e) - 1) * HM_W, row))
            return p;
        if (++p == size)
            p = 0;
    }
}

void hm_rehash(const int64_t *keys, int64_t n, hm_ent *table, int64_t size) {
    for (int64_t i = 0; i < n; i++) {  /* the states are distinct: the first empty slot is theirs */
        uint64_t h = hm_hash(keys + i * HM_W);
        int64_t p = hm_home(h, size);
        while (table[p] != 0)
            if (++p == size)
                p = 0;
        table[p] = HM_ENT(h, i + 1);
    }
}

/* the entries of table old in the larger table (64-bit entries only: their hash half gives the home;
   1 done, 0 the table must be rebuilt from the states with hm_rehash) */
int64_t hm_regrow(const hm_ent *old, int64_t osize, hm_ent *table, int64_t size) {
#if HM_W > 2
    for (int64_t q = 0; q < osize; q++) {
        hm_ent e = old[q];
        if (e == 0)
            continue;
        int64_t p = hm_home((uint64_t)e, size);
        while (table[p] != 0)
            if (++p == size)
                p = 0;
        table[p] = e;
    }
    return 1;
#else
    (void)old; (void)osize; (void)table; (void)size;
    return 0;
#endif
}

/* rows ahead of the one being inserted whose table slot, and then stored state, are fetched early */
#define HM_AHEAD 16
static inline void hm_prefetch(const int64_t *keys, const hm_ent *table, int64_t size, const uint64_t *hs,
                               int64_t r, int64_t nr) {
    if (r + HM_AHEAD < nr)
        __builtin_prefetch(&table[hm_home(hs[r + HM_AHEAD], size)]);
    if (r + HM_AHEAD / 2 < nr) {
        uint64_t h = hs[r + HM_AHEAD / 2];
        hm_ent e = table[hm_home(h, size)];
        if (e != 0 && HM_TAGOK(e, h))
            __builtin_prefetch(keys + (HM_IDX(e) - 1) * HM_W);
    }
}

/* st: transitions, max states (-1: none), frontier only, limit hit (1 states, 2 depth), flags used */
static inline int64_t hm_insert_row(int64_t *keys, int64_t n, hm_ent *table, int64_t size, const int64_t *row,
                                    uint64_t h, const int8_t *openp, int64_t *flags, int64_t *st) {
    int64_t p = hm_slot(keys, table, size, row, h);
    if (table[p] != 0)
        return n;
    if (st[2]) { st[3] = 2; return n; }
    if (st[1] >= 0 && n >= st[1]) { st[3] = 1; return n; }
    memcpy(keys + n * HM_W, row, 8 * HM_W);
    table[p] = HM_ENT(h, n + 1);
    if (HM_CHECK) {
        int64_t g[HM_G];
        hm_unpack(row, g);
        if (hm_flag(g, openp))
            flags[st[4]++] = n;
    }
    return n + 1;
}

#define HM_HS_MAX (1 << 17)
static __thread uint64_t hm_hs[HM_HS_MAX];  /* the hashes of the rows being inserted */

int64_t hm_insert(int64_t *keys, int64_t n, hm_ent *table, int64_t size, const int64_t *rows, int64_t m,
                  const int8_t *openp, int64_t *flags, int64_t *st) {
    for (int64_t j0 = 0; j0 < m; j0 += HM_HS_MAX) {
        int64_t k = m - j0 < HM_HS_MAX ? m - j0 : HM_HS_MAX;
        const int64_t *r0 = rows + j0 * HM_W;
        uint64_t *hs = hm_hs;  /* (a thread-local's address: a call each time in a shared library) */
        for (int64_t j = 0; j < k; j++)
            hs[j] = hm_hash(r0 + j * HM_W);
        for (int64_t j = 0; j < k; j++) {
            hm_prefetch(keys, table, size, hs, j, k);
            n = hm_insert_row(keys, n, table, size, r0 + j * HM_W, hs[j], openp, flags, st);
        }
    }
    return n;
}

/* the first state in lo .. hi-1 with target among its successors (-1: none; -2 - i: the
   Python engine must expand state i first) */
int64_t hm_find_parent(const int64_t *keys, int64_t lo, int64_t hi, const int64_t *target, int64_t *out,
                       int32_t *oc, int64_t cap) {
    for (int64_t i = lo; i < hi; i++) {
        hm_npend = 0;
        int64_t m = hm_expand_row(keys + i * HM_W, out, oc, cap);
        if (m < 0)
            return -2 - i;
        for (int64_t j = 0; j < m; j++)
            if (hm_eq(out + j * HM_W, target))
                return i;
    }
    return -1;
}

/* expand states lo .. hi-1 (a run of a batch, or one thread's slice of it under --workers), successors one
   after another in out (ms[k]: the successors of state lo + k, -1: the Python engine's, which ends the run;
   pc[k]: its node hits, in pend); stops while at least HM_OUTCAP rows are left; ret: the next state, rows
   used, node hits used */
#define HM_OUTCAP 4096
void hm_expand_range(const int64_t *keys, int64_t lo, int64_t hi, int64_t *out, int32_t *oc, int64_t cap,
                     int64_t *ms, int64_t *pend, int64_t pcap, int64_t *pc, int64_t *ret) {
    int64_t n = 0, np = 0, i = lo;
    for (; i < hi; i++) {
        if (cap - n < HM_OUTCAP || pcap - np < HM_PEND_MAX)
            break;
        int64_t g[HM_G];
        hm_unpack(keys + i * HM_W, g);
        hm_npend = 0;
        int64_t m = hm_succ(g, out + n * HM_W, oc + n, HM_OUTCAP);
        if (m < 0 || (m == 0 && !hm_done(g))) { ms[i - lo] = -1; pc[i - lo] = 0; i++; break; }
        int64_t k = hm_npend;
        memcpy(pend + np, hm_pend, 8 * k);
        ms[i - lo] = m; pc[i - lo] = k;
        n += m; np += k;
    }
    ret[0] = i; ret[1] = n; ret[2] = np;
}

/* insert the expanded states lo .. hi-1 in order, their successors from row pos and node hits from ppos on;
   ret: the next state, the state count, why (0 done, 1 the Python engine must expand state `next`, 2 the
   arrays must grow first), rows and node hits consumed */
void hm_merge(int64_t *keys, int64_t kcap, int64_t n, hm_ent *table, int64_t size, int64_t lo, int64_t hi,
              const int64_t *out, const int32_t *oc, const int64_t *ms, const int64_t *pend, const int64_t *pc,
              int64_t pos, int64_t ppos, int64_t *cov, const int8_t *openp, int64_t *flags, int64_t fcap,
              int64_t *st, int64_t *ret) {
    int64_t nr = 0;  /* the rows of the states to insert, hashed first (and fetched ahead) */
    for (int64_t i = lo; i < hi && ms[i - lo] >= 0 && nr + ms[i - lo] <= HM_HS_MAX; i++)
        nr += ms[i - lo];
    uint64_t *hs = hm_hs;
    for (int64_t r = 0; r < nr; r++)
        hs[r] = hm_hash(out + (pos + r) * HM_W);
    int64_t i = lo, why = 0, r = 0;
    for (; i < hi; i++) {
        int64_t m = ms[i - lo];
        if (m < 0) { why = 1; break; }
        if (n + m > kcap || (n + m) * 5 > size * 4 || st[4] + m > fcap) { why = 2; break; }
        if (r + m > nr) {  /* past what was hashed: the rest another time */
            why = 3;
            break;
        }
        for (int64_t j = 0; j < m; j++, r++) {
            hm_prefetch(keys, table, size, hs, r, nr);
            n = hm_insert_row(keys, n, table, size, out + (pos + j) * HM_W, hs[r], openp, flags, st);
            cov[oc[pos + j]]++;
        }
        for (int64_t j = 0; j < pc[i - lo]; j++)
            cov[pend[ppos + j]]++;
        st[0] += m;
        pos += m;
        ppos += pc[i - lo];
    }
    ret[0] = i; ret[1] = n; ret[2] = why; ret[3] = pos; ret[4] = ppos;
}

/* expand and insert states head .. end-1, a run at a time; ret: next state, state count, why (0 done, 1 the
   Python engine must expand state `next`, 2 the arrays must grow first) */
void hm_batch(int64_t *keys, int64_t kcap, int64_t n, hm_ent *table, int64_t size, int64_t head, int64_t end,
              int64_t run, int64_t *out, int32_t *oc, int64_t cap, int64_t *ms, int64_t *pend, int64_t pcap,
              int64_t *pc, int64_t *cov, const int8_t *openp, int64_t *flags, int64_t fcap, int64_t *st,
              int64_t *ret) {
    int64_t i = head, why = 0;
    int64_t r3[3], r5[5];
    while (i < end) {
        int64_t hi = end - i > run ? i + run : end;
        int64_t start = i, pos = 0, ppos = 0;
        hm_expand_range(keys, start, hi, out, oc, cap, ms, pend, pcap, pc, r3);
        for (;;) {
            hm_merge(keys, kcap, n, table, size, i, r3[0], out, oc, ms + (i - start), pend, pc + (i - start),
                     pos, ppos, cov, openp, flags, fcap, st, r5);
            n = r5[1];
            i = r5[0];
            if (r5[2] != 3)
                break;
            pos = r5[3]; ppos = r5[4];  /* more rows than hm_hs holds: hash the next ones */
        }
        if (r5[2]) { why = r5[2]; break; }
    }
    ret[0] = i; ret[1] = n; ret[2] = why;
}

'''


def _c_array(name: str, values) -> str:
    vals = [int(x) for x in values] or [0]
    return f"static const int64_t v{name}[{len(vals)}] = {{{', '.join(f'INT64_C({x})' for x in vals)}}};"


def generate_units(model: Model, units: int) -> tuple[list[str], dict]:
    """The C source of ``model``'s compiled engine in at most ``units`` translation units, compiled apart.

    With one, a single self-contained source. With more, the step and
    property functions are spread over the units, balanced by size, and
    unit 0 also holds the search and the thread-locals; each unit declares
    what the others define. A small model is always one unit.
    """
    from .ctrans import CTranslator, Untranslatable
    p = model.program
    L = model.layout
    g = _JitGen(p, L, model.coverage)
    G, W = g.G, g.W
    # the Python text of every step and property first: it says which tables are used
    steps: list[tuple[int, int, int, list[str] | None]] = []
    for t in p.threads:
        plan = model.interp.plans[t.index]
        da = definitely_assigned(p, t.index)
        for b in plan.boundaries:
            steps.append((t.index, b, L.pcs[t.pc_slot].index(b), g.step_lines(t.index, plan, b, da)))
    routines: dict[int, list[str] | None] = {}
    for k, prop in enumerate(p.properties):
        if prop.kind in (ir.INVARIANT, ir.REACHABLE, ir.FINAL):
            routines[k] = g.routine_body(prop.routine)
    tables: dict[str, tuple] = {}
    for name, val in g.ns.items():
        if isinstance(val, tuple) and val and all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in val):
            tables[name] = val
    pcat, pcvals = [], []
    for k in range(L.nstate):
        if k in L.pcs:
            pcat.append(len(pcvals))
            pcvals.extend(L.pcs[k])
        else:
            pcat.append(-1)
    tables.update({"_O": tuple(L.off) or (0,), "_GRP": tuple(g.gindex) or (0,),
                   "_INN": tuple(max(1, x) for x in L.inner) or (1,),
                   "_BASE": tuple(max(1, x) for x in L.base) or (1,),
                   "_NULL": tuple(1 if x else 0 for x in L.nullable) or (0,),
                   "_PCAT": tuple(pcat) or (-1,), "_PCVALS": tuple(pcvals) or (0,)})
    tr = CTranslator({k: len(v) for k, v in tables.items()}, G, W, L.nstate)
    params = ", ".join(f"int64_t vs_{j}" for j in range(G))
    args = ", ".join(f"g[{j}]" for j in range(G))
    funcs: list[str] = []
    fallback: list[tuple[str, int]] = []
    reasons: dict[str, int] = {}
    cfg_steps = 0
    cfg_ok: dict[int, str] = {}  # thread -> "" (its goto-compiled function exists) or why not
    npaths = len(model.coverage.counts)  # path-expanded steps count coverage per path below this index
    offs, total = [], 0
    for t in p.threads:
        offs.append(total)
        total += len(t.nodes)
    cfg_nodes = (npaths, offs, total)  # the goto-compiled steps count node hits above it
    dispatch: list[str] = []
    cur_tid = None
    for tid, b, code, lines in steps:
        if tid != cur_tid:
            if cur_tid is not None:
                dispatch.append("    }")
            cur_tid = tid
            ps = p.threads[tid].pc_slot
            dispatch.append(f"    switch ({_slot_code_c(L, g, ps)}) {{")
        body = None
        why = "may overflow 62 bits"
        tr.reset()
        if lines is None:  # too large to expand path by path: a goto per IR node
            if tid not in cfg_ok:
                starts = [b2 for t2, b2, _, l2 in steps if t2 == tid and l2 is None]
                try:
                    funcs.append(cfg_thread(g, tr, p, model.interp.plans[tid], tid, starts, params, cfg_nodes))
                    cfg_ok[tid] = ""
                except (_TooBig, Untranslatable) as e:
                    cfg_ok[tid] = f"not compiled ({e or 'may overflow 62 bits'})"
            if not cfg_ok[tid]:
                dispatch += [f"    case {code}:", f"        n = hm_t{tid}({args}, out, oc, n, cap, {b});",
                             "        if (n < 0) return n;", "        break;"]
                cfg_steps += 1
                continue
            why = cfg_ok[tid]
        else:
            try:
                body, locs = tr.body(lines, 8)
            except Untranslatable as e:
                why = f"untranslatable ({e})"
                body = None
        if body is None:
            fallback.append((p.threads[tid].name, b))
            reasons[why] = reasons.get(why, 0) + 1
            dispatch.append(f"    case {code}: return -1;")
            continue
        locs -= {f"vs_{j}" for j in range(G)} | {"v_n"}
        decl = [f"    int64_t {', '.join(sorted(locs))};"] if locs else []
        funcs.append("\n".join(
            [f"static int64_t hm_s{tid}_{b}({params}, int64_t *v_out, int32_t *v_oc, int64_t v_n, int64_t v_cap) {{"]
            + decl + body + ["    return v_n;", "fail:", "    return -1;", "}"]))
        dispatch += [f"    case {code}:", f"        n = hm_s{tid}_{b}({args}, out, oc, n, cap);",
                     "        if (n < 0) return n;", "        break;"]
    if cur_tid is not None:
        dispatch.append("    }")
    checks: list[str] = []
    compiled_props = 0
    for k, lines in routines.items():
        kind = p.properties[k].kind
        call = None
        if lines is not None:
            try:
                tr.reset()
                body, locs = tr.body(lines, 8)
                decl = [f"    int64_t {', '.join(sorted(locs))};"] if locs else []
                funcs.append("\n".join([f"static int hm_p{k}({params}) {{"] + decl + body + [
                    "fail:", "    return -1;", "}"]))
                call = f"hm_p{k}({args})"
                compiled_props += 1
            except Untranslatable:
                call = None
        if call is None:
            test = "1"
        elif kind == ir.REACHABLE:
            test = f"{call} != 0"
        else:
            test = f"{call} != 1"
        if kind == ir.FINAL:
            test = f"hm_done(g) && ({test})"
        checks.append(f"    if (openp[{k}] && ({test})) return 1;")
    done = " && ".join(f"({_slot_code_c(L, g, t.pc_slot)}) == {int(L.pcs[t.pc_slot].index(DONE))}"
                       for t in p.threads) or "1"
    unpack = []
    for j, (start, width) in enumerate(zip(g.gstart, g.gwidth)):
        w, b = divmod(start, 64)
        mask = (1 << width) - 1
        if b + width <= 64:
            unpack.append(f"g[{j}] = (int64_t)(((uint64_t)row[{w}] >> {b}) & {mask}ULL);")
        else:
            lo = 64 - b
            unpack.append(f"g[{j}] = (int64_t)((((uint64_t)row[{w}] >> {b}) | "
                          f"((uint64_t)row[{w + 1}] << {lo})) & {mask}ULL);")
    if not g.gstart:
        unpack.append("g[0] = 0;")
    pack = [f"row[{w}] = (int64_t)({text});" for w, text in enumerate(g.pack_words("g", c_array=True))]
    canon, sym_groups = _canon_c(model, g)
    gnames = "".join(f"    int64_t vs_{j} = g[{j}]; (void)vs_{j};\n" for j in range(G))
    tls = [("uint32_t", "hm_mark", f"[{total + 1}]"), ("uint32_t", "hm_gen", ""),
           ("int64_t", "hm_pend", "[HM_PEND_MAX]"), ("int64_t", "hm_npend", "")]

    def prelude(mode: str) -> str:
        """Defines, thread-locals and tables; ``mode``: static (one unit), define or extern (several)."""
        storage = {"static": "static __thread", "define": '__attribute__((visibility("hidden"))) __thread',
                   "extern": "extern __thread"}[mode]
        return "\n".join([
            # per thread of the process: --workers expands in several threads at once
            _C_HEAD, "#define HM_PEND_MAX (1 << 16)",
            " ".join(f"{storage} {t} {name}{dim};" for t, name, dim in tls),
            f"#define HM_W {W}", f"#define HM_G {G}", f"#define HM_CHECK {1 if checks else 0}",
            f"#define HM_UNPACK {' '.join(unpack)}", f"#define HM_PACK {' '.join(pack)}",
            "\n".join(_c_array(k, v) for k, v in sorted(tables.items())), ""])
    tail = "\n".join([
        "static int hm_done(const int64_t *g) {\n" + gnames + f"    return {done};\n}}",
        "static int64_t hm_expand(const int64_t *g, int64_t *out, int32_t *oc, int64_t n, int64_t cap) {",
        gnames.rstrip("\n"),
    ] + dispatch + ["    return n;", "}",
                    "static int hm_flag(const int64_t *g, const int8_t *openp) {"] + checks + ["    return 0;", "}",
                                                                                         canon, _C_CORE])
    info = {"groups": G, "words": W, "compiled_steps": len(steps) - len(fallback), "fallback_steps": fallback,
            "compiled_properties": compiled_props, "properties": len(routines), "reasons": reasons,
            "cfg_steps": cfg_steps, "npaths": npaths, "node_offsets": offs, "nodes": total,
            "sym_groups": sym_groups}
    if units <= 1 or len(funcs) < 2 or sum(map(len, funcs)) < SPLIT_MIN:
        return [prelude("static") + "\n" + "\n\n".join(funcs) + "\n" + tail], info
    # several units: the step and property functions spread over units 1.., the search in unit 0; each
    # unit sees every function's prototype (the functions lose their `static`)
    shared = [f.removeprefix("static ") for f in funcs]
    protos = "\n".join(f.split("\n", 1)[0].removesuffix(" {") + ";" for f in shared)
    parts: list[list[str]] = [[] for _ in range(min(units, len(shared)))]
    sizes = [len(tail)] + [0] * (len(parts) - 1)
    for f in sorted(shared, key=len, reverse=True):  # the largest first, each to the lightest unit
        k = sizes.index(min(sizes))
        parts[k].append(f)
        sizes[k] += len(f)
    head = prelude("extern") + "\n" + protos + "\n"
    return ([prelude("define") + "\n" + protos + "\n" + "\n\n".join(parts[0]) + "\n" + tail] +
            [head + "\n\n".join(p) for p in parts[1:]]), info


def _slot_code_c(L, g: _JitGen, ps: int) -> str:
    """C text of the code of slot ``ps`` (a pc, or any other) from the group array ``g``."""
    if L.base[ps] == 1:
        return "0"
    t = f"g[{g.gindex[ps]}]"
    if L.inner[ps] > 1:
        t = f"({t} / {int(L.inner[ps])})"
    return f"({t} % {int(L.base[ps])})"


def _canon_c(model: Model, g: _JitGen) -> tuple[str, list[list[int]]]:
    """C of ``hm_canon``, the canonical representative under symmetry (in place, on group locals).

    It computes what :meth:`hugemc.explore.reduce.Reduction.canon` computes,
    from the same groups: per group of identical threads, each member's row
    (the codes of its own slots, then per lock word whether it holds the
    member's id) is sorted, the members' slots are rewritten in that order,
    and lock words holding a moved member's id are renamed with it. Returns
    the source and the groups (thread indices), for the engine to check
    that the Python side means the same groups.
    """
    from ..explore.reduce import Reduction
    red = Reduction(model, symmetry=True)
    L = model.layout
    out = ["static inline int hm_rowlt(const int64_t *a, const int64_t *b, int n) {",
           "    for (int i = 0; i < n; i++)", "        if (a[i] != b[i])", "            return a[i] < b[i];",
           "    return 0;", "}", "static void hm_canon(int64_t *g) {", "    (void)g;"]
    holders = red.holder_slots
    for members, slots in zip(red.groups, red.gslots):
        K, C = len(members), len(slots[0]) + len(holders)
        out += ["    {", f"        int64_t r[{K}][{C}]; int o[{K}];"]
        for i, (m, sl) in enumerate(zip(members, slots)):
            cells = [_slot_code_c(L, g, k) for k in sl]
            cells += [f"({_slot_code_c(L, g, h)} == {int(L.code(h, m + 1))})" for h in holders]
            out += [f"        r[{i}][{c}] = {cell};" for c, cell in enumerate(cells)]
        out += [f"        for (int i = 0; i < {K}; i++) {{",  # a stable insertion sort of the rows
                "            int j = i;",
                f"            while (j > 0 && hm_rowlt(r[i], r[o[j - 1]], {C})) {{",
                "                o[j] = o[j - 1];", "                j--;", "            }",
                "            o[j] = i;", "        }"]
        out.append(f"        for (int p = 0; p < {K}; p++) if (o[p] != p) {{")  # not already in order
        for pos in range(K):
            for j, k in enumerate(slots[pos]):
                if L.base[k] > 1:
                    out.append(f"            g[{g.gindex[k]}] += (r[o[{pos}]][{j}] - r[{pos}][{j}]) * "
                               f"INT64_C({int(L.inner[k])});")
        for h in holders:
            ids = ", ".join(str(int(L.code(h, m + 1))) for m in members)
            out += ["            {", f"                static const int64_t hc[{K}] = {{{ids}}};",
                    f"                int64_t c = {_slot_code_c(L, g, h)};",
                    f"                for (int q = 0; q < {K}; q++)",
                    "                    if (c == hc[o[q]]) {",
                    f"                        g[{g.gindex[h]}] += (hc[q] - c) * INT64_C({int(L.inner[h])});",
                    "                        break;", "                    }", "            }"]
        out += ["            break;", "        }", "    }"]
    out.append("}")
    return "\n".join(out), [list(m) for m in red.groups]


class JitModel:
    """A model's compiled engine: the loaded shared library and what it covers."""

    def __init__(self, model: Model, lib, info: dict, compile_seconds: float, cached: bool) -> None:
        self.model = model
        self.lib = lib
        self.words = info["words"]
        self.info = info
        self.compile_seconds = compile_seconds
        self.cached = cached

    def describe(self) -> str:
        """One line for ``-v``: what runs compiled, what falls back."""
        i = self.info
        fb = i["fallback_steps"]
        cfg = f" ({i['cfg_steps']} of them node by node)" if i.get("cfg_steps") else ""
        text = (f"compiled engine: {i['compiled_steps']} of {i['compiled_steps'] + len(fb)} steps{cfg}, "
                f"{i['compiled_properties']} of {i['properties']} properties compiled "
                f"({'cached' if self.cached else f'compiled in {self.compile_seconds:.1f} s'})")
        if fb:
            shown = ", ".join(f"{name}@{pc}" for name, pc in fb[:6])
            text += f"; steps run by the Python engine: {shown}" + (" ..." if len(fb) > 6 else "")
        return text


def _compiler() -> str | None:
    """The C compiler: ``HUGEMC_CC`` if set (only it), else ``CC``, gcc, cc or clang, the first found."""
    import shutil
    only = os.environ.get("HUGEMC_CC")
    for cc in ([only] if only else [os.environ.get("CC"), "gcc", "cc", "clang"]):
        if cc and shutil.which(cc):
            return cc
    return None


def _opt_level(src: str) -> str:
    """``HUGEMC_CC_OPT`` (e.g. -O0 for quick test builds), else -O2, or -O1 for a large source."""
    return os.environ.get("HUGEMC_CC_OPT") or ("-O2" if len(src) < 400_000 else "-O1")


_GEN_DIGEST: list[str] = []


def _generator_digest() -> str:
    """A hash of the generators' own code: a changed generator never reuses an old build."""
    if not _GEN_DIGEST:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for f in ("jit.py", "ctrans.py", "compile.py", "../explore/reduce.py"):  # (reduce: the symmetry groups)
            h.update((here / f).read_bytes())
        _GEN_DIGEST.append(h.hexdigest())
    return _GEN_DIGEST[0]


def model_key(model: Model, cc: str) -> str:
    """The cache key of ``model``'s compiled engine: everything the generated C depends on."""
    p = model.program
    parts = [JIT_VERSION, _generator_digest(), cc, os.environ.get("HUGEMC_CC_OPT", ""), model.source, repr(model.layout), repr(p.slots), repr(p.tables),
             repr([(t.name, t.pc_slot, t.locals, t.nodes) for t in p.threads]),
             repr([(q.name, q.kind, q.routine) for q in p.properties]), repr(p.fatal_warnings)]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _start_build(model: Model, cc: str, d: Path, name: str) -> int:
    """Generate the C source and start the compiler in the background; returns its process group.

    The compiler runs in a shell of its own session, which moves the library
    and then its facts (``name.json``, written last: its presence says the
    engine is complete) into the cache; so a build may outlive the process
    that started it, and the next run of the model finds it there.
    """
    import json
    import shlex
    import subprocess
    srcs, info = generate_units(model, min(os.cpu_count() or 1, 8))
    info["paths"] = [[tid, list(trail)] for tid, trail in model.coverage.paths[: info["npaths"]]]
    tag = f"{os.getpid()}.{time.monotonic_ns()}"
    base = d / f".{name}.{tag}"
    tmp, pend, err = Path(f"{base}.so"), Path(f"{base}.json"), Path(f"{base}.err")
    cs = [Path(f"{base}.{k}.c") for k in range(len(srcs))]
    for c, src in zip(cs, srcs):
        c.write_text(src)
    pend.write_text(json.dumps(info))
    opt = _opt_level("".join(srcs))
    if opt not in ("-O0", "-O1", "-O2", "-O3", "-Os"):
        raise JitUnavailable(f"HUGEMC_CC_OPT must be one of -O0 -O1 -O2 -O3 -Os, not {opt!r}")
    q = shlex.quote
    flags = f"{opt} -fwrapv -fno-strict-aliasing -fPIC -w"
    if len(cs) == 1:
        build = f"{q(cc)} {flags} -shared -o {q(str(tmp))} {q(str(cs[0]))} 2> {q(str(err))}"
    else:  # the units compiled at once (one compiler each), then linked
        objs = [Path(f"{c}.o") for c in cs]
        build = "rc=0; " + " ".join(f"{q(cc)} {flags} -c -o {q(str(o))} {q(str(c))} 2> {q(str(c))}.err & p{k}=$!;"
                                    for k, (c, o) in enumerate(zip(cs, objs)))
        build += " " + " ".join(f"wait $p{k} || rc=1;" for k in range(len(cs)))
        build += (f" cat {' '.join(q(str(c)) + '.err' for c in cs)} > {q(str(err))};"
                  f" [ $rc = 0 ] && {q(cc)} -shared -o {q(str(tmp))} {' '.join(q(str(o)) for o in objs)}"
                  f" 2>> {q(str(err))}")
    clean = " ".join(q(str(c)) + x for c in cs for x in ("", ".err", ".o"))
    script = (f"{build} && mv -f {q(str(tmp))} {q(str(d / (name + '.so')))} && "
              f"mv -f {q(str(pend))} {q(str(d / (name + '.json')))}; rc=$?; "
              f"if [ $rc = 0 ]; then rm -f {q(str(err))}; else mv -f {q(str(err))} "
              f"{q(str(d / (name + '.err')))}; fi; rm -f {clean} {q(str(tmp))} {q(str(pend))}; exit $rc")
    proc = subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc.pid


def _load(model: Model, d: Path, name: str, seconds: float, cached: bool) -> JitModel:
    import ctypes
    import json
    info = json.loads((d / f"{name}.json").read_text())
    lib = ctypes.CDLL(str(d / f"{name}.so"))
    P, I = ctypes.c_void_p, ctypes.c_int64
    lib.hm_rehash.argtypes = [P, I, P, I]
    lib.hm_rehash.restype = None
    lib.hm_regrow.argtypes = [P, I, P, I]
    lib.hm_regrow.restype = I
    lib.hm_insert.argtypes = [P, I, P, I, P, I, P, P, P]
    lib.hm_insert.restype = I
    lib.hm_batch.argtypes = [P, I, I, P, I, I, I, I, P, P, I, P, P, I, P, P, P, P, I, P, P]
    lib.hm_batch.restype = None
    lib.hm_find_parent.argtypes = [P, I, I, P, P, P, I]
    lib.hm_find_parent.restype = I
    lib.hm_expand_range.argtypes = [P, I, I, P, P, I, P, P, I, P, P]
    lib.hm_expand_range.restype = None
    lib.hm_merge.argtypes = [P, I, I, P, I, I, I, P, P, P, P, P, I, I, P, P, P, I, P, P]
    lib.hm_merge.restype = None
    lib.hm_entry_bytes.argtypes = []
    lib.hm_entry_bytes.restype = I
    lib.hm_map.argtypes = [I]
    lib.hm_map.restype = P
    lib.hm_remap.argtypes = [P, I, I]
    lib.hm_remap.restype = P
    lib.hm_unmap.argtypes = [P, I]
    lib.hm_unmap.restype = None
    lib.hm_set_sym.argtypes = [I]
    lib.hm_set_sym.restype = None
    return JitModel(model, lib, info, seconds, cached)


class Build:
    """A compiled engine being made: at once from the cache, else in the background.

    A child process generates the C source and starts the C compiler while
    the caller goes on (the search starts with the Python engine);
    :meth:`poll` says when the engine is ready, :meth:`wait` waits for it,
    :meth:`cancel` stops the compiler and :meth:`detach` lets it finish for
    the next run.
    """

    def __init__(self, model: Model, delay: float = 0.0) -> None:
        """Look in the cache; else start building, at once or, with ``delay``, at the first
        :meth:`poll` that many seconds later (a search that ends sooner never pays for a build)."""
        self.model = model
        self.t0 = time.monotonic()
        self.delay = delay
        self.proc = None
        self.pgid: int | None = None
        self.error: str | None = None
        self.result: JitModel | None = None
        cc = _compiler()
        if cc is None:
            self.error = "no C compiler (gcc, cc or clang) found"
            return
        self.dir = cache_dir()
        self.name = f"hm_{model_key(model, cc)}"
        self.cc = cc
        if (self.dir / f"{self.name}.json").exists():
            self.result = _load(model, self.dir, self.name, time.monotonic() - self.t0, True)
            return
        if delay <= 0:
            self._start()

    def _start(self) -> None:
        import multiprocessing as mp
        model, cc = self.model, self.cc
        self.t0 = time.monotonic()
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_child, args=(model, cc, self.dir, self.name, child), daemon=True)
        self.proc.start()
        child.close()

    def poll(self) -> JitModel | None:
        """The engine if it is ready (None: not yet, or it failed: see ``error``)."""
        if self.result is not None or self.error is not None:
            return self.result
        if self.proc is None:
            if time.monotonic() - self.t0 < self.delay:
                return None
            self._start()
        if self.pgid is None:
            if not self.conn.poll():
                if not self.proc.is_alive():
                    self.error = "the code generator's process died"
                return None
            msg = self.conn.recv()
            self.proc.join()
            if isinstance(msg, str):
                self.error = msg
                return None
            self.pgid = msg
        if (self.dir / f"{self.name}.json").exists():
            self.result = _load(self.model, self.dir, self.name, time.monotonic() - self.t0, False)
            return self.result
        try:
            os.kill(self.pgid, 0)  # the compiler's shell (not our child: it outlives the generator)
        except ProcessLookupError:
            if not (self.dir / f"{self.name}.json").exists():
                err = self.dir / f"{self.name}.err"
                try:
                    first = next((ln for ln in err.read_text(errors="replace").splitlines() if "error" in ln), "")
                    err.unlink()
                except OSError:
                    first = ""
                self.error = "the C compiler failed" + (f": {first.strip()[-160:]}" if first else "")
        except OSError:
            pass
        return None

    def wait(self) -> JitModel:
        """Wait for the engine (raises :class:`JitUnavailable` if it cannot be made)."""
        if self.proc is None and self.result is None and self.error is None:
            self._start()
        from ..progress import interrupted
        while self.poll() is None and self.error is None:
            if interrupted():  # Ctrl-C: the search stops at once anyway (the build finishes for next time)
                raise JitUnavailable("interrupted")
            time.sleep(0.05)
        if self.result is None:
            raise JitUnavailable(self.error or "unknown")
        return self.result

    def cancel(self) -> None:
        """Stop the generator and the compiler (the search ended first: the engine was not needed)."""
        import signal
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1)
        self._take_pgid()
        if self.pgid is not None and self.result is None:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except OSError:
                pass

    def detach(self) -> None:
        """Let a started compiler finish in the background (its engine lands in the cache)."""
        if self.proc is not None and self.pgid is None:
            self.proc.join()  # generation is quick next to the compiler
            self._take_pgid()

    def _take_pgid(self) -> None:
        if self.pgid is None and self.proc is not None:
            try:
                if self.conn.poll():
                    msg = self.conn.recv()
                    self.pgid = msg if isinstance(msg, int) else None
            except (EOFError, OSError):
                pass


def _child(model: Model, cc: str, d: Path, name: str, conn) -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        conn.send(_start_build(model, cc, d, name))
    except JitUnavailable as e:
        conn.send(str(e))
    except Exception as e:  # a generator bug must not take the search down: it runs on in Python
        conn.send(f"internal error in the compiled engine's generator: {type(e).__name__}: {e}")


def jit_model(model: Model) -> JitModel:
    """Generate, cache and load ``model``'s compiled engine, waiting for it (raises :class:`JitUnavailable`)."""
    b = Build(model)
    if b.error:
        raise JitUnavailable(b.error)
    return b.wait()


CS_MAX = 16        # nested choices on one path of a goto-compiled step
TRAIL_MAX = 4096   # nodes on one path of a goto-compiled step (for coverage)


def cfg_thread(g: _JitGen, tr, p, plan, tid: int, starts: list[int], params: str, cov_layout) -> str:
    """C source of the steps of thread ``tid`` from the boundaries ``starts``, as a goto per IR node.

    One function per thread, ``hm_t{tid}(..., start)``: the steps share their
    nodes, so each node is emitted once however many steps run through it.

    For steps too large to expand path by path (a loop over pages with a
    branch inside doubles the paths per iteration): the nodes become labels,
    branches become gotos, and a nondeterministic choice pushes a choice point
    (the state, the step's locals, the value) that the end of each path pops,
    so the outcomes come in the interpreter's order (depth first, values
    ascending). Reads of locals not yet assigned, faults, warnings, more
    than ``MAX_NODES_PER_STEP`` nodes or ``CS_MAX`` nested choices fail the
    step (the Python engine redoes it). Coverage: every successor counts the
    step once and each node of its path once, as the interpreter's paths do.
    Raises ``_TooBig`` or ``Untranslatable`` when some node cannot be compiled.
    """
    from ..ir import Assign, Assume, Branch, Check, Choose, Exit, Jump, Print, Var, Warn, node_reads, node_writes
    from ..ir.interp import MAX_NODES_PER_STEP
    from ..ir.steps import stops_before
    npaths, offs, total = cov_layout
    L = g.L
    thread = p.threads[tid]
    nodes = thread.nodes
    G = g.G
    # the nodes of the steps: from each start until a node where every path stops
    seen = list(starts)
    todo = list(starts)
    stop: dict[int, tuple[bool, bool]] = {}
    while todo:
        k = todo.pop()
        for nx in _succ(nodes[k]):
            if nx in stop:
                continue
            s0, s1 = stops_before(plan, nodes, nx, False), stops_before(plan, nodes, nx, True)
            stop[nx] = (s0, s1)
            if not (s0 and s1) and nx not in seen:
                seen.append(nx)
                todo.append(nx)
    scratch = sorted({s for k in seen for s in node_reads(nodes[k], p.tables) | node_writes(nodes[k], p.tables)
                      if s >= p.nstate})
    NX = max(1, len(scratch))
    xname = {s: f"_sc{s}" for s in scratch}
    lines: list[str] = []

    def emit(text: str) -> None:
        lines.append(text)

    def py(stmts: list[str]) -> None:
        out, _ = tr.body(stmts, 0)
        lines.extend(out)

    def cexpr(e) -> str:
        return tr.expression(g.expr(e, "n", frozenset()))

    def fresh_env() -> None:
        g.env = {s: f"_chk({xname[s]})" for s in scratch}
        g.cond_depth = 0

    def store_value(dst, text: str, vr) -> None:
        """Store Python text ``text`` (value range ``vr``) into ``dst``."""
        if isinstance(dst, Var) and dst.slot >= p.nstate:
            s = dst.slot
            lo, hi = g.slot_lo[s], g.slot_hi[s]
            out = [f"{xname[s]} = {text}"]
            if not (lo <= vr[0] and vr[1] <= hi):
                out.append(f"if not {int(lo)} <= {xname[s]} <= {int(hi)}: raise _Err")
            py(out)
            return
        out: list[str] = []
        g.store(dst, None, "n", frozenset(), out, "", value_text=text, value_range=vr)
        py(out)

    gv = [f"vn_{j}" for j in range(G)]
    xv = [f"v{xname[s]}" for s in scratch] or ["vdummy"]
    emit(f"static int64_t hm_t{tid}({params}, int64_t *v_out, int32_t *v_oc, int64_t v_n, int64_t v_cap, "
         "int64_t start) {")
    body_start = len(lines)
    emit(f"    int64_t vn[{G}] = {{{', '.join(f'vs_{j}' for j in range(G))}}};")
    for j in range(G):
        emit(f"    #define vn_{j} vn[{j}]")
    emit(f"    int64_t vx[{NX}];")
    for i, name in enumerate(xv):
        emit(f"    #define {name} vx[{i}]")
    emit(f"    for (int i = 0; i < {NX}; i++) vx[i] = HM_NONE;")
    emit(f"    int ud = 0, tn = 0, csn = 0; int64_t budget = 0; int32_t trail[{TRAIL_MAX}];")
    emit(f"    int64_t cs_g[{CS_MAX}][{G}], cs_x[{CS_MAX}][{NX}], cs_val[{CS_MAX}], cs_hi[{CS_MAX}], "
         f"cs_budget[{CS_MAX}];")
    emit(f"    int cs_node[{CS_MAX}], cs_ud[{CS_MAX}], cs_tn[{CS_MAX}];")
    emit("    switch (start) {")
    for b in starts:
        emit(f"    case {b}: goto F{b};")
    emit("    }")
    emit("    return -1;")
    choose_nodes: list[int] = []
    for k, (s0, s1) in stop.items():
        if s0 and s1 and k not in seen:
            emit(f"N{k}: goto E{k};")
    for k in seen:
        nd = nodes[k]
        if k in stop:
            s0, s1 = stop[k]
            if s0 and s1:
                emit(f"N{k}: goto E{k};")
            elif s0 or s1:
                emit(f"N{k}: if ({'!' if s0 else ''}ud) goto E{k};")
            else:
                emit(f"N{k}:")
        emit(f"F{k}:")
        emit(f"    if (++budget > {MAX_NODES_PER_STEP}) goto fail;")
        if plan.region_entry[k] or (nd.region == 0 and plan.shared[k]):
            emit("    ud = 1;")
        emit(f"    if (tn >= {TRAIL_MAX}) goto fail; trail[tn++] = {k};")
        fresh_env()
        if isinstance(nd, Exit):
            emit("    goto EDONE;")
        elif isinstance(nd, Assign):
            if isinstance(nd.dst, Var) and nd.dst.slot >= p.nstate:
                text = g.expr(nd.value, "n", frozenset())
                store_value(nd.dst, text, expr_range(nd.value, g._dom, p.tables))
            else:
                out: list[str] = []
                g.store(nd.dst, nd.value, "n", frozenset(), out, "")
                py(out)
            emit(f"    goto N{nd.next};")
        elif isinstance(nd, Jump):
            emit(f"    goto N{nd.next};")
        elif isinstance(nd, Branch):
            emit(f"    if ({cexpr(nd.cond)}) goto N{nd.then}; else goto N{nd.orelse};")
        elif isinstance(nd, Assume):
            emit(f"    if (!({cexpr(nd.cond)})) goto BACK;")
            emit(f"    goto N{nd.next};")
        elif isinstance(nd, Check):
            emit(f"    if (!({cexpr(nd.cond)})) goto fail;")
            emit(f"    goto N{nd.next};")
        elif isinstance(nd, Warn):
            emit(f"    if ({cexpr(nd.cond)}) goto fail;")
            emit(f"    goto N{nd.next};")
        elif isinstance(nd, Print):
            for a in nd.args:
                emit(f"    (void)({cexpr(a)});")
            emit(f"    goto N{nd.next};")
        elif isinstance(nd, Choose):
            if not isinstance(nd.dst, Var):
                raise _TooBig
            choose_nodes.append(k)
            lo, hi = cexpr(nd.lo), cexpr(nd.hi)
            emit(f"    {{ int64_t lo = {lo}, hi = {hi};")
            emit("      if (lo > hi) goto BACK;")
            emit(f"      if (csn >= {CS_MAX}) goto fail;")
            emit("      memcpy(cs_g[csn], vn, sizeof vn); memcpy(cs_x[csn], vx, sizeof vx);")
            emit(f"      cs_val[csn] = lo; cs_hi[csn] = hi; cs_node[csn] = {k}; cs_ud[csn] = ud; cs_tn[csn] = tn; "
                 "cs_budget[csn] = budget; csn++;")
            emit("      v_choice = lo; }")
            emit(f"C{k}:")
            fresh_env()
            store_value(nd.dst, "_choice", expr_range(nd.lo, g._dom, p.tables)[:1] +
                        expr_range(nd.hi, g._dom, p.tables)[1:])
            emit(f"    goto N{nd.next};")
        else:
            raise _TooBig
    # the ends: clear dead locals, set the pc, emit, count coverage
    ends = [k for k, (s0, s1) in stop.items() if s0 or s1] + ["DONE"]
    pcs = L.pcs[thread.pc_slot]
    for k in ends:
        pc = DONE if k == "DONE" else k
        emit(f"E{k}:")
        g.env = {}
        clear = plan.clear_done if pc == DONE else plan.clear_at[pc]
        out: list[str] = []
        for s in clear:
            if s < p.nstate and L.base[s] > 1:
                out.extend(g.bump("n", s, f"(-{g.code(s, 'n')})", ""))
        ps = thread.pc_slot
        out.extend(g.bump("n", ps, f"({pcs.index(pc)} - {g.code(ps, 'n')})", ""))
        out.append("if _n >= _cap: raise _Err")
        for w, text in enumerate(g.pack_words("n")):
            out.append(f"_out[_n, {w}] = {text}")
        py(out)
        emit("    v_n++;")
        emit(f"    v_oc[v_n - 1] = {npaths + total + offs[tid]} + start;  /* the step's count; nodes below */")
        # (the thread-locals' addresses taken once: each access is a call in a shared library)
        emit("    { uint32_t *mk = hm_mark; int64_t *pd = hm_pend; int64_t np = hm_npend; uint32_t gen = ++hm_gen;")
        emit('      __asm__("" : "+r"(mk), "+r"(pd));  /* (kept, not asked again in the loop) */')
        emit("      if (gen == 0) { memset(mk, 0, sizeof hm_mark); gen = hm_gen = 1; }")
        emit("      for (int i = 0; i < tn; i++) { int t = trail[i]; if (mk[t] != gen) {")
        emit("          mk[t] = gen;")
        emit(f"          if (np >= HM_PEND_MAX) goto fail; pd[np++] = {npaths + offs[tid]} + t; }} }}")
        emit("      hm_npend = np; }")
        emit("    goto BACK;")
    emit("BACK:")
    emit("    while (csn > 0) {")
    emit("        int c = csn - 1;")
    emit("        if (cs_val[c] < cs_hi[c]) {")
    emit("            cs_val[c]++;")
    emit("            memcpy(vn, cs_g[c], sizeof vn); memcpy(vx, cs_x[c], sizeof vx);")
    emit("            ud = cs_ud[c]; tn = cs_tn[c]; budget = cs_budget[c]; v_choice = cs_val[c];")
    emit("            switch (cs_node[c]) {")
    for k in choose_nodes:
        emit(f"            case {k}: goto C{k};")
    emit("            }")
    emit("        }")
    emit("        csn--;")
    emit("    }")
    emit("    return v_n;")
    emit("fail:")
    emit("    return -1;")
    emit("}")
    decl = sorted(tr.locals - set(gv) - set(xv) - {"v_n", "v_choice"})
    lines.insert(body_start, f"    int64_t v_choice = 0{''.join(', ' + d for d in decl)};")
    for j in range(G):
        lines.append(f"#undef vn_{j}")
    for name in xv:
        lines.append(f"#undef {name}")
    return "\n".join(lines)


def _succ(nd) -> list[int]:
    from ..ir import node_successors
    return list(node_successors(nd))
