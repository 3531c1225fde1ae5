"""An independent brute-force interleaving enumerator for differential tests.

Nothing here imports hugemc's IR, backend or explorers: programs are given in
a small structured statement language of this module (the same structure the
tests render to C), lowered to a flat control-flow graph of *our own*
instructions, and explored by plain breadth-first search under the step rule
documented for hugemc:

* a step runs from a boundary up to (not including) the thread's next shared
  access, and contains exactly one shared unit: a plain load of a global, a
  plain store of a global, or one atomic operation / ``ATOMIC`` block / lock
  operation; purely local instructions (local assignments, branches on locals,
  nondeterministic choice, ``assume``/``assert`` on locals) run inside the step
  that reaches them; a thread that returns does so inside its last step;
* a state is (global values, each thread's position, the values of the locals
  that are *live* at that position); dead locals are forgotten at step ends;
* errors (failed ``assert``, a store outside a global's domain, unlocking a
  lock not held by the thread) end the step without a successor; a state in
  which no thread has a successor or an error and some thread has not
  returned is a deadlock.

Expressions are tuples::

    ("c", k)          integer constant
    ("g", name)       a global (shared)
    ("l", name)       a local of the thread
    (op, a, b)        op in + - == != < <= > >= && || (C semantics, 0/1 results)
    ("!", a), ("neg", a)

Statements (the structure both the C renderer and the lowering read)::

    ("assign", X, E)              X = E;  (E may read globals, locals, constants)
    ("incr", X, delta, style)     X++ / X-- / X += k / X -= k
    ("rmw", fn, X, args, dst)     atomic_inc/dec/add/sub/fetch_add/xchg/cmpxchg;
                                  dst: local receiving the result or None
    ("lock", L) / ("unlock", L)   spin_lock(&L) / spin_unlock(&L)
    ("atomic", decls, body)       ATOMIC { body }   (body: atomic statements)
    ("load", v, X)                int v = X;
    ("nondet", v, lo, hi, excl, then, else)
                                  int v = nondet_int(lo, hi); [assume(v != excl);]
                                  if (v) { then } else { else }
    ("if", C, then, else)         if (C) { then } else { else }   (no && / || on globals)
    ("assert", C) / ("assume", C)
    ("spin", X, k)                while (X != k) ;

Atomic statements (inside ATOMIC bodies; may read and write globals freely)::

    ("store", X, E), ("set", v, E), ("aif", C, then, else), ("aassume", C), ("acheck", C, kind)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

DONE = -1
LOCK_DOMAIN = (-128, 127)   # spinlock_t is an int
ASSERTION = "assertion"
DOMAIN = "domain_overflow"
UNLOCK = "unlock_unheld"
DEADLOCK = "deadlock"


# ---------------------------------------------------------------------------
# expressions
# ---------------------------------------------------------------------------

_CMP = {"==", "!=", "<", "<=", ">", ">="}


def ev(e, g: dict, l: dict) -> int:
    tag = e[0]
    if tag == "c":
        return e[1]
    if tag == "g":
        return g[e[1]]
    if tag == "l":
        if e[1] not in l:
            raise AssertionError(f"enumerator read of unset local {e[1]} (generator bug)")
        return l[e[1]]
    if tag == "!":
        return 0 if ev(e[1], g, l) else 1
    if tag == "neg":
        return -ev(e[1], g, l)
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
    if tag == "!":
        return f"!({c_expr(e[1])})"
    if tag == "neg":
        return f"-({c_expr(e[1])})"
    return f"({c_expr(e[1])} {tag} {c_expr(e[2])})"


def globals_in(e) -> list[str]:
    """Global reads of ``e`` in evaluation (left-to-right) order, repeats included."""
    tag = e[0]
    if tag == "g":
        return [e[1]]
    if tag in ("c", "l"):
        return []
    out = []
    for sub in e[1:]:
        out += globals_in(sub)
    return out


def locals_in(e) -> set[str]:
    tag = e[0]
    if tag == "l":
        return {e[1]}
    if tag in ("c", "g"):
        return set()
    out: set[str] = set()
    for sub in e[1:]:
        out |= locals_in(sub)
    return out


def has_shortcircuit(e) -> bool:
    if e[0] in ("&&", "||"):
        return True
    return any(has_shortcircuit(s) for s in e[1:] if isinstance(s, tuple))


# ---------------------------------------------------------------------------
# rendering to C
# ---------------------------------------------------------------------------

def c_stmts(stmts, ind: str, tid: int) -> list[str]:
    out: list[str] = []
    for s in stmts:
        out += c_stmt(s, ind, tid)
    return out


def _c_block(stmts, ind, tid) -> list[str]:
    return ["{"] + c_stmts(stmts, ind + "  ", tid) + [ind + "}"]


def c_stmt(s, ind: str, tid: int) -> list[str]:
    k = s[0]
    if k == "assign":
        return [f"{ind}{s[1]} = {c_expr(s[2])};"]
    if k == "incr":
        _, x, delta, style = s
        if style == "++":
            return [f"{ind}{x}++;"] if delta == 1 else [f"{ind}{x}--;"]
        op = "+=" if delta >= 0 else "-="
        return [f"{ind}{x} {op} {abs(delta)};"]
    if k == "rmw":
        _, fn, x, args, dst = s
        if fn in ("atomic_inc", "atomic_dec"):
            call = f"{fn}(&{x})"
        elif fn in ("atomic_add", "atomic_sub", "atomic_fetch_add"):
            call = f"{fn}({args[0]}, &{x})"
        elif fn == "atomic_xchg":
            call = f"{fn}(&{x}, {c_expr(args[0])})"
        elif fn == "atomic_cmpxchg":
            call = f"{fn}(&{x}, {c_expr(args[0])}, {c_expr(args[1])})"
        else:
            raise AssertionError(fn)
        return [f"{ind}int {dst} = {call};" if dst else f"{ind}{call};"]
    if k == "lock":
        return [f"{ind}spin_lock(&{s[1]});"]
    if k == "unlock":
        return [f"{ind}spin_unlock(&{s[1]});"]
    if k == "atomic":
        _, decls, body = s
        lines = [f"{ind}int {v};" for v in decls]
        blk = _c_ablock(body, ind)
        lines.append(f"{ind}ATOMIC " + blk[0])
        return lines + blk[1:]
    if k == "load":
        return [f"{ind}int {s[1]} = {s[2]};"]
    if k == "nondet":
        _, v, lo, hi, excl, th, el = s
        call = "nondet_bool()" if (lo, hi) == (0, 1) else f"nondet_int({lo}, {hi})"
        lines = [f"{ind}int {v} = {call};"]
        if excl is not None:
            lines.append(f"{ind}assume({v} != {excl});")
        return lines + _c_if(v, th, el, ind, tid)
    if k == "if":
        return _c_if(c_expr(s[1]), s[2], s[3], ind, tid)
    if k == "assert":
        return [f"{ind}assert({c_expr(s[1])});"]
    if k == "assume":
        return [f"{ind}assume({c_expr(s[1])});"]
    if k == "spin":
        return [f"{ind}while ({s[1]} != {s[2]}) ;"]
    raise AssertionError(k)


def _c_if(cond: str, th, el, ind, tid) -> list[str]:
    blk = _c_block(th, ind, tid)
    lines = [f"{ind}if ({cond}) " + blk[0]] + blk[1:]
    if el:
        eb = _c_block(el, ind, tid)
        lines[-1] += " else " + eb[0]
        lines += eb[1:]
    return lines


def _c_ablock(stmts, ind) -> list[str]:
    out = ["{"]
    for s in stmts:
        out += _c_astmt(s, ind + "  ")
    return out + [ind + "}"]


def _c_astmt(s, ind) -> list[str]:
    k = s[0]
    if k in ("store", "set"):
        return [f"{ind}{s[1]} = {c_expr(s[2])};"]
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
    for s in stmts:
        k = s[0]
        if k == "store":
            v = ev(s[2], g, l)
            lo, hi = dom[s[1]]
            if not lo <= v <= hi:
                return ("err", DOMAIN)
            g = {**g, s[1]: v}
        elif k == "set":
            l = {**l, s[1]: ev(s[2], g, l)}
        elif k == "aassume":
            if not ev(s[1], g, l):
                return None
        elif k == "acheck":
            if not ev(s[1], g, l):
                return ("err", s[2])
        elif k == "aif":
            r = exec_atomic(s[2] if ev(s[1], g, l) else s[3], g, l, dom)
            if r is None or r[0] == "err":
                return r
            _, g, l = r
        else:
            raise AssertionError(k)
    return ("ok", g, l)


def live_atomic(stmts, after: frozenset) -> frozenset:
    live = set(after)
    for s in reversed(stmts):
        k = s[0]
        if k == "store":
            live |= locals_in(s[2])
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
    """kind: 'shared', 'local' or 'exit'. ``succ``: successor pcs."""

    kind: str
    op: tuple
    succ: list = field(default_factory=list)


class Lowering:
    """Structured statements of one thread -> flat list of Ins."""

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self.code: list[Ins] = []
        self.ntemp = 0

    def temp(self) -> str:
        self.ntemp += 1
        return f"$t{self.ntemp}"

    def emit(self, kind: str, op: tuple) -> int:
        """Append an instruction falling through to the next one."""
        self.code.append(Ins(kind, op, [len(self.code) + 1]))
        return len(self.code) - 1

    def loads(self, e):
        """Emit one load step per global read of ``e``; return ``e`` over temps."""
        def sub(e):
            tag = e[0]
            if tag == "g":
                t = self.temp()
                self.emit("shared", ("load", t, e[1]))
                return ("l", t)
            if tag in ("c", "l"):
                return e
            return (tag,) + tuple(sub(x) for x in e[1:])
        assert not (globals_in(e) and has_shortcircuit(e)), "short-circuit over globals not modelled"
        return sub(e)

    def stmts(self, ss) -> None:
        for s in ss:
            self.stmt(s)

    def branch(self, cond, th, el) -> None:
        b = self.emit("local", ("branch", cond))
        self.stmts(th)
        jump_at = None
        if el:
            jump_at = self.emit("local", ("nop",))
        else_start = len(self.code)
        self.stmts(el)
        end = len(self.code)
        self.code[b].succ = [b + 1, else_start]
        if jump_at is not None:
            self.code[jump_at].succ = [end]

    def stmt(self, s) -> None:
        k = s[0]
        tid = self.tid
        if k == "assign":
            e = self.loads(s[2])
            self.emit("shared", ("store", s[1], e))
        elif k == "incr":
            t = self.temp()
            self.emit("shared", ("load", t, s[1]))
            self.emit("shared", ("store", s[1], ("+", ("l", t), ("c", s[2]))))
        elif k == "rmw":
            _, fn, x, args, dst = s
            gx = ("g", x)
            if fn == "atomic_inc":
                body = [("store", x, ("+", gx, ("c", 1)))]
            elif fn == "atomic_dec":
                body = [("store", x, ("-", gx, ("c", 1)))]
            elif fn == "atomic_add":
                body = [("store", x, ("+", gx, ("c", args[0])))]
            elif fn == "atomic_sub":
                body = [("store", x, ("-", gx, ("c", args[0])))]
            elif fn == "atomic_fetch_add":
                t = self.temp()
                body = [("set", t, gx), ("store", x, ("+", ("l", t), ("c", args[0])))]
            elif fn == "atomic_xchg":
                t = self.temp()
                body = [("set", t, gx), ("store", x, args[0])]
            elif fn == "atomic_cmpxchg":
                t = self.temp()
                body = [("set", t, gx), ("aif", ("==", ("l", t), args[0]), [("store", x, args[1])], [])]
            else:
                raise AssertionError(fn)
            self.emit("shared", ("atomic", body))
            if dst is not None:
                self.emit("local", ("set", dst, ("l", body[0][1])))
        elif k == "lock":
            lk = ("g", s[1])
            self.emit("shared", ("atomic", [("aassume", ("==", lk, ("c", 0))), ("store", s[1], ("c", tid + 1))]))
        elif k == "unlock":
            lk = ("g", s[1])
            self.emit("shared", ("atomic", [("acheck", ("!=", lk, ("c", 0)), UNLOCK),
                                            ("acheck", ("==", lk, ("c", tid + 1)), UNLOCK),
                                            ("store", s[1], ("c", 0))]))
        elif k == "atomic":
            self.emit("shared", ("atomic", s[2]))
        elif k == "load":
            self.emit("shared", ("load", s[1], s[2]))
        elif k == "nondet":
            _, v, lo, hi, excl, th, el = s
            self.emit("local", ("choose", v, lo, hi))
            if excl is not None:
                self.emit("local", ("assume", ("!=", ("l", v), ("c", excl))))
            self.branch(("l", v), th, el)
        elif k == "if":
            self.branch(self.loads(s[1]), s[2], s[3])
        elif k == "assert":
            self.emit("local", ("assert", self.loads(s[1])))
        elif k == "assume":
            self.emit("local", ("assume", self.loads(s[1])))
        elif k == "spin":
            top = len(self.code)
            e = self.loads(("!=", ("g", s[1]), ("c", s[2])))
            b = self.emit("local", ("branch", e))
            self.code[b].succ = [top, b + 1]
        else:
            raise AssertionError(k)

    def finish(self) -> list[Ins]:
        self.code.append(Ins("exit", ("exit",), []))
        return self.code


def _uses_defs(ins: Ins):
    op = ins.op
    k = op[0]
    if k == "load":
        return set(), {op[1]}
    if k == "store":
        return locals_in(op[2]), set()
    if k in ("branch", "assert", "assume"):
        return locals_in(op[1]), set()
    if k == "set":
        return locals_in(op[2]), {op[1]}
    if k == "choose":
        return set(), {op[1]}
    return set(), set()


def liveness(code: list[Ins]) -> list[frozenset]:
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
# programs and exploration
# ---------------------------------------------------------------------------

@dataclass
class Spec:
    """A generated program: globals, locks, threads (structured), properties."""

    globals: list          # (name, lo, hi, init)
    locks: list            # names
    threads: list          # list of statement lists
    props: list            # (kind, name, expr) with kind invariant | final | reachable

    def c_text(self) -> str:
        lines = []
        for name, lo, hi, init in self.globals:
            lines.append(f"int {name} __range({lo}, {hi})" + (f" = {init};" if init else ";"))
        for lk in self.locks:
            lines.append(f"spinlock_t {lk};")
        for tid, body in enumerate(self.threads):
            lines.append(f"void f{tid}(void) {{")
            lines += c_stmts(body, "  ", tid)
            lines.append("}")
        macro = {"invariant": "INVARIANT", "final": "FINAL", "reachable": "REACHABLE"}
        for kind, name, e in self.props:
            lines.append(f"{macro[kind]}({name}) {{ return {c_expr(e)}; }}")
        return "\n".join(lines) + "\n"

    def toml_text(self) -> str:
        lines = ['models = ["m.c"]', 'property_files = ["m.c"]', 'expect = "holds"', "[threads]"]
        for tid in range(len(self.threads)):
            lines.append(f't{tid} = "f{tid}()"')
        return "\n".join(lines) + "\n"


@dataclass
class Outcome:
    states: int
    violations: dict       # name -> shortest trace length (steps)
    reached: dict          # name -> shortest witness length
    max_states_hit: bool = False


class Explorer:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.gnames = [g[0] for g in spec.globals] + list(spec.locks)
        self.dom = {name: (lo, hi) for name, lo, hi, _ in spec.globals}
        for lk in spec.locks:
            self.dom[lk] = LOCK_DOMAIN
        self.code = []
        self.live = []
        for tid, body in enumerate(spec.threads):
            lw = Lowering(tid)
            lw.stmts(body)
            code = lw.finish()
            self.code.append(code)
            self.live.append(liveness(code))

    def initial(self):
        g = tuple([init for _, _, _, init in self.spec.globals] + [0] * len(self.spec.locks))
        return (g, tuple((0, ()) for _ in self.spec.threads))

    def run_ins(self, tid: int, ins: Ins, g: dict, l: dict):
        """All outcomes of one instruction: ('ok', g, l, next) or ('err', kind)."""
        op = ins.op
        k = op[0]
        nxt = ins.succ[0] if ins.succ else None
        if k == "load":
            return [("ok", g, {**l, op[1]: g[op[2]]}, nxt)]
        if k == "store":
            v = ev(op[2], g, l)
            lo, hi = self.dom[op[1]]
            if not lo <= v <= hi:
                return [("err", DOMAIN)]
            return [("ok", {**g, op[1]: v}, l, nxt)]
        if k == "atomic":
            r = exec_atomic(op[1], g, l, self.dom)
            if r is None:
                return []
            if r[0] == "err":
                return [r]
            return [("ok", r[1], r[2], nxt)]
        if k == "set":
            return [("ok", g, {**l, op[1]: ev(op[2], g, l)}, nxt)]
        if k == "choose":
            return [("ok", g, {**l, op[1]: v}, nxt) for v in range(op[2], op[3] + 1)]
        if k == "branch":
            return [("ok", g, l, ins.succ[0] if ev(op[1], g, l) else ins.succ[1])]
        if k == "assume":
            return [("ok", g, l, nxt)] if ev(op[1], g, l) else []
        if k == "assert":
            return [("ok", g, l, nxt)] if ev(op[1], g, l) else [("err", ASSERTION)]
        if k == "nop":
            return [("ok", g, l, nxt)]
        raise AssertionError(k)

    def step(self, tid: int, pc: int, g: dict, l: dict):
        """Outcomes of thread ``tid``'s next step: ('ok', g, pc, live locals) / ('err', kind)."""
        code = self.code[tid]
        live = self.live[tid]
        out = []
        work = [(pc, g, l, False)]
        while work:
            pc, g, l, unit_done = work.pop()
            ins = code[pc]
            if ins.kind == "exit":
                out.append(("ok", g, DONE, ()))
                continue
            if ins.kind == "shared":
                if unit_done:
                    keep = []
                    for v in sorted(live[pc]):
                        assert v in l, f"live local {v} unset at pc {pc} (generator bug)"
                        keep.append((v, l[v]))
                    out.append(("ok", g, pc, tuple(keep)))
                    continue
                unit_done = True
            for r in self.run_ins(tid, ins, g, l):
                if r[0] == "err":
                    out.append(r)
                else:
                    work.append((r[3], r[1], r[2], unit_done))
        return out

    def explore(self, max_states: int = 200_000) -> Outcome:
        props = self.spec.props
        init = self.initial()
        dist = {init: 0}
        queue = deque([init])
        viol: dict[str, int] = {}
        reached: dict[str, int] = {}

        def note(d: dict, name: str, n: int) -> None:
            if name not in d or n < d[name]:
                d[name] = n

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
                    if r[0] == "err":
                        note(viol, r[1], d + 1)
                        continue
                    _, g2, pc2, loc2 = r
                    t2 = list(threads)
                    t2[tid] = (pc2, loc2)
                    s2 = (tuple(g2[n] for n in self.gnames), tuple(t2))
                    if s2 not in dist:
                        dist[s2] = d + 1
                        queue.append(s2)
                        if len(dist) > max_states:
                            return Outcome(len(dist), viol, reached, True)
            if not moved and not done:
                note(viol, DEADLOCK, d)
        return Outcome(len(dist), viol, reached)


def explore(spec: Spec, max_states: int = 200_000) -> Outcome:
    return Explorer(spec).explore(max_states)
