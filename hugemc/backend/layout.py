"""The packed state: every state is one Python integer.

Each state slot gets a *code* in ``0 .. base-1``; the state is the mixed-radix
number ``sum(code[k] * mult[k])``: slots are packed mixed-radix into groups
of at most 30 bits (one CPython digit), and the groups are laid side by side,
so decoding a slot is a shift, a mask and small-integer arithmetic. A store
keeps the integer as ``words`` little-endian 64-bit words (one ``uint64`` for
most small models).

The bases come from a value-range analysis (:func:`value_ranges`) rather
than from the declared domains: a local declared ``int`` that only ever holds
0..8 takes 4 bits, not 33. Slots that can be uninitialised (locals, cleared
dead locals) reserve code 0 for "undefined". The pc of a thread is coded by
the position of its value among the thread's step boundaries.

The analysis must over-approximate; :meth:`Layout.pack` refuses (with an
internal error) any value outside the analysed range, and generated code
checks stores against the analysed range, so an unsound range can never
silently corrupt a state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import ir
from ..ir import DONE, LOCAL, PC, Assign, Choose, Program, Var

_DIGIT = 30  # bits per group of slots
_WIDEN_AFTER = 40  # fixpoint rounds before a still-growing slot gets its declared domain


class LayoutError(AssertionError):
    """A value outside the analysed range reached the packer (an analysis bug)."""


@dataclass
class Layout:
    """How each state slot is coded into the packed integer.

    ``off[k]`` is subtracted from a value to get its code (for nullable slots
    ``off = lo - 1``, code 0 meaning undefined); ``mult[k]`` and ``base[k]``
    place the code. ``pcs[k]`` lists the pc values of a pc slot (coded by
    position). ``words`` is the number of 64-bit words of the packed form.
    """

    nstate: int
    lo: tuple[int, ...]
    hi: tuple[int, ...]
    off: tuple[int, ...]
    base: tuple[int, ...]
    mult: tuple[int, ...]
    nullable: tuple[bool, ...]
    pcs: dict
    words: int
    shift: tuple[int, ...] = ()
    mask: tuple[int, ...] = ()
    inner: tuple[int, ...] = ()
    top: tuple[bool, ...] = ()

    def codeof(self, x: int, k: int) -> int:
        """The code of slot ``k`` in packed state ``x``."""
        return ((x >> self.shift[k]) & self.mask[k]) // self.inner[k] % self.base[k]

    def code_text(self, k: int, v: str) -> str:
        """Python text computing the code of slot ``k`` from the packed state named ``v``."""
        if self.base[k] == 1:
            return "0"
        t = f"({v} >> {self.shift[k]})" if self.shift[k] else v
        t = f"({t} & {self.mask[k]})"
        if self.inner[k] > 1:
            t = f"({t} // {self.inner[k]})"
        if not self.top[k]:
            t = f"({t} % {self.base[k]})"
        return t

    def code(self, k: int, v) -> int:
        """The code of value ``v`` (None = undefined) in slot ``k``."""
        if k in self.pcs:
            try:
                return self.pcs[k].index(v)
            except ValueError:
                raise LayoutError(f"pc value {v} of slot {k} is not a step boundary") from None
        if v is None:
            if not self.nullable[k]:
                raise LayoutError(f"slot {k} cannot be undefined")
            return 0
        if not self.lo[k] <= v <= self.hi[k]:
            raise LayoutError(f"value {v} of slot {k} outside its analysed range {self.lo[k]}..{self.hi[k]}")
        return v - self.off[k]

    def value(self, k: int, c: int):
        """The value of code ``c`` in slot ``k``."""
        if k in self.pcs:
            return self.pcs[k][c]
        if c == 0 and self.nullable[k]:
            return None
        return c + self.off[k]

    def pack(self, state) -> int:
        """The packed integer of a state tuple."""
        x = 0
        for k in range(self.nstate):
            x += self.code(k, state[k]) * self.mult[k]
        return x

    def unpack(self, x: int) -> tuple:
        """The state tuple of a packed integer."""
        return tuple(self.value(k, self.codeof(x, k)) for k in range(self.nstate))

    def get(self, x: int, k: int):
        """The value of slot ``k`` in packed state ``x``."""
        return self.value(k, self.codeof(x, k))

    @property
    def bits(self) -> int:
        """Bits of information in a state (sum of log2 of the bases)."""
        return int(sum(math.log2(b) for b in self.base if b > 1) + 0.999)


def make_layout(program: Program, initial: list[tuple], boundaries: dict[int, list[int]]) -> Layout:
    """The layout of ``program``'s states; ``boundaries[tid]`` are each thread's step boundary pcs."""
    ranges = value_ranges(program, initial)
    n = program.nstate
    lo, hi, off, base, nullable = [], [], [], [], []
    pcs: dict[int, tuple[int, ...]] = {}
    for k in range(n):
        slot = program.slots[k]
        if slot.kind == PC:
            vals = tuple(sorted(set(boundaries[slot.thread]) | {DONE} | {s[k] for s in initial}))
            pcs[k] = vals
            lo.append(min(vals)); hi.append(max(vals)); off.append(0); base.append(len(vals))
            nullable.append(False)
            continue
        null = slot.kind == LOCAL or any(s[k] is None for s in initial)
        r = ranges.get(k)
        a, b = r if r is not None else (0, -1)  # never defined: only code 0
        lo.append(a); hi.append(b)
        nullable.append(null)
        off.append(a - 1 if null else a)
        base.append(max(b - a + 1, 0) + (1 if null else 0) or 1)
    # Slots are grouped into 30-bit "digits" (CPython's digit size): inside a
    # group the codes are mixed-radix, groups sit at multiples of 30 bits. So a
    # code is read with a shift, a mask, a small division and a small modulo,
    # never a long division, however wide the state.
    mult, shift, mask, inner, top = [0] * n, [0] * n, [0] * n, [0] * n, [False] * n
    groups: list[list[int]] = []
    cap = 1 << _DIGIT
    m = cap + 1
    for k in range(n):
        if m * base[k] > cap and groups:
            groups[-1].append(-m)  # product of the closed group
        if not groups or m * base[k] > cap:
            groups.append([])
            m = 1
        groups[-1].append(k)
        inner[k] = m
        m *= base[k]
    if groups:
        groups[-1].append(-m)
    s = 0
    for g in groups:
        prod = -g[-1]
        width = max(_DIGIT, -(-(prod - 1).bit_length() // _DIGIT) * _DIGIT)
        for k in g[:-1]:
            shift[k] = s
            mask[k] = (1 << width) - 1
            mult[k] = inner[k] << s
        top[g[-2]] = True
        s += width
    words = max(1, (s + 63) // 64)
    return Layout(n, tuple(lo), tuple(hi), tuple(off), tuple(base), tuple(mult), tuple(nullable), pcs, words,
                  tuple(shift), tuple(mask), tuple(inner), tuple(top))


# ---------------------------------------------------------------------------
# value ranges
# ---------------------------------------------------------------------------

def value_ranges(program: Program, initial: list[tuple]) -> dict[int, tuple[int, int]]:
    """For every slot, an interval containing every defined value it can hold.

    Flow-insensitive fixpoint over all stores of all threads, seeded with the
    initial states; slots still growing after a number of rounds get their
    declared domain. A slot never given a defined value has no entry.
    """
    slots = program.slots
    tables = program.tables
    r: dict[int, tuple[int, int]] = {}
    for st in initial:
        for k, v in enumerate(st):
            if v is not None and slots[k].kind != PC:
                a, b = r.get(k, (v, v))
                r[k] = (min(a, v), max(b, v))
    stores = []
    for t in program.threads:
        for node in t.nodes:
            if isinstance(node, (Assign, Choose)):
                stores.append(node)

    def dom(s):
        if slots[s].kind == PC:
            return -1, 1 << 20
        return r.get(s, (0, 0))

    rounds = 0
    widened: set[int] = set()
    while True:
        rounds += 1
        changed: set[int] = set()
        for node in stores:
            if isinstance(node, Assign):
                v = ir.expr_range(node.value, dom, tables)
            else:
                v = (ir.expr_range(node.lo, dom, tables)[0], ir.expr_range(node.hi, dom, tables)[1])
            d = node.dst
            targets = [d.slot] if isinstance(d, Var) else [x + d.offset for x in tables[d.table].slots if x >= 0]
            for k in targets:
                decl = (slots[k].lo, slots[k].hi)
                lo_, hi_ = max(v[0], decl[0]), min(v[1], decl[1])
                if lo_ > hi_:
                    continue  # every value faults the domain check
                if k in widened:
                    continue
                old = r.get(k)
                new = (lo_, hi_) if old is None else (min(old[0], lo_), max(old[1], hi_))
                if new != old:
                    r[k] = new
                    changed.add(k)
        if not changed:
            return r
        if rounds >= _WIDEN_AFTER:
            for k in changed:
                r[k] = (slots[k].lo, slots[k].hi)
                widened.add(k)
