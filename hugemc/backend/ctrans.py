"""Python text from the step generator, translated to C.

The step generator (:mod:`hugemc.backend.compile`, with the group-local state
of :mod:`hugemc.backend.jit`) emits a small subset of Python: integer
assignments, ``if``/``else``, ``for x in range(a, b)``, ``raise``, integer
operators, conditional and assignment expressions, subscripts of constant
tables and calls of a few checked helpers. :class:`CTranslator` turns that
subset into C (GNU C: a checked helper is a statement expression that jumps
to the function's ``fail`` label, which is how the generated Python raises).

Every name becomes ``v`` + name (so no name from the generator can meet a C
keyword or a reserved identifier); every local is an ``int64_t`` declared at
the top; every subscript of a constant table is bounds-checked (out of range
fails the step, as an ``IndexError`` would in Python). ``//`` and ``%`` are
only emitted by the generator where Python's and C's agree (a non-negative
left side and a positive right side); every other division goes through
``_div``/``_mod``, which are C's truncating operators with a zero check,
exactly the semantics of the interpreter. Anything outside the subset raises
:class:`Untranslatable` and the step is left to the Python engine.
"""

from __future__ import annotations

import ast
import re

NONE = "HM_NONE"
_ALWAYS = re.compile(r"[sn]_\d+|_n|_cap|_choice|_sc\d+")  # parameters and names defined by the wrappers


class Untranslatable(Exception):
    """The text uses Python the translator does not know."""


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "/", ast.Mod: "%",
           ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}
_CMPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class CTranslator:
    """Translates generated function bodies; ``tables`` maps constant table names to their lengths."""

    def __init__(self, tables: dict[str, int], groups: int, words: int, nslots: int) -> None:
        self.tables = tables
        self.G = groups
        self.W = words
        self.nslots = nslots
        self.tmp = 0
        self.locals: set[str] = set()

    # -- driver -------------------------------------------------------------------
    def body(self, lines: list[str], indent: int) -> tuple[list[str], set[str]]:
        """C statements for Python lines indented by ``indent``; returns them and the locals they assign."""
        text = "\n".join(x[indent:] if x[:indent].strip() == "" else x for x in lines)
        try:
            tree = ast.parse(text)
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            raise Untranslatable("does not parse") from None
        out: list[str] = []
        try:
            for st in tree.body:
                self.stmt(st, out, "    ")
        except RecursionError:
            raise Untranslatable("too deep") from None
        return out, set(self.locals)

    def reset(self) -> None:
        """Start a new function: forget the locals seen so far."""
        self.locals = set()

    def expression(self, text: str) -> str:
        """C text of one generated Python expression."""
        try:
            tree = ast.parse(text, mode="eval")
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            raise Untranslatable("does not parse") from None
        try:
            return self.expr(tree.body)
        except RecursionError:
            raise Untranslatable("too deep") from None

    def name(self, n: str) -> str:
        return "v" + n

    def fresh(self) -> str:
        self.tmp += 1
        return f"t{self.tmp}"

    # -- statements -------------------------------------------------------------------
    def stmt(self, st, out: list[str], ind: str) -> None:
        if isinstance(st, ast.Assign):
            if len(st.targets) != 1:
                raise Untranslatable("multiple targets")
            out.append(f"{ind}{self.target(st.targets[0])} = {self.expr(st.value)};")
        elif isinstance(st, ast.AugAssign):
            op = _BINOPS.get(type(st.op))
            if op is None:
                raise Untranslatable("augmented operator")
            out.append(f"{ind}{self.target(st.target)} {op}= {self.expr(st.value)};")
        elif isinstance(st, ast.If):
            out.append(f"{ind}if ({self.expr(st.test)}) {{")
            for s in st.body:
                self.stmt(s, out, ind + "    ")
            if st.orelse:
                out.append(f"{ind}}} else {{")
                for s in st.orelse:
                    self.stmt(s, out, ind + "    ")
            out.append(f"{ind}}}")
        elif isinstance(st, ast.For):
            it = st.iter
            if not (isinstance(st.target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                    and it.func.id == "range" and len(it.args) == 2 and not st.orelse):
                raise Untranslatable("for")
            var = self.target(st.target)
            end = self.fresh()
            self.locals.add(end)
            out.append(f"{ind}{end} = {self.expr(it.args[1])};")
            out.append(f"{ind}for ({var} = {self.expr(it.args[0])}; {var} < {end}; {var}++) {{")
            for s in st.body:
                self.stmt(s, out, ind + "    ")
            out.append(f"{ind}}}")
        elif isinstance(st, ast.Raise):
            out.append(f"{ind}goto fail;")
        elif isinstance(st, ast.Pass):
            out.append(f"{ind};")
        elif isinstance(st, ast.Expr):
            out.append(f"{ind}(void)({self.expr(st.value)});")
        elif isinstance(st, ast.Return):
            out.append(f"{ind}return {self.expr(st.value) if st.value is not None else 0};")
        else:
            raise Untranslatable(type(st).__name__)

    def target(self, t) -> str:
        if isinstance(t, ast.Name):
            nm = self.name(t.id)
            self.locals.add(nm)
            return nm
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
            if t.value.id == "_out" and isinstance(t.slice, ast.Tuple) and len(t.slice.elts) == 2:
                return f"v_out[({self.expr(t.slice.elts[0])}) * {self.W} + ({self.expr(t.slice.elts[1])})]"
            if t.value.id == "_oc":
                return f"v_oc[{self.expr(t.slice)}]"
        raise Untranslatable("assignment target")

    # -- expressions --------------------------------------------------------------------
    def expr(self, e) -> str:
        if isinstance(e, ast.Constant):
            if e.value is None:
                return NONE
            if isinstance(e.value, bool):
                return "1" if e.value else "0"
            if isinstance(e.value, int) and -(1 << 62) <= e.value <= (1 << 62):
                return f"INT64_C({int(e.value)})"
            raise Untranslatable("constant")
        if isinstance(e, ast.Name):
            if e.id in ("True", "False"):
                return "1" if e.id == "True" else "0"
            nm = self.name(e.id)
            if nm not in self.locals and not _ALWAYS.fullmatch(e.id) and e.id not in self.tables:
                # not assigned before this read: in Python a NameError (the step is redone), here a failure
                return "({ goto fail; (int64_t)0; })"
            return nm
        if isinstance(e, ast.NamedExpr):
            return f"({self.target(e.target)} = {self.expr(e.value)})"
        if isinstance(e, ast.BinOp):
            op = _BINOPS.get(type(e.op))
            if op is None:
                raise Untranslatable("operator")
            return f"({self.expr(e.left)} {op} {self.expr(e.right)})"
        if isinstance(e, ast.UnaryOp):
            a = self.expr(e.operand)
            if isinstance(e.op, ast.USub):
                return f"(-{a})"
            if isinstance(e.op, ast.Invert):
                return f"(~{a})"
            if isinstance(e.op, ast.Not):
                return f"(!{a})"
            raise Untranslatable("unary")
        if isinstance(e, ast.BoolOp):
            op = " && " if isinstance(e.op, ast.And) else " || "
            return "(" + op.join(f"({self.expr(v)} != 0)" for v in e.values) + ")"
        if isinstance(e, ast.Compare):
            parts = []
            left = self.expr(e.left)
            for op, right in zip(e.ops, e.comparators):
                c = _CMPS.get(type(op))
                if c is None:
                    raise Untranslatable("comparison")
                r = self.expr(right)
                if len(e.ops) > 1 and not isinstance(right, (ast.Name, ast.Constant)):
                    t = self.fresh()
                    self.locals.add(t)
                    r = f"({t} = {r})"
                    parts.append(f"({left} {c} {r})")
                    left = t
                    continue
                parts.append(f"({left} {c} {r})")
                left = r
            return "(" + " && ".join(parts) + ")"
        if isinstance(e, ast.IfExp):
            return f"(({self.expr(e.test)}) ? {self.expr(e.body)} : {self.expr(e.orelse)})"
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Tuple) and isinstance(e.slice, ast.Constant) \
                and e.slice.value == len(e.value.elts) - 1:
            # (a, b)[1]: a sequence, as C's comma operator
            return "(" + ", ".join(self.expr(x) for x in e.value.elts) + ")"
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
            nm = e.value.id
            if nm not in self.tables:
                raise Untranslatable(f"subscript of {nm}")
            return self.index(self.name(nm), self.tables[nm], self.expr(e.slice))
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and not e.keywords:
            return self.call(e.func.id, e.args)
        raise Untranslatable(type(e).__name__ + ": " + ast.unparse(e)[:60])

    def index(self, arr: str, n: int, idx: str) -> str:
        t = self.fresh()
        return f"({{ int64_t {t} = {idx}; if ((uint64_t){t} >= {n}u) goto fail; {arr}[{t}]; }})"

    def call(self, f: str, args) -> str:
        a = [self.expr(x) for x in args if not isinstance(x, ast.Tuple)]
        t, u = self.fresh(), self.fresh()
        if f == "_undef" and not args:
            return "({ goto fail; (int64_t)0; })"
        if f == "_chk" and len(a) == 1:
            return f"({{ int64_t {t} = {a[0]}; if ({t} == {NONE}) goto fail; {t}; }})"
        if f == "_nn" and len(a) == 1:
            return f"({{ int64_t {t} = {a[0]}; if ({t} == 0) goto fail; {t}; }})"
        if f == "_chk_idx" and len(a) == 1:
            return f"({{ int64_t {t} = {a[0]}; if ({t} < 0) goto fail; {t}; }})"
        if f == "bool" and len(a) == 1:
            return f"({a[0]} != 0)"
        if f in ("_div", "_mod") and len(a) == 2:
            op = "/" if f == "_div" else "%"
            return f"({{ int64_t {t} = {a[0]}; int64_t {u} = {a[1]}; if ({u} == 0) goto fail; {t} {op} {u}; }})"
        if f == "_shl" and len(a) == 2:  # Python's integers do not overflow: a result that does not fit fails
            # (a count beyond 62 goes to the Python engine, which computes it or reports a count beyond 63;
            # the shift is done unsigned, as C defines it for a negative value too)
            r = self.fresh()
            return (f"({{ int64_t {t} = {a[0]}; int64_t {u} = {a[1]}; if ({u} < 0 || {u} > 62) goto fail; "
                    f"int64_t {r} = (int64_t)((uint64_t){t} << {u}); if (({r} >> {u}) != {t}) goto fail; {r}; }})")
        if f == "_shr" and len(a) == 2:
            # a count beyond 63 is an error (the Python engine reports it), never C's undefined shift
            return (f"({{ int64_t {t} = {a[0]}; int64_t {u} = {a[1]}; if ({u} < 0 || {u} > 63) goto fail; "
                    f"{t} >> {u}; }})")
        if f == "_padd" and len(args) == 4 and all(isinstance(x, ast.Name) for x in args[:2]):
            lo, end = args[0].id, args[1].id
            n = self.tables[lo]
            r = self.fresh()
            return (f"({{ int64_t {t} = {self.expr(args[2])}; int64_t {u} = {self.expr(args[3])}; "
                    f"if ({t} == 0 || (uint64_t){t} >= {n}u) goto fail; int64_t {r} = {t} + {u}; "
                    f"if (!({self.name(lo)}[{t}] <= {r} && {r} <= {self.name(end)}[{t}])) goto fail; {r}; }})")
        if f == "_pdiff" and len(args) == 3 and isinstance(args[0], ast.Name):
            lo = args[0].id
            n = self.tables[lo]
            return (f"({{ int64_t {t} = {self.expr(args[1])}; int64_t {u} = {self.expr(args[2])}; "
                    f"if ({t} == 0 || {u} == 0 || (uint64_t){t} >= {n}u || (uint64_t){u} >= {n}u || "
                    f"{self.name(lo)}[{t}] != {self.name(lo)}[{u}]) goto fail; {t} - {u}; }})")
        if f in ("_getd", "_coded") and len(args) == 2 and isinstance(args[0], ast.Tuple):
            gs = [self.expr(x) for x in args[0].elts]
            a0 = self.expr(args[1])
            g = self.fresh()
            pick = gs[-1]
            for j in range(len(gs) - 2, -1, -1):
                pick = f"(v_GRP[{t}] == {j} ? {gs[j]} : {pick})"
            head = (f"int64_t {t} = {a0}; if ((uint64_t){t} >= {self.nslots}u) goto fail; "
                    f"int64_t {g} = {pick}; int64_t {u} = ({g} / v_INN[{t}]) % v_BASE[{t}]; ")
            if f == "_coded":
                return f"({{ {head}{u}; }})"
            return (f"({{ {head}if (v_NULL[{t}] && {u} == 0) goto fail; "
                    f"v_PCAT[{t}] >= 0 ? v_PCVALS[v_PCAT[{t}] + {u}] : {u} + v_O[{t}]; }})")
        raise Untranslatable(f"call of {f}")
