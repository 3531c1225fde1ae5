"""An independent brute-force interleaving enumerator for differential tests.

Nothing here imports hugemc: programs are given in a small structured
statement language of this module (the structure the tests also render to C),
lowered to a flat control-flow graph of *our own* instructions, and explored
by plain breadth-first search under the step rule documented for hugemc:

* a step runs from a boundary up to (not including) the thread's next shared
  access and contains exactly one shared unit: a plain load of a global, a
  plain store of a global, or one atomic operation (``atomic_*``, a lock
  operation, an ``ATOMIC { }`` block); purely local instructions (local
  assignments, branches on locals, nondeterministic choice, ``assume`` /
  ``assert`` on locals, calls' parameter passing) run inside the step that
  reaches them, and a thread that returns does so inside its last step;
* a loop whose path touches only locals (or ghost state) runs inside the
  step that reaches it; one that never ends (the path comes back to a
  configuration it has already been in) is an ``assertion`` error;
* an expression reading several globals is one load step per read, left to
  right; ``&&``, ``||`` and ``?:`` evaluate their operands lazily; a plain
  store ``X = E`` keeps the loaded values until the store computes ``E``,
  while a builtin's value argument (``WRITE_ONCE(X, E)``, ``atomic_add(E, &X)``)
  is computed into one temporary at its last load, before the builtin's step;
  a store loads its value's globals first, then its target's address operands
  (an index or a global pointer); ``X op= E`` and ``X++`` evaluate the target's
  address once, before loading it; an atomic builtin evaluates its target's
  address inside its own step;
* a helper's parameter bound to a constant or a local names that argument (no
  copy is made, so the argument stays live exactly as long as the parameter);
* a state is (global values, each thread's position, the values of the
  locals *live* at that position); dead locals are forgotten at step ends;
* errors (failed ``assert``/``BUG_ON``, a store outside a domain, unlocking a
  lock the thread does not hold, a ``WARN_ON`` when warnings are fatal, a NULL
  dereference or arithmetic (``null_deref``), an index or pointer outside its
  object (``out_of_bounds``: a scalar is an object of size 1, a pointer may
  point one past the end but not be dereferenced there)) end
  the step without a successor; a state in which no thread has a successor or
  an error and some thread has not returned is a deadlock;
* a non-fatal ``WARN_ON`` is reported when a path of a step fires it and ends
  in a successor or an error (a path that is then cut by ``assume`` is not an
  execution);
* an ``init`` routine runs atomically before the threads; each of its
  outcomes is an initial state.

Expressions are tuples::

    ("c", k)              integer constant
    ("g", name)           a global (shared)
    ("l", name)           a local of the thread
    (op, a, b)            op in + - == != < <= > >= && || (C semantics, 0/1 results)
    ("!", a), ("neg", a)
    ("?", c, a, b)        c ? a : b
    ("idx", A, n, I)      A[I] of a global array of size n
    ("deref", P)          *P
    ("null",), ("addr", X), ("addri", A, n, I), ("padd", P, k)
                          NULL, &X, &A[I], P + k  (pointer values: 0 for NULL,
                          else ("p", object, offset, size, scalar))

An lvalue (the target of a store) is a scalar global's name, an "idx" or a
"deref" expression.

``&&``, ``||`` and ``?:`` are only generated at the top of a value (a
condition, a stored value), never under arithmetic: C leaves the order of
the operands of ``+`` unspecified, and only there would it be visible.

Statements (what the C renderer and the lowering both read)::

    ("assign", X, E, style)      X = E; | WRITE_ONCE(X, E); | atomic_set(&X, E); | smp_store_release(&X, E);
                                 (X: an lvalue, or a global pointer with a pointer value E)
    ("pdecl", p, P) / ("pset", p, P)
                                 int *p = P; / p = P;
    ("incr", X, E, style)        X++ / X-- / ++X / --X / X += E / X -= E   (E: constant, local or one global)
    ("rmw", fn, X, args, dst)    an atomic_* builtin; dst: local receiving its result, or None
    ("lock", L) / ("unlock", L)  spin_lock(&L) / spin_unlock(&L)
    ("trylock", L, body)         if (spin_trylock(&L)) { body spin_unlock(&L); }
    ("atomic", decls, body)      int decls...; ATOMIC { body }   (body: atomic statements)
    ("ghost", body)              GHOST { body }  (atomic statements writing only ghost state: local code)
    ("decl", v, E, style, rng)   int v [__range(lo, hi)] = E; | = READ_ONCE(X); | atomic_read(&X) | smp_load_acquire(&X)
    ("nondet", v, lo, hi, excl, then, else)
                                 int v = nondet_int(lo, hi); [assume(v != excl);] if (v) {then} else {else}
    ("if", C, then, else)        if (C) { then } else { else }
    ("assert", C) / ("bug_on", C) / ("assume", C)
    ("warn", C, wid)             WARN_ON(C);  (wid identifies the statement)
    ("print", args)              pr_info("...", args);
    ("spin", X, k)               while (X != k) ;
    ("while", C, body)           while (C) { body }
    ("do", body, C)              do { body } while (C);
    ("for", v, n, body)          for (int v = 0; v < n; v++) { body }
    ("break",) / ("continue",)   inside loops
    ("switch", E, cases, default)
                                 switch (E) { case k: body [break;] ... default: body [break;] }
                                 cases: [(k, body, brk)], default: (body, brk) or None
    ("call", h, args, dst)       [int dst =] h(args);   (h: a Helper, inlined; a parameter
                                 bound to a constant or a local names it, as hugemc does)
    ("return", E)                return [E];   (E None in void functions)

Atomic statements (inside ATOMIC bodies; may read and write globals freely)::

    ("store", X, E), ("set", v, E), ("aif", C, then, else), ("aassume", C), ("acheck", C, kind)

Globals whose name starts with ``ghost_`` are ghost state: reading or writing
them is never a shared access (it is local computation of the step around it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

DONE = -1
INT_DOMAIN = (-128, 127)   # int (and spinlock_t) without __range
ASSERTION = "assertion"
DOMAIN = "domain_overflow"
UNLOCK = "unlock_unheld"
DEADLOCK = "deadlock"
WARNING = "warning"
OOB = "out_of_bounds"
NULLDEREF = "null_deref"


def is_ghost(name: str) -> bool:
    return name.startswith("ghost_")


# ---------------------------------------------------------------------------
# expressions
# ---------------------------------------------------------------------------

class Fault(Exception):
    """A runtime error while evaluating (its kind is the property name)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def elem_key(base: str, i: int, scalar: bool) -> str:
    return base if scalar else f"{base}[{i}]"


def lv_key(lv, g: dict, l: dict) -> str:
    """The global slot an lvalue designates (may raise Fault)."""
    if isinstance(lv, str):
        return lv
    if lv[0] == "idx":
        _, a, n, ie = lv
        i = ev(ie, g, l)
        if not 0 <= i < n:
            raise Fault(OOB)
        return f"{a}[{i}]"
    assert lv[0] == "deref"
    p = ev(lv[1], g, l)
    if p == 0:
        raise Fault(NULLDEREF)
    _, base, i, n, scalar = p
    if i == n:
        raise Fault(OOB)
    return elem_key(base, i, scalar)


def lv_expr(lv):
    """An lvalue as the expression that reads it."""
    return ("g", lv) if isinstance(lv, str) else lv


def ev(e, g: dict, l: dict):
    """Value of ``e``: an int, or a pointer (0 for NULL, else ("p", base, offset, size, scalar))."""
    tag = e[0]
    if tag == "c":
        return e[1]
    if tag == "g":
        return g[e[1]]
    if tag in ("idx", "deref"):
        return g[lv_key(e, g, l)]
    if tag == "null":
        return 0
    if tag == "addr":
        return ("p", e[1], 0, 1, True)
    if tag == "addri":
        _, a, n, ie = e
        i = ev(ie, g, l)
        if not 0 <= i <= n:
            raise Fault(OOB)
        return ("p", a, i, n, False)
    if tag == "padd":
        p = ev(e[1], g, l)
        if p == 0:
            raise Fault(NULLDEREF)
        _, base, i, n, scalar = p
        if not 0 <= i + e[2] <= n:
            raise Fault(OOB)
        return ("p", base, i + e[2], n, scalar)
    if tag == "l":
        if e[1] not in l:
            raise AssertionError(f"enumerator read of unset local {e[1]} (generator bug)")
        return l[e[1]]
    if tag == "!":
        return 0 if ev(e[1], g, l) else 1
    if tag == "neg":
        return -ev(e[1], g, l)
    if tag == "?":
        return ev(e[2], g, l) if ev(e[1], g, l) else ev(e[3], g, l)
    a = ev(e[1], g, l)
    if tag == "&&":
        return 1 if a and ev(e[2], g, l) else 0
    if tag == "||":
        return 1 if a or ev(e[2], g, l) else 0
    b = ev(e[2], g, l)
    if tag == "+":
        return a + b
    if tag == "-":
        return a - b
    if tag == "==":
        return int(a == b)
    if tag == "!=":
        return int(a != b)
    if tag == "<":
        return int(a < b)
    if tag == "<=":
        return int(a <= b)
    if tag == ">":
        return int(a > b)
    if tag == ">=":
        return int(a >= b)
    raise AssertionError(tag)


def c_expr(e) -> str:
    tag = e[0]
    if tag == "c":
        return str(e[1]) if e[1] >= 0 else f"({e[1]})"
    if tag in ("g", "l"):
        return e[1]
    if tag == "idx":
        return f"{e[1]}[{c_expr(e[3])}]"
    if tag == "deref":
        return f"(*{c_expr(e[1])})"
    if tag == "null":
        return "NULL"
    if tag == "addr":
        return f"(&{e[1]})"
    if tag == "addri":
        return f"(&{e[1]}[{c_expr(e[3])}])"
    if tag == "padd":
        return f"({c_expr(e[1])} {'+' if e[2] >= 0 else '-'} {abs(e[2])})"
    if tag == "!":
        return f"!({c_expr(e[1])})"
    if tag == "neg":
        return f"-({c_expr(e[1])})"
    if tag == "?":
        return f"({c_expr(e[1])} ? {c_expr(e[2])} : {c_expr(e[3])})"
    return f"({c_expr(e[1])} {tag} {c_expr(e[2])})"


def children(e) -> list:
    """The sub-expressions of ``e``."""
    tag = e[0]
    if tag in ("c", "g", "l", "null", "addr"):
        return []
    if tag in ("idx", "addri"):
        return [e[3]]
    if tag in ("deref", "padd"):
        return [e[1]]
    return list(e[1:])


def globals_in(e, shared_only: bool = True) -> list[str]:
    """Shared reads of ``e`` in left-to-right order, repeats included (ghosts left out)."""
    tag = e[0]
    if tag == "g":
        return [] if shared_only and is_ghost(e[1]) else [e[1]]
    out = []
    for sub in children(e):
        out += globals_in(sub, shared_only)
    if tag in ("idx", "deref"):
        out.append("*")   # the element itself (all tables hold shared slots)
    return out


def locals_in(e) -> set[str]:
    if isinstance(e, str):   # a scalar global lvalue
        return set()
    if e[0] == "l":
        return {e[1]}
    out: set[str] = set()
    for sub in children(e):
        out |= locals_in(sub)
    return out


def rename(x, m: dict):
    """Replace every string of ``m`` anywhere in a statement/expression tree."""
    if isinstance(x, str):
        return m.get(x, x)
    if isinstance(x, tuple):
        return tuple(rename(y, m) for y in x)
    if isinstance(x, list):
        return [rename(y, m) for y in x]
    return x


def residual_shared(e) -> bool:
    """Whether ``e`` still reads shared globals once its lazy operators whose lazy
    side reads shared globals have been evaluated into temporaries."""
    tag = e[0]
    if tag == "g":
        return not is_ghost(e[1])
    if tag in ("idx", "deref"):
        return True
    if tag in ("&&", "||", "?"):
        if any(globals_in(x) for x in e[2:]):
            return False
        return residual_shared(e[1])
    return any(residual_shared(x) for x in children(e))


def subst_locals(x, m: dict):
    """Replace the expressions ("l", name) with m[name] anywhere in a tree."""
    if not m:
        return x
    if isinstance(x, tuple):
        if len(x) == 2 and x[0] == "l" and x[1] in m:
            return m[x[1]]
        return tuple(subst_locals(y, m) for y in x)
    if isinstance(x, list):
        return [subst_locals(y, m) for y in x]
    return x


# ---------------------------------------------------------------------------
# helpers (inlined functions) and programs
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Helper:
    """``[int|void] name(int params...) { body [return ret;] }``; ``locals``: every local name it declares.

    ``ret`` is the value returned at the end of an ``int`` helper (None: void);
    the body may also ``return`` early.
    """

    name: str
    params: tuple
    body: tuple
    ret: tuple | None
    locals: tuple


RMW_FNS = {
    # name: (C argument order, returns a value)
    "atomic_inc": ("p", False), "atomic_dec": ("p", False),
    "atomic_add": ("ap", False), "atomic_sub": ("ap", False),
    "atomic_inc_return": ("p", True), "atomic_dec_return": ("p", True),
    "atomic_add_return": ("ap", True), "atomic_sub_return": ("ap", True),
    "atomic_fetch_add": ("ap", True), "atomic_fetch_sub": ("ap", True),
    "atomic_dec_and_test": ("p", True), "atomic_inc_and_test": ("p", True),
    "atomic_sub_and_test": ("ap", True),
    "atomic_add_unless": ("pab", True), "atomic_inc_not_zero": ("p", True),
    "atomic_cmpxchg": ("pab", True), "atomic_xchg": ("pa", True),
}


def rmw_body(fn: str, x, args: list, res: str) -> list:
    """The atomic statements of an atomic_* builtin on lvalue ``x`` (its address is
    evaluated inside the builtin's step); the result goes to local ``res``."""
    gx = lv_expr(x)
    one = ("c", 1)
    a = args[0] if args else None
    if fn in ("atomic_inc", "atomic_dec", "atomic_inc_return", "atomic_dec_return",
              "atomic_dec_and_test", "atomic_inc_and_test"):
        new = ("+" if "inc" in fn else "-", gx, one)
    elif fn in ("atomic_add", "atomic_sub", "atomic_add_return", "atomic_sub_return",
                "atomic_fetch_add", "atomic_fetch_sub", "atomic_sub_and_test"):
        new = ("+" if "add" in fn else "-", gx, a)
    else:
        new = None
    if fn in ("atomic_inc", "atomic_dec", "atomic_add", "atomic_sub"):
        return [("store", x, new)]
    if fn.endswith("_return"):
        return [("store", x, new), ("set", res, gx)]
    if fn.startswith("atomic_fetch_"):
        return [("set", res, gx), ("store", x, (new[0], ("l", res), a))]
    if fn.endswith("_and_test"):
        return [("store", x, new), ("set", res, ("==", gx, ("c", 0)))]
    if fn in ("atomic_add_unless", "atomic_inc_not_zero"):
        amount, unless = (args[0], args[1]) if fn == "atomic_add_unless" else (one, ("c", 0))
        return [("set", res, ("!=", gx, unless)),
                ("aif", ("l", res), [("store", x, ("+", gx, amount))], [])]
    if fn == "atomic_cmpxchg":
        return [("set", res, gx), ("aif", ("==", ("l", res), args[0]), [("store", x, args[1])], [])]
    if fn == "atomic_xchg":
        return [("set", res, gx), ("store", x, args[0])]
    raise AssertionError(fn)


@dataclass
class Spec:
    """A generated program.

    ``globals``: (name, lo, hi, init); ``locks``: names (``lock_hi``: optional
    ``__range(0, hi)`` per lock); ``helpers``: Helper list (each may call
    earlier ones); ``funcs``: thread function bodies; ``entries``: the
    [threads] table as (function index, count); ``props``: (kind, name, expr),
    kind invariant | final | reachable; ``init``: None or a list of
    ("iset", X, k) / ("inondet", X, lo, hi) run by the scenario's init routine.
    """

    globals: list
    locks: list
    funcs: list
    props: list
    entries: list | None = None
    helpers: list = field(default_factory=list)
    lock_hi: dict = field(default_factory=dict)
    init: list | None = None
    fatal_warnings: bool = False
    arrays: list = field(default_factory=list)   # (name, n, lo, hi, initial values)
    gptrs: list = field(default_factory=list)    # (name, initial pointer expression or None)

    def __post_init__(self) -> None:
        if self.entries is None:
            self.entries = [(i, 1) for i in range(len(self.funcs))]

    @property
    def threads(self) -> list:
        """Function index of each thread, in thread-number order."""
        return [f for f, n in self.entries for _ in range(n)]

    def c_text(self) -> str:
        lines = []
        for name, lo, hi, init in self.globals:
            lines.append(f"int {name} __range({lo}, {hi})" + (f" = {init};" if init else ";"))
        for name, n, lo, hi, inits in self.arrays:
            init = f" = {{{', '.join(str(v) for v in inits)}}}" if any(inits) else ""
            lines.append(f"int {name}[{n}] __range({lo}, {hi}){init};")
        for lk in self.locks:
            rng = f" __range(0, {self.lock_hi[lk]})" if lk in self.lock_hi else ""
            lines.append(f"spinlock_t {lk}{rng};")
        for name, init in self.gptrs:
            lines.append(f"int *{name}" + (f" = {c_expr(init)};" if init is not None else ";"))
        for h in self.helpers:
            ps = ", ".join(f"int {p}" for p in h.params) or "void"
            lines.append(f"{'int' if h.ret is not None else 'void'} {h.name}({ps}) {{")
            lines += c_stmts(h.body, "  ")
            if h.ret is not None:
                lines.append(f"  return {c_expr(h.ret)};")
            lines.append("}")
        for k, body in enumerate(self.funcs):
            lines.append(f"void f{k}(void) {{")
            lines += c_stmts(body, "  ")
            lines.append("}")
        if self.init is not None:
            lines.append("void setup(void) {")
            for s in self.init:
                if s[0] == "iset":
                    lines.append(f"  {s[1]} = {c_expr(('c', s[2]))};")
                else:
                    lines.append(f"  {s[1]} = nondet_int({s[2]}, {s[3]});")
            lines.append("}")
        macro = {"invariant": "INVARIANT", "final": "FINAL", "reachable": "REACHABLE"}
        for kind, name, e in self.props:
            lines.append(f"{macro[kind]}({name}) {{ return {c_expr(e)}; }}")
        return "\n".join(lines) + "\n"

    def toml_text(self) -> str:
        lines = ['models = ["m.c"]', 'property_files = ["m.c"]', 'expect = "holds"']
        if self.init is not None:
            lines.append('init = "setup()"')
        if self.fatal_warnings:
            lines.append("fatal_warnings = true")
        lines.append("[threads]")
        for k, (f, n) in enumerate(self.entries):
            lines.append(f't{k} = "f{f}()"' if n == 1 else f't{k} = {{ call = "f{f}()", count = {n} }}')
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# rendering to C
# ---------------------------------------------------------------------------

def c_stmts(stmts, ind: str) -> list[str]:
    out: list[str] = []
    for s in stmts:
        out += c_stmt(s, ind)
    return out


def _c_block(stmts, ind, extra=()) -> list[str]:
    return ["{"] + c_stmts(stmts, ind + "  ") + [ind + "  " + x for x in extra] + [ind + "}"]


def _c_if(cond: str, th, el, ind, extra=()) -> list[str]:
    blk = _c_block(th, ind, extra)
    lines = [f"{ind}if ({cond}) " + blk[0]] + blk[1:]
    if el:
        eb = _c_block(el, ind)
        lines[-1] += " else " + eb[0]
        lines += eb[1:]
    return lines


def c_lv(lv) -> str:
    return lv if isinstance(lv, str) else c_expr(lv)


def c_addr(lv) -> str:
    """The address of an lvalue, as a builtin's pointer argument."""
    if isinstance(lv, str):
        return f"&{lv}"
    if lv[0] == "deref":
        return c_expr(lv[1])
    return f"&{c_expr(lv)}"


def c_stmt(s, ind: str) -> list[str]:
    k = s[0]
    if k == "assign":
        _, lv, e, style = s
        x = c_lv(lv)
        if style is None:
            return [f"{ind}{x} = {c_expr(e)};"]
        if style == "WRITE_ONCE":
            return [f"{ind}WRITE_ONCE({x}, {c_expr(e)});"]
        return [f"{ind}{style}({c_addr(lv)}, {c_expr(e)});"]
    if k == "pdecl":
        return [f"{ind}int *{s[1]} = {c_expr(s[2])};"]
    if k == "pset":
        return [f"{ind}{s[1]} = {c_expr(s[2])};"]
    if k == "incr":
        _, lv, e, style = s
        x = c_lv(lv)
        if style in ("++", "--"):
            return [f"{ind}{x}{style};"]
        if style in ("pre++", "pre--"):
            return [f"{ind}{style[3:]}{x};"]
        return [f"{ind}{x} {style} {c_expr(e)};"]
    if k == "rmw":
        _, fn, x, args, dst = s
        it = iter(args)
        parts = [c_addr(x) if ch == "p" else c_expr(next(it)) for ch in RMW_FNS[fn][0]]
        call = f"{fn}({', '.join(parts)})"
        return [f"{ind}int {dst} = {call};" if dst else f"{ind}{call};"]
    if k == "lock":
        return [f"{ind}spin_lock(&{s[1]});"]
    if k == "unlock":
        return [f"{ind}spin_unlock(&{s[1]});"]
    if k == "trylock":
        return _c_if(f"spin_trylock(&{s[1]})", s[2], [], ind, extra=[f"spin_unlock(&{s[1]});"])
    if k == "atomic":
        _, decls, body = s
        lines = [f"{ind}int {v};" for v in decls]
        blk = _c_ablock(body, ind)
        lines.append(f"{ind}ATOMIC " + blk[0])
        return lines + blk[1:]
    if k == "ghost":
        blk = _c_ablock(s[1], ind)
        return [f"{ind}GHOST " + blk[0]] + blk[1:]
    if k == "decl":
        _, v, e, style, rng = s
        d = f"int {v}" + (f" __range({rng[0]}, {rng[1]})" if rng else "")
        if style is None:
            return [f"{ind}{d} = {c_expr(e)};"]
        if style == "READ_ONCE":
            return [f"{ind}{d} = READ_ONCE({e[1]});"]
        return [f"{ind}{d} = {style}(&{e[1]});"]
    if k == "nondet":
        _, v, lo, hi, excl, th, el = s
        call = "nondet_bool()" if (lo, hi) == (0, 1) else f"nondet_int({lo}, {hi})"
        lines = [f"{ind}int {v} = {call};"]
        if excl is not None:
            lines.append(f"{ind}assume({v} != {excl});")
        return lines + _c_if(v, th, el, ind)
    if k == "if":
        return _c_if(c_expr(s[1]), s[2], s[3], ind)
    if k == "assert":
        return [f"{ind}assert({c_expr(s[1])});"]
    if k == "bug_on":
        return [f"{ind}BUG_ON({c_expr(s[1])});"]
    if k == "assume":
        return [f"{ind}assume({c_expr(s[1])});"]
    if k == "warn":
        return [f"{ind}WARN_ON({c_expr(s[1])});"]
    if k == "print":
        fmt = " ".join(["x=%d"] * len(s[1]))
        return [f'{ind}pr_info("{fmt}\\n"{"".join(", " + c_expr(a) for a in s[1])});']
    if k == "spin":
        return [f"{ind}while ({s[1]} != {s[2]}) ;"]
    if k == "while":
        blk = _c_block(s[2], ind)
        return [f"{ind}while ({c_expr(s[1])}) " + blk[0]] + blk[1:]
    if k == "do":
        blk = _c_block(s[1], ind)
        return [f"{ind}do " + blk[0]] + blk[1:-1] + [f"{blk[-1]} while ({c_expr(s[2])});"]
    if k == "for":
        _, v, n, body = s
        blk = _c_block(body, ind)
        return [f"{ind}for (int {v} = 0; {v} < {n}; {v}++) " + blk[0]] + blk[1:]
    if k == "break":
        return [f"{ind}break;"]
    if k == "continue":
        return [f"{ind}continue;"]
    if k == "switch":
        _, e, cases, default = s
        lines = [f"{ind}switch ({c_expr(e)}) {{"]
        for val, body, brk in cases:
            lines.append(f"{ind}case {val}:")
            lines += c_stmts(body, ind + "  ") + ([f"{ind}  break;"] if brk else [])
        if default is not None:
            lines.append(f"{ind}default:")
            lines += c_stmts(default[0], ind + "  ") + ([f"{ind}  break;"] if default[1] else [])
        return lines + [f"{ind}}}"]
    if k == "call":
        _, h, args, dst = s
        call = f"{h.name}({', '.join(c_expr(a) for a in args)})"
        return [f"{ind}int {dst} = {call};" if dst else f"{ind}{call};"]
    if k == "return":
        return [f"{ind}return;" if s[1] is None else f"{ind}return {c_expr(s[1])};"]
    raise AssertionError(k)


def _c_ablock(stmts, ind) -> list[str]:
    out = ["{"]
    for s in stmts:
        out += _c_astmt(s, ind + "  ")
    return out + [ind + "}"]


def _c_astmt(s, ind) -> list[str]:
    k = s[0]
    if k in ("store", "set"):
        return [f"{ind}{c_lv(s[1])} = {c_expr(s[2])};"]
    if k == "aassume":
        return [f"{ind}assume({c_expr(s[1])});"]
    if k == "acheck":
        assert s[2] == ASSERTION
        return [f"{ind}assert({c_expr(s[1])});"]
    if k == "aif":
        blk = _c_ablock(s[2], ind)
        lines = [f"{ind}if ({c_expr(s[1])}) " + blk[0]] + blk[1:]
        if s[3]:
            eb = _c_ablock(s[3], ind)
            lines[-1] += " else " + eb[0]
            lines += eb[1:]
        return lines
    raise AssertionError(k)


# ---------------------------------------------------------------------------
# atomic bodies: executed in one go
# ---------------------------------------------------------------------------

def exec_atomic(stmts, g: dict, l: dict, dom: dict):
    """Run an atomic body: ('ok', g, l), ('err', kind) or None (blocked)."""
    try:
        return _exec_atomic(stmts, g, l, dom)
    except Fault as f:
        return ("err", f.kind)


def check_store(dom: dict, key: str, v) -> None:
    d = dom[key]
    if d is not None and not d[0] <= v <= d[1]:
        raise Fault(DOMAIN)


def _exec_atomic(stmts, g: dict, l: dict, dom: dict):
    for s in stmts:
        k = s[0]
        if k == "store":
            v = ev(s[2], g, l)
            key = lv_key(s[1], g, l)
            check_store(dom, key, v)
            g = {**g, key: v}
        elif k == "set":
            l = {**l, s[1]: ev(s[2], g, l)}
        elif k == "aassume":
            if not ev(s[1], g, l):
                return None
        elif k == "acheck":
            if not ev(s[1], g, l):
                return ("err", s[2])
        elif k == "aif":
            r = _exec_atomic(s[2] if ev(s[1], g, l) else s[3], g, l, dom)
            if r is None or r[0] == "err":
                return r
            _, g, l = r
        else:
            raise AssertionError(k)
    return ("ok", g, l)


def live_atomic(stmts, after: frozenset) -> frozenset:
    """Locals live before an atomic body, given those live after it."""
    live = set(after)
    for s in reversed(stmts):
        k = s[0]
        if k == "store":
            live |= locals_in(s[2]) | locals_in(s[1])
        elif k == "set":
            live = (live - {s[1]}) | locals_in(s[2])
        elif k in ("aassume", "acheck"):
            live |= locals_in(s[1])
        elif k == "aif":
            live = set(live_atomic(s[2], frozenset(live)) | live_atomic(s[3], frozenset(live))
                       | locals_in(s[1]))
    return frozenset(live)


# ---------------------------------------------------------------------------
# our own flat instructions
# ---------------------------------------------------------------------------

@dataclass
class Ins:
    """kind: 'shared', 'local' or 'exit'; ``succ``: successor pcs (branch: [then, else])."""

    kind: str
    op: tuple
    succ: list = field(default_factory=list)


class Lowering:
    """Structured statements of one thread -> flat list of Ins."""

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self.code: list[Ins] = []
        self.ntemp = 0
        self.ninline = 0
        self.loops: list = []     # (break jumps, continue jumps)
        self.rets: list = []      # (result temp or None, return jumps)

    def temp(self) -> str:
        self.ntemp += 1
        return f"$t{self.ntemp}"

    def emit(self, kind: str, op: tuple) -> int:
        """Append an instruction falling through to the next one."""
        self.code.append(Ins(kind, op, [len(self.code) + 1]))
        return len(self.code) - 1

    def jump(self) -> int:
        return self.emit("local", ("nop",))

    def here(self) -> int:
        return len(self.code)

    def patch(self, jumps, target: int) -> None:
        for j in jumps:
            self.code[j].succ = [target]

    def load(self, lv):
        """A read of an lvalue (address operands already over locals) as an expression
        over locals; ghost reads stay inline (they are not shared accesses)."""
        if isinstance(lv, str) and is_ghost(lv):
            return ("g", lv)
        t = self.temp()
        self.emit("shared", ("load", t, lv))
        return ("l", t)

    def store(self, lv, v) -> None:
        self.emit("local" if isinstance(lv, str) and is_ghost(lv) else "shared", ("store", lv, v))

    def lvalue(self, lv):
        """Emit the loads of an lvalue's address operands (index, pointer)."""
        if isinstance(lv, str):
            return lv
        if lv[0] == "idx":
            return ("idx", lv[1], lv[2], self.value(lv[3]))
        return ("deref", self.value(lv[1]))

    def value(self, e):
        """Emit the loads (and lazy branches) of ``e``; return an expression over locals."""
        tag = e[0]
        if tag in ("c", "l"):
            return e
        if tag == "g":
            return self.load(e[1])
        if tag in ("idx", "deref"):
            return self.load(self.lvalue(e))
        if tag in ("null", "addr"):
            return e
        if tag == "addri":
            return ("addri", e[1], e[2], self.value(e[3]))
        if tag == "padd":
            return ("padd", self.value(e[1]), e[2])
        if tag in ("&&", "||", "?"):
            rest = e[2:]
            if not any(globals_in(x) for x in rest):
                return (tag, self.value(e[1])) + tuple(rest)
            c = self.value(e[1])
            t = self.temp()
            br = self.emit("local", ("branch", c))
            if tag == "?":
                then_v, else_v = e[2], e[3]
            elif tag == "&&":
                then_v, else_v = ("!=", e[2], ("c", 0)), ("c", 0)
            else:
                then_v, else_v = ("c", 1), ("!=", e[2], ("c", 0))
            self.emit("local", ("set", t, self.value(then_v)))
            j = self.jump()
            else_at = self.here()
            self.emit("local", ("set", t, self.value(else_v)))
            self.code[br].succ = [br + 1, else_at]
            self.patch([j], self.here())
            return ("l", t)
        return (tag,) + tuple(self.value(x) for x in e[1:])

    def pin(self, e, v):
        """A builtin's value argument is computed into a temporary in the step of its
        last load (C evaluates arguments before the call), unless what is left of it
        after its lazy operators have been evaluated reads no shared global: that
        residue (which may read ghost state) is then evaluated by the builtin."""
        if not residual_shared(e):
            return v
        t = self.temp()
        self.emit("local", ("set", t, v))
        return ("l", t)

    def stmts(self, ss) -> None:
        for s in ss:
            self.stmt(s)

    def branch(self, cond, th, el) -> None:
        b = self.emit("local", ("branch", cond))
        self.stmts(th)
        jump_at = self.jump() if el else None
        else_start = self.here()
        self.stmts(el)
        self.code[b].succ = [b + 1, else_start]
        if jump_at is not None:
            self.patch([jump_at], self.here())

    def atomic(self, body) -> None:
        self.emit("shared", ("atomic", body))

    def stmt(self, s) -> None:
        k = s[0]
        tid = self.tid
        if k == "assign":
            # the value's loads come first, then the target's address operands
            v = self.value(s[2])
            if s[3] is not None:
                v = self.pin(s[2], v)
            self.store(self.lvalue(s[1]), v)
        elif k in ("pdecl", "pset"):
            self.emit("local", ("set", s[1], self.value(s[2])))
        elif k == "incr":
            _, x, e, style = s
            x = self.lvalue(x)   # evaluated once, before the load
            t = self.load(x)
            if style in ("++", "pre++"):
                new = ("+", t, ("c", 1))
            elif style in ("--", "pre--"):
                new = ("-", t, ("c", 1))
            else:
                new = (style[0], t, self.value(e))
            self.store(x, new)
        elif k == "rmw":
            _, fn, x, args, dst = s
            vals = [self.pin(a, self.value(a)) for a in args]
            res = self.temp()
            self.atomic(rmw_body(fn, x, vals, res))
            if dst is not None:
                self.emit("local", ("set", dst, ("l", res)))
        elif k == "lock":
            lk = ("g", s[1])
            self.atomic([("aassume", ("==", lk, ("c", 0))), ("store", s[1], ("c", tid + 1))])
        elif k == "unlock":
            lk = ("g", s[1])
            self.atomic([("acheck", ("!=", lk, ("c", 0)), UNLOCK),
                         ("acheck", ("==", lk, ("c", tid + 1)), UNLOCK),
                         ("store", s[1], ("c", 0))])
        elif k == "trylock":
            _, lk, body = s
            t = self.temp()
            self.atomic([("set", t, ("==", ("g", lk), ("c", 0))),
                         ("aif", ("l", t), [("store", lk, ("c", tid + 1))], [])])
            self.branch(("l", t), list(body) + [("unlock", lk)], [])
        elif k == "atomic":
            self.atomic(s[2])
        elif k == "ghost":
            self.emit("local", ("atomic", s[1]))   # runs in the step it is in
        elif k == "decl":
            _, v, e, style, rng = s
            self.emit("local", ("set", v, self.value(e), rng))
        elif k == "nondet":
            _, v, lo, hi, excl, th, el = s
            self.emit("local", ("choose", v, lo, hi))
            if excl is not None:
                self.emit("local", ("assume", ("!=", ("l", v), ("c", excl))))
            self.branch(("l", v), th, el)
        elif k == "if":
            self.branch(self.value(s[1]), s[2], s[3])
        elif k == "assert":
            self.emit("local", ("assert", self.value(s[1])))
        elif k == "bug_on":
            self.emit("local", ("assert", ("!", self.value(s[1]))))
        elif k == "assume":
            self.emit("local", ("assume", self.value(s[1])))
        elif k == "warn":
            self.emit("local", ("warn", self.value(s[1]), s[2]))
        elif k == "print":
            self.emit("local", ("print", tuple(self.value(a) for a in s[1])))
        elif k == "spin":
            self.while_loop(("!=", ("g", s[1]), ("c", s[2])), [])
        elif k == "while":
            self.while_loop(s[1], s[2])
        elif k == "do":
            _, body, cond = s
            top = self.here()
            self.loops.append(([], []))
            self.stmts(body)
            brk, cont = self.loops.pop()
            self.patch(cont, self.here())
            b = self.emit("local", ("branch", self.value(cond)))
            self.code[b].succ = [top, b + 1]
            self.patch(brk, self.here())
        elif k == "for":
            _, v, n, body = s
            self.emit("local", ("set", v, ("c", 0)))
            top = self.here()
            b = self.emit("local", ("branch", ("<", ("l", v), ("c", n))))
            self.loops.append(([], []))
            self.stmts(body)
            brk, cont = self.loops.pop()
            self.patch(cont, self.here())
            inc = self.emit("local", ("set", v, ("+", ("l", v), ("c", 1))))
            self.code[inc].succ = [top]
            self.code[b].succ = [b + 1, self.here()]
            self.patch(brk, self.here())
        elif k == "break":
            self.loops[-1][0].append(self.jump())
        elif k == "continue":
            next(c for _, c in reversed(self.loops) if c is not None).append(self.jump())
        elif k == "switch":
            _, e, cases, default = s
            v = self.value(e)
            entries = []
            for val, _, _ in cases:
                b = self.emit("local", ("branch", ("==", v, ("c", val))))
                entries.append(b)
                self.code[b].succ = [None, b + 1]
            fallout = self.jump()
            self.loops.append(([], None))
            bodies = list(cases) + ([(None,) + tuple(default)] if default is not None else [])
            for i, (_, body, brk) in enumerate(bodies):
                if i < len(cases):
                    self.code[entries[i]].succ[0] = self.here()
                else:
                    self.patch([fallout], self.here())
                    fallout = None
                self.stmts(body)
                if brk:
                    self.loops[-1][0].append(self.jump())
            brk, _ = self.loops.pop()
            self.patch(brk + ([fallout] if fallout is not None else []), self.here())
        elif k == "call":
            _, h, args, dst = s
            vals = [self.value(a) for a in args]
            self.ninline += 1
            m = {name: f"{name}#{self.ninline}" for name in h.locals}
            consts = {}
            for p, v in zip(h.params, vals):
                # a parameter the callee never assigns (ours never do) names its
                # argument when that is a constant or a local: no copy, so the
                # argument stays live exactly as long as the parameter is used
                if v[0] == "l":
                    m[p] = v[1]
                elif v[0] == "c":
                    consts[m[p]] = v
                else:
                    self.emit("local", ("set", m[p], v))
            body = subst_locals(rename(list(h.body), m), consts)
            ret = subst_locals(rename(h.ret, m), consts) if h.ret is not None else None
            res = self.temp() if h.ret is not None else None
            self.rets.append((res, []))
            saved_loops, self.loops = self.loops, []
            self.stmts(body)
            if ret is not None:
                # the result is stored even when the caller drops it: the
                # locals it reads are live until the return
                self.emit("local", ("set", res, self.value(ret)))
            self.loops = saved_loops
            _, jumps = self.rets.pop()
            self.patch(jumps, self.here())
            if dst is not None:
                self.emit("local", ("set", dst, ("l", res)))
        elif k == "return":
            res, jumps = self.rets[-1]
            if s[1] is not None:
                self.emit("local", ("set", res, self.value(s[1])))
            jumps.append(self.jump())
        else:
            raise AssertionError(k)

    def while_loop(self, cond, body) -> None:
        top = self.here()
        b = self.emit("local", ("branch", self.value(cond)))
        self.loops.append(([], []))
        self.stmts(body)
        brk, cont = self.loops.pop()
        self.patch(cont, top)
        self.patch([self.jump()], top)
        self.code[b].succ = [b + 1, self.here()]
        self.patch(brk, self.here())

    def thread(self, body) -> list[Ins]:
        self.rets.append((None, []))
        self.stmts(body)
        _, jumps = self.rets.pop()
        self.patch(jumps, self.here())
        self.code.append(Ins("exit", ("exit",), []))
        return self.code


def _uses_defs(ins: Ins):
    op = ins.op
    k = op[0]
    if k == "load":
        return locals_in(op[2]), {op[1]}
    if k == "store":
        return locals_in(op[2]) | locals_in(op[1]), set()
    if k in ("branch", "assert", "assume", "warn"):
        return locals_in(op[1]), set()
    if k == "print":
        return set().union(*[locals_in(a) for a in op[1]]), set()
    if k == "set":
        return locals_in(op[2]), {op[1]}
    if k == "choose":
        return set(), {op[1]}
    return set(), set()


def liveness(code: list[Ins]) -> list[frozenset]:
    """Locals live in front of each instruction (may-analysis to a fixpoint)."""
    n = len(code)
    live = [frozenset()] * n
    changed = True
    while changed:
        changed = False
        for i in range(n - 1, -1, -1):
            out = frozenset().union(*[live[s] for s in code[i].succ]) if code[i].succ else frozenset()
            if code[i].op[0] == "atomic":
                new = live_atomic(code[i].op[1], out)
            else:
                use, d = _uses_defs(code[i])
                new = frozenset(use | (out - d))
            if new != live[i]:
                live[i] = new
                changed = True
    return live


# ---------------------------------------------------------------------------
# exploration
# ---------------------------------------------------------------------------

@dataclass
class Outcome:
    states: int
    violations: dict       # name -> shortest trace length (steps)
    reached: dict          # name -> shortest witness length
    warnings: dict = field(default_factory=dict)  # warn id -> shortest trace length
    max_states_hit: bool = False
    warn_then_blocked: bool = False  # some step fired a WARN_ON on a path then cut by assume


class Explorer:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.gnames = [g[0] for g in spec.globals] + list(spec.locks)
        self.dom = {name: (lo, hi) for name, lo, hi, _ in spec.globals}
        for lk in spec.locks:
            self.dom[lk] = (0, spec.lock_hi[lk]) if lk in spec.lock_hi else INT_DOMAIN
        for name, n, lo, hi, _ in spec.arrays:
            for i in range(n):
                self.gnames.append(f"{name}[{i}]")
                self.dom[f"{name}[{i}]"] = (lo, hi)
        for name, _ in spec.gptrs:
            self.gnames.append(name)
            self.dom[name] = None   # a pointer: any table entry
        self.code = []
        self.live = []
        for tid, f in enumerate(spec.threads):
            code = Lowering(tid).thread(spec.funcs[f])
            self.code.append(code)
            self.live.append(liveness(code))
        self.warn_then_blocked = False

    def initial(self) -> list:
        g0 = {name: init for name, _, _, init in self.spec.globals}
        g0.update({lk: 0 for lk in self.spec.locks})
        for name, n, _, _, inits in self.spec.arrays:
            g0.update({f"{name}[{i}]": inits[i] for i in range(n)})
        for name, init in self.spec.gptrs:
            g0[name] = ev(init, {}, {}) if init is not None else 0
        starts = [g0]
        for s in self.spec.init or []:
            vals = [s[2]] if s[0] == "iset" else list(range(s[2], s[3] + 1))
            for v in vals:
                lo, hi = self.dom[s[1]]
                assert lo <= v <= hi, "init leaves a domain (generator bug)"
            starts = [{**g, s[1]: v} for g in starts for v in vals]
        threads = tuple((0, ()) for _ in self.code)
        out = []
        for g in starts:
            st = (tuple(g[n] for n in self.gnames), threads)
            if st not in out:
                out.append(st)
        return out

    def run_ins(self, ins: Ins, g: dict, l: dict):
        """All outcomes of one instruction: ('ok', g, l, next, fired) or ('err', kind)."""
        try:
            return self._run_ins(ins, g, l)
        except Fault as f:
            return [("err", f.kind)]

    def _run_ins(self, ins: Ins, g: dict, l: dict):
        op = ins.op
        k = op[0]
        nxt = ins.succ[0] if ins.succ else None
        if k == "load":
            return [("ok", g, {**l, op[1]: g[lv_key(op[2], g, l)]}, nxt, None)]
        if k == "store":
            v = ev(op[2], g, l)
            key = lv_key(op[1], g, l)
            check_store(self.dom, key, v)
            return [("ok", {**g, key: v}, l, nxt, None)]
        if k == "atomic":
            r = exec_atomic(op[1], g, l, self.dom)
            if r is None:
                return []
            if r[0] == "err":
                return [r]
            return [("ok", r[1], r[2], nxt, None)]
        if k == "set":
            v = ev(op[2], g, l)
            rng = op[3] if len(op) > 3 else None
            if rng is not None and not rng[0] <= v <= rng[1]:
                return [("err", DOMAIN)]
            return [("ok", g, {**l, op[1]: v}, nxt, None)]
        if k == "choose":
            return [("ok", g, {**l, op[1]: v}, nxt, None) for v in range(op[2], op[3] + 1)]
        if k == "branch":
            return [("ok", g, l, ins.succ[0] if ev(op[1], g, l) else ins.succ[1], None)]
        if k == "assume":
            return [("ok", g, l, nxt, None)] if ev(op[1], g, l) else []
        if k == "assert":
            return [("ok", g, l, nxt, None)] if ev(op[1], g, l) else [("err", ASSERTION)]
        if k == "warn":
            if not ev(op[1], g, l):
                return [("ok", g, l, nxt, None)]
            if self.spec.fatal_warnings:
                return [("err", WARNING)]
            return [("ok", g, l, nxt, op[2])]
        if k in ("nop", "print"):
            return [("ok", g, l, nxt, None)]
        raise AssertionError(k)

    def step(self, tid: int, pc: int, g: dict, l: dict):
        """Outcomes of thread ``tid``'s next step.

        ('ok', g, pc, live locals, fired warnings) or ('err', kind, fired warnings).
        """
        code = self.code[tid]
        live = self.live[tid]
        out = []
        work = [(pc, g, l, False, frozenset(), frozenset(), True)]
        while work:
            pc, g, l, unit_done, seen, fired, first = work.pop()
            ins = code[pc]
            if ins.kind == "exit":
                out.append(("ok", g, DONE, (), fired))
                continue
            if not unit_done or ins.kind != "shared":
                # a path that comes back to where it was loops forever (local code)
                config = (pc, tuple(sorted(l.items())), tuple(sorted(g.items())))
                if config in seen:
                    out.append(("err", ASSERTION, fired))
                    continue
                seen = seen | {config}
            if not first and unit_done and ins.kind == "shared":
                keep = []
                for v in sorted(live[pc]):
                    assert v in l, f"live local {v} unset at pc {pc} (generator bug)"
                    keep.append((v, l[v]))
                out.append(("ok", g, pc, tuple(keep), fired))
                continue
            if ins.kind == "shared":
                unit_done = True
            results = self.run_ins(ins, g, l)
            if not results and fired:
                self.warn_then_blocked = True
            for r in results:
                if r[0] == "err":
                    out.append(r + (fired,))
                else:
                    f2 = fired | {r[4]} if r[4] is not None else fired
                    work.append((r[3], r[1], r[2], unit_done, seen, f2, False))
        return out

    def explore(self, max_states: int = 200_000) -> Outcome:
        props = self.spec.props
        dist = {}
        queue = deque()
        for s0 in self.initial():
            dist[s0] = 0
            queue.append(s0)
        viol: dict[str, int] = {}
        reached: dict[str, int] = {}
        warned: dict = {}

        def note(d: dict, name, n: int) -> None:
            if name not in d or n < d[name]:
                d[name] = n

        def result(hit: bool) -> Outcome:
            return Outcome(len(dist), viol, reached, warned, hit, self.warn_then_blocked)

        while queue:
            s = queue.popleft()
            d = dist[s]
            gt, threads = s
            g = dict(zip(self.gnames, gt))
            done = all(pc == DONE for pc, _ in threads)
            for kind, name, e in props:
                val = ev(e, g, {})
                if kind == "invariant" and not val:
                    note(viol, name, d)
                elif kind == "final" and done and not val:
                    note(viol, name, d)
                elif kind == "reachable" and val:
                    note(reached, name, d)
            moved = False
            for tid, (pc, loc) in enumerate(threads):
                if pc == DONE:
                    continue
                for r in self.step(tid, pc, g, dict(loc)):
                    moved = True
                    for w in r[-1]:
                        note(warned, w, d + 1)
                    if r[0] == "err":
                        note(viol, r[1], d + 1)
                        continue
                    _, g2, pc2, loc2, _ = r
                    t2 = list(threads)
                    t2[tid] = (pc2, loc2)
                    s2 = (tuple(g2[n] for n in self.gnames), tuple(t2))
                    if s2 not in dist:
                        dist[s2] = d + 1
                        queue.append(s2)
                        if len(dist) > max_states:
                            return result(True)
            if not moved and not done:
                note(viol, DEADLOCK, d)
        return result(False)


def explore(spec: Spec, max_states: int = 200_000) -> Outcome:
    return Explorer(spec).explore(max_states)
