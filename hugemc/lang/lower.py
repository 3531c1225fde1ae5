"""Lowering: a pycparser AST of the C subset to an IR :class:`~hugemc.ir.Program`.

Globals are flattened to slots; every call to a model function is inlined at
its call site (recursion is an error); each thread becomes one CFG of IR
nodes. Outside atomic regions every node performs at most one access to
shared (global) state: an expression that reads two globals is split into a
load into a temporary per extra read, so ``counter++`` on a global is a load
step and a store step, exactly as DESIGN.md prescribes. Atomic builtins and
``ATOMIC { }`` blocks become atomic regions (one step).

Everything the user can get wrong is reported as a
:class:`~hugemc.diagnostics.HugemcError` with ``file:line:col`` and a hint.
"""

from __future__ import annotations

import ast as _pyast
from contextlib import contextmanager
from dataclasses import dataclass, field

from pycparser import c_ast
from pycparser.c_generator import CGenerator

from .. import ir
from ..diagnostics import HugemcError, SourceLoc, did_you_mean, read_source_line
from ..ir import (
    ASSERTION, END_ENTRY, NULL_ENTRY, UNLOCK, Assign, Assume, Binary, Branch, Check, Choose, Cond,
    Const, Exit, Jump, Loc, Mem, Print, PtrAdd, PtrDiff, Unary, Var, Warn,
)
from .ctypes import (
    BOOL, INT, UNSIGNED, VOID, ArrayType, CType, IntType, PtrType, StructType, VoidType,
    is_scalar, leaves, pointee_key, same_pointee, type_name,
)

PROPERTY_PREFIXES = {
    "__hugemc_invariant__": ir.INVARIANT,
    "__hugemc_reachable__": ir.REACHABLE,
    "__hugemc_final__": ir.FINAL,
}
THREAD_PREFIX = "__hugemc_thread__"
INIT_NAME = "__hugemc_init__"
ATOMIC_MARK = "__hugemc_atomic__"
GHOST_MARK = "__hugemc_ghost__"
GHOST_REGION = -1  # region of ghost code: never a unit, never split

BUILTINS = {
    "atomic_read", "atomic_set", "atomic_inc", "atomic_dec", "atomic_add", "atomic_sub",
    "atomic_inc_return", "atomic_dec_return", "atomic_add_return", "atomic_sub_return",
    "atomic_dec_and_test", "atomic_inc_and_test", "atomic_sub_and_test", "atomic_add_unless",
    "atomic_inc_not_zero", "atomic_cmpxchg", "atomic_xchg", "atomic_fetch_add", "atomic_fetch_sub",
    "set_bit", "clear_bit", "test_bit", "test_and_set_bit", "test_and_clear_bit",
    "__set_bit", "__clear_bit", "READ_ONCE", "WRITE_ONCE", "smp_store_release", "smp_load_acquire",
    "spin_lock", "spin_unlock", "spin_trylock", "spin_lock_irq", "spin_unlock_irq",
    "spin_lock_irqsave", "spin_unlock_irqrestore",
    "nondet_bool", "nondet_int", "assume", "assert", "BUG_ON", "VM_BUG_ON", "VM_BUG_ON_PAGE",
    "VM_BUG_ON_FOLIO", "BUG", "WARN_ON", "WARN_ON_ONCE", "VM_WARN_ON", "VM_WARN_ON_ONCE",
    "pr_warn", "pr_info", "pr_err", "pr_debug", "pr_notice", "printk",
    "smp_mb", "smp_wmb", "smp_rmb", "barrier", "cond_resched", "cpu_relax", "might_sleep",
}


@dataclass
class Options:
    """Scenario-level settings the lowering needs."""

    int_domain: tuple[int, int] = (-128, 127)
    unsigned_domain: tuple[int, int] = (0, 255)
    domain_overrides: list = field(default_factory=list)  # [(glob, lo, hi)]
    domain_locs: dict = field(default_factory=dict)  # glob -> SourceLoc in the scenario
    fatal_warnings: bool = False


@dataclass
class SlotRec:
    """A slot under construction (domains of temporaries grow until finalised)."""

    name: str
    lo: int
    hi: int
    init: int | None
    kind: str
    thread: int | None = None
    ctype: object = None
    auto: bool = False  # temporary: domain = union of what is stored into it
    labels: tuple = ()
    func: str = ""
    var: str = ""
    role: str = ""
    coord: object = None  # declaration (globals), for messages


@dataclass
class Place:
    """An lvalue: a static run of slots, or a slot found through a table at run time."""

    type: CType
    base: int | None = None
    table: int | None = None
    index: object = None
    offset: int = 0
    array_base: tuple | None = None  # (static place of the array, index expr) for &a[i]


@dataclass
class FuncCtx:
    """One inlined activation of a model function."""

    name: str
    scopes: list
    ret_slot: int | None
    ret_type: CType
    ret_holes: list
    labels: dict
    gotos: list
    loops: list  # (break_holes, continue_target_or_holes)
    temp_next: int = 0


class Lowerer:
    """Builds one IR program from a parsed translation unit."""

    def __init__(self, fileast: c_ast.FileAST, ranges: dict, options: Options,
                 source_lines=None) -> None:
        self.ast = fileast
        self.ranges = ranges
        self.opt = options
        self.gen = CGenerator()
        self.slots: list[SlotRec] = []
        self.typedefs: dict[str, CType] = {}
        self.structs: dict[str, StructType] = {}
        self.enum_consts: dict[str, int] = {}
        self.consts: dict[str, tuple[int, CType]] = {}
        self.globals: dict[str, tuple[int, CType]] = {}
        self.functions: dict[str, c_ast.FuncDef] = {}
        self.prototypes: dict[str, c_ast.Decl] = {}
        self.tables: list[ir.Table] = []
        self.global_tables: set[int] = set()
        self.array_tables: dict[tuple, int] = {}
        self.ptables: dict[tuple, int] = {}
        self.ptable_code: dict[tuple, dict[int, int]] = {}
        self.region_counter = 0
        self.ghost_depth = 0
        self._line_cache: dict[tuple[str, int], str] = {}
        self._source_lines = source_lines or {}
        self.properties_ast: list[tuple[str, str, c_ast.FuncDef]] = []
        self.threads_ast: list[tuple[int, c_ast.FuncDef]] = []
        self.init_ast: c_ast.FuncDef | None = None
        # per CFG under construction
        self.nodes: list = []
        self.cur: list = []
        self.region = 0
        self.loc = ir.NOLOC
        self.owner: int | None = None  # thread index, or None for scratch
        self.slot_kind = ir.LOCAL
        self.owner_name = ""
        self.call_stack: list[str] = []
        self.local_slots: list[int] = []
        self.routine_name = ""

    # ------------------------------------------------------------------
    # diagnostics
    # ------------------------------------------------------------------
    def error(self, msg: str, node=None, hint: str | None = None, coord=None) -> HugemcError:
        """Build a HugemcError located at ``node`` (or ``coord``)."""
        c = coord if coord is not None else getattr(node, "coord", None)
        loc = None
        line_text = None
        if c is not None and c.file:
            loc = SourceLoc(c.file, c.line or 0, c.column or 0)
            line_text = self._source_lines.get((c.file, c.line))
        return HugemcError(msg, loc, hint=hint, source_line=line_text)

    def line_text(self, file: str, line: int) -> str:
        key = (file, line)
        if key not in self._line_cache:
            t = self._source_lines.get(key)
            if t is None:
                t = read_source_line(file, line) or ""
            self._line_cache[key] = t.strip()
        return self._line_cache[key]

    def mkloc(self, node) -> Loc:
        c = getattr(node, "coord", None)
        if c is None or not c.file:
            return self.loc
        func = self.ctx.name if getattr(self, "ctx", None) is not None else ""
        if func.startswith("__hugemc_"):
            func = ""
        return Loc(c.file, c.line or 0, c.column or 0, self.line_text(c.file, c.line or 0), func)

    def text(self, node) -> str:
        """C source text of an AST node (for messages)."""
        try:
            return self.gen.visit(node)
        except Exception:  # pragma: no cover - generator is total on valid ASTs
            return "?"

    # ------------------------------------------------------------------
    # top level
    # ------------------------------------------------------------------
    def collect(self) -> None:
        """Read the translation unit's declarations (types, globals, functions)."""
        pending_globals = []
        for ext in self.ast.ext:
            if isinstance(ext, c_ast.Typedef):
                t = self.resolve_type(ext.type, ext)
                dom = self.range_for(ext, ext.name)
                if dom is not None:
                    if not isinstance(t, IntType):
                        raise self.error("__range applies to integer types only", ext)
                    t = IntType(ext.name, t.signed, t.is_bool, dom, t.labels)
                self.typedefs[ext.name] = t
            elif isinstance(ext, c_ast.FuncDef):
                name = ext.decl.name
                if name in self.functions:
                    raise self.error(f"function '{name}' is defined twice", ext.decl,
                                     hint=f"first definition at {_coord(self.functions[name].decl)}")
                self.functions[name] = ext
                for prefix, kind in PROPERTY_PREFIXES.items():
                    if name.startswith(prefix):
                        self.properties_ast.append((name[len(prefix):], kind, ext))
                if name.startswith(THREAD_PREFIX):
                    self.threads_ast.append((int(name[len(THREAD_PREFIX):]), ext))
                if name == INIT_NAME:
                    self.init_ast = ext
            elif isinstance(ext, c_ast.Decl):
                if isinstance(ext.type, c_ast.FuncDecl):
                    self.prototypes[ext.name] = ext
                    continue
                if ext.name is None:
                    # a struct or enum definition on its own
                    self.resolve_type(ext.type, ext)
                    continue
                t = self.resolve_type(ext.type, ext)
                if "const" in (ext.quals or []) and isinstance(t, IntType) and ext.init is not None:
                    self.consts[ext.name] = (self.const_eval(ext.init), t)  # usable in later sizes
                    continue
                pending_globals.append((ext, t))
            elif isinstance(ext, c_ast.Pragma):
                continue
            else:
                raise self.error(f"unsupported top-level construct ({type(ext).__name__})", ext)
        seen = {}
        for decl, t in pending_globals:
            if decl.name in seen:
                prev_decl, prev_t = seen[decl.name]
                if decl.init is None and type_name(prev_t) == type_name(t):
                    continue  # a repeated (tentative or extern) declaration
                if prev_decl.init is None and type_name(prev_t) == type_name(t):
                    self._drop_global(decl.name)
                else:
                    raise self.error(f"global '{decl.name}' is defined twice", decl,
                                     hint=f"first definition at {_coord(prev_decl)}")
            seen[decl.name] = (decl, t)
            self.define_global(decl, t)

    def _drop_global(self, name: str) -> None:
        base, t = self.globals.pop(name)
        # slots stay allocated but unnamed globals are harmless; mark them
        for i in range(base, base + t.size):
            self.slots[i].name = f"<dropped {name}>"

    # ------------------------------------------------------------------
    # types
    # ------------------------------------------------------------------
    def resolve_type(self, node, ctx_node) -> CType:
        """The CType of a pycparser type node."""
        if isinstance(node, c_ast.TypeDecl):
            return self.resolve_type(node.type, ctx_node)
        if isinstance(node, c_ast.IdentifierType):
            names = node.names
            if len(names) == 1 and names[0] in self.typedefs:
                return self.typedefs[names[0]]
            for n in names:
                if n in self.typedefs:
                    return self.typedefs[n]
            if "void" in names:
                return VOID
            if "_Bool" in names:
                return BOOL
            if "float" in names or "double" in names:
                raise self.error("floating point is not supported", node, hint="use integers")
            if "unsigned" in names:
                return UNSIGNED
            return INT
        if isinstance(node, c_ast.PtrDecl):
            target = self.resolve_type(node.type, ctx_node)
            if isinstance(target, ArrayType):
                raise self.error("pointers to arrays are not supported", node,
                                 hint="point to the first element instead")
            return PtrType(target)
        if isinstance(node, c_ast.ArrayDecl):
            elem = self.resolve_type(node.type, ctx_node)
            if node.dim is None:
                raise self.error("arrays need a fixed size", node, hint="write the size, e.g. pages[NR_PAGES]")
            n = self.const_eval(node.dim)
            if n <= 0:
                raise self.error(f"array size must be positive, got {n}", node.dim)
            if isinstance(elem, VoidType):
                raise self.error("array of void", node)
            return ArrayType(elem, n)
        if isinstance(node, c_ast.Struct):
            return self.resolve_struct(node)
        if isinstance(node, c_ast.Enum):
            return self.resolve_enum(node)
        if isinstance(node, c_ast.Union):
            raise self.error("unions are not supported", node, hint="use a struct")
        if isinstance(node, c_ast.FuncDecl):
            raise self.error("function pointers are not supported", node,
                             hint="use an enum and a switch to select the function")
        raise self.error(f"unsupported type ({type(node).__name__})", node)

    def resolve_struct(self, node: c_ast.Struct) -> StructType:
        name = node.name or f"<anonymous@{_coord(node)}>"
        st = self.structs.get(name)
        if st is None:
            st = StructType(name, loc=node.coord)
            self.structs[name] = st
        if node.decls is not None:
            if st.complete:
                # the same definition seen again (header included twice without guards)
                return st
            fields = []
            for d in node.decls:
                if d.bitsize is not None:
                    raise self.error("bit-fields are not supported", d,
                                     hint="use a separate field with a __range annotation")
                ft = self.resolve_type(d.type, d)
                if isinstance(ft, StructType) and not ft.complete:
                    raise self.error(f"field '{d.name}' has incomplete type {type_name(ft)}", d)
                if isinstance(ft, VoidType):
                    raise self.error(f"field '{d.name}' has type void", d)
                if d.name is None:
                    raise self.error("anonymous fields are not supported", d)
                fields.append((d.name, ft, self.range_for(d, d.name)))
            st.fields = fields
            st.complete = True
        return st

    def resolve_enum(self, node: c_ast.Enum) -> IntType:
        name = node.name or "enum"
        if node.values is None:
            key = f"enum {name}"
            if key in self.typedefs:
                return self.typedefs[key]
            return IntType(f"enum {name}")
        val = -1
        labels = []
        for e in node.values.enumerators:
            val = self.const_eval(e.value) if e.value is not None else val + 1
            if e.name in self.enum_consts and self.enum_consts[e.name] != val:
                raise self.error(f"enumerator '{e.name}' redefined", e)
            self.enum_consts[e.name] = val
            labels.append((val, e.name))
        vals = [v for v, _ in labels] or [0]
        t = IntType(f"enum {name}", signed=min(vals) < 0, domain=(min(vals), max(vals)),
                    labels=tuple(labels))
        if node.name:
            self.typedefs[f"enum {name}"] = t
        return t

    def range_for(self, node, name) -> tuple[int, int] | None:
        c = node.coord
        if c is None:
            return None
        r = self.ranges.get((c.file, c.line, name))
        if r is None:
            return None
        lo_t, hi_t, loc = r
        lo = self._eval_text(lo_t, loc)
        hi = self._eval_text(hi_t, loc)
        if lo > hi:
            raise HugemcError(f"empty domain __range({lo}, {hi})", loc, hint="write __range(lo, hi) with lo <= hi")
        return (lo, hi)

    def _eval_text(self, text: str, loc: SourceLoc) -> int:
        from pycparser import c_parser
        try:
            tu = c_parser.CParser().parse(f"int __hugemc_x = ({text});", "<range>")
            return self.const_eval(tu.ext[0].init)
        except HugemcError as e:
            raise HugemcError(f"__range bound '{text}' is not a constant: {e.message}", loc) from None
        except Exception:
            raise HugemcError(f"__range bound '{text}' is not a constant expression", loc) from None

    def const_eval(self, node) -> int:
        """Evaluate an integer constant expression (array sizes, enum values, case labels)."""
        if isinstance(node, c_ast.Constant):
            return self.parse_constant(node)
        if isinstance(node, c_ast.ID):
            if node.name in self.enum_consts:
                return self.enum_consts[node.name]
            if node.name in self.consts:
                return self.consts[node.name][0]
            raise self.error(f"'{node.name}' is not a constant", node,
                             hint="use a #define, an enum constant or a literal")
        if isinstance(node, c_ast.UnaryOp):
            if node.op == "sizeof":
                raise self.error("sizeof is not supported", node, hint="use a #define for the count")
            v = self.const_eval(node.expr)
            return {"-": -v, "+": v, "~": ~v, "!": int(not v)}.get(node.op, None) if node.op in "-+~!" else \
                self._bad_const(node)
        if isinstance(node, c_ast.BinaryOp):
            a = self.const_eval(node.left)
            if node.op == "&&":
                return int(bool(a) and bool(self.const_eval(node.right)))
            if node.op == "||":
                return int(bool(a) or bool(self.const_eval(node.right)))
            b = self.const_eval(node.right)
            from ..ir.interp import Evaluator, Fault
            try:
                return Evaluator.binop(node.op, a, b)
            except Fault as f:
                raise self.error(f.message, node) from None
            except AssertionError:
                return self._bad_const(node)
        if isinstance(node, c_ast.TernaryOp):
            return self.const_eval(node.iftrue) if self.const_eval(node.cond) else self.const_eval(node.iffalse)
        if isinstance(node, c_ast.Cast):
            return self.const_eval(node.expr)
        return self._bad_const(node)

    def _bad_const(self, node):
        raise self.error(f"'{self.text(node)}' is not an integer constant expression", node)

    def parse_constant(self, node: c_ast.Constant) -> int:
        v = node.value
        if node.type == "char" or v.startswith("'"):
            body = v[1:-1]
            try:
                s = _pyast.literal_eval(f"'{body}'")
            except Exception:
                raise self.error(f"bad character constant {v}", node) from None
            return ord(s[0]) if s else 0
        if node.type == "string":
            raise self.error("string literals are only allowed in pr_*() and printk()", node)
        t = v.rstrip("uUlL")
        try:
            if t.lower().startswith("0x"):
                return int(t, 16)
            if t.lower().startswith("0b"):
                return int(t, 2)
            if len(t) > 1 and t.startswith("0"):
                return int(t, 8)
            return int(t)
        except ValueError:
            raise self.error(f"unsupported constant '{v}'", node,
                             hint="only integer constants are supported") from None

    # ------------------------------------------------------------------
    # slots and globals
    # ------------------------------------------------------------------
    def default_domain(self, t: IntType | PtrType) -> tuple[int, int]:
        if isinstance(t, IntType):
            if t.domain is not None:
                return t.domain
            return self.opt.int_domain if t.signed else self.opt.unsigned_domain
        return (0, 0)  # pointers: fixed at finalisation

    def new_slot(self, name, t, init, kind, thread=None, dom=None, func="", var="", auto=False) -> int:
        if isinstance(t, PtrType):
            lo, hi = 0, 0
        elif auto:
            lo, hi = (0, 0) if init is None else (init, init)
        else:
            lo, hi = dom if dom is not None else self.default_domain(t)
        labels = t.labels if isinstance(t, IntType) else ()
        self.slots.append(SlotRec(name, lo, hi, init, kind, thread, t, auto, labels, func, var))
        return len(self.slots) - 1

    def define_global(self, decl: c_ast.Decl, t: CType) -> None:
        name = decl.name
        if isinstance(t, VoidType):
            raise self.error(f"global '{name}' has type void", decl)
        if isinstance(t, StructType) and not t.complete:
            raise self.error(f"global '{name}' has incomplete type {type_name(t)}", decl)
        quals = set(decl.quals or [])
        if "const" in quals and isinstance(t, IntType) and decl.init is not None:
            self.consts[name] = (self.const_eval(decl.init), t)
            return
        dom = self.range_for(decl, name)
        inits = self.flatten_init(decl.init, t, decl) if decl.init is not None else None
        base = len(self.slots)
        for k, (lname, lt, ldom) in enumerate(leaves(t, name)):
            d = ldom if ldom is not None else dom
            if isinstance(lt, PtrType) and isinstance(lt.target, VoidType):
                raise self.error(f"'{lname}' is a void pointer; only typed pointers are supported", decl)
            init = inits[k] if inits is not None else 0
            sl = self.new_slot(lname, lt, init, ir.GLOBAL, dom=d)
            self.slots[sl].coord = decl.coord
        self.globals[name] = (base, t)

    def flatten_init(self, init, t: CType, decl) -> list[int]:
        """Initial values of every leaf slot of ``t`` from a C initializer."""
        if isinstance(t, (ArrayType, StructType)):
            if not isinstance(init, c_ast.InitList):
                raise self.error("aggregate needs a brace initializer", init)
            out: list[int] = []
            if isinstance(t, ArrayType):
                exprs = list(init.exprs)
                if len(exprs) > t.length:
                    raise self.error("too many initializers", init)
                for i in range(t.length):
                    if i < len(exprs):
                        if isinstance(exprs[i], c_ast.NamedInitializer):
                            raise self.error("designated initializers are not supported for arrays", exprs[i])
                        out += self.flatten_init(exprs[i], t.elem, decl)
                    else:
                        out += [0] * t.elem.size
                return out
            vals: dict[str, object] = {}
            pos = 0
            for e in init.exprs:
                if isinstance(e, c_ast.NamedInitializer):
                    fname = e.name[0].name
                    if t.field(fname) is None:
                        raise self.error(f"{type_name(t)} has no field '{fname}'", e)
                    vals[fname] = e.expr
                    pos = [f[0] for f in t.fields].index(fname) + 1
                else:
                    if pos >= len(t.fields):
                        raise self.error("too many initializers", e)
                    vals[t.fields[pos][0]] = e
                    pos += 1
            for fname, ftype, _ in t.fields:
                if fname in vals:
                    out += self.flatten_init(vals[fname], ftype, decl)
                else:
                    out += [0] * ftype.size
            return out
        if isinstance(init, c_ast.InitList):
            if len(init.exprs) != 1:
                raise self.error("scalar initializer with several values", init)
            init = init.exprs[0]
        if isinstance(t, PtrType):
            return [self.const_pointer(init, t)]
        v = self.const_eval(init)
        if isinstance(t, IntType) and t.is_bool:
            v = int(bool(v))
        return [v]

    def const_pointer(self, init, t: PtrType) -> int:
        """A pointer-valued initializer: NULL or &global[...]."""
        if self._is_null(init):
            return 0
        if isinstance(init, c_ast.UnaryOp) and init.op == "&":
            place = self.static_place(init.expr)
            if place is not None:
                return self.code_of(place, t.target, init)
        raise self.error("pointer initializers must be NULL or &global", init)

    def static_place(self, node) -> Place | None:
        """The place of a global designator with constant indices, else None."""
        if isinstance(node, c_ast.ID) and node.name in self.globals:
            base, t = self.globals[node.name]
            return Place(t, base=base)
        if isinstance(node, c_ast.ArrayRef):
            p = self.static_place(node.name)
            if p is None or not isinstance(p.type, ArrayType):
                return None
            i = self.const_eval(node.subscript)
            if not 0 <= i < p.type.length:
                raise self.error(f"index {i} out of bounds (0..{p.type.length - 1})", node.subscript)
            return Place(p.type.elem, base=p.base + i * p.type.elem.size)
        if isinstance(node, c_ast.StructRef) and node.type == ".":
            p = self.static_place(node.name)
            if p is None or not isinstance(p.type, StructType):
                return None
            f = p.type.field(node.field.name)
            if f is None:
                return None
            return Place(f[1], base=p.base + f[0])
        return None

    # ------------------------------------------------------------------
    # pointer and array tables
    # ------------------------------------------------------------------
    def ptable(self, target: CType, node) -> int:
        """The pointer table for pointers to ``target`` (built on first use)."""
        key = pointee_key(target)
        if key in self.ptables:
            return self.ptables[key]
        if isinstance(target, VoidType):
            raise self.error("cannot dereference a void pointer", node)
        groups: list[list[tuple[int, str]]] = []

        def walk(t, base, name):
            if isinstance(t, ArrayType):
                esz = t.elem.size
                if pointee_key(t.elem) == key:
                    groups.append([(base + i * esz, f"{name}[{i}]") for i in range(t.length)])
                else:
                    for i in range(t.length):
                        walk(t.elem, base + i * esz, f"{name}[{i}]")
            elif pointee_key(t) == key:
                groups.append([(base, name)])
            elif isinstance(t, StructType):
                off = 0
                for fname, ftype, _ in t.fields:
                    walk(ftype, base + off, f"{name}.{fname}")
                    off += ftype.size

        for gname, (base, t) in self.globals.items():
            walk(t, base, gname)
        slots = [NULL_ENTRY]
        glo = [0]
        gend = [0]
        names = ["NULL"]
        codes: dict[int, int] = {}
        for g in groups:
            first = len(slots)
            end = first + len(g)
            for base, nm in g:
                codes.setdefault(base, len(slots))
                slots.append(base)
                glo.append(first)
                gend.append(end)
                names.append(f"&{nm}")
            last = g[-1][1]
            slots.append(END_ENTRY)
            glo.append(first)
            gend.append(end)
            names.append(f"&{last}+1")
        tname = f"pointers to {type_name(target)}"
        self.tables.append(ir.Table(tname, tuple(slots), tuple(glo), tuple(gend), tuple(names)))
        idx = len(self.tables) - 1
        self.global_tables.add(idx)
        self.ptables[key] = idx
        self.ptable_code[key] = codes
        return idx

    def code_of(self, place: Place, target: CType, node) -> int:
        """Pointer value of the object at a static place."""
        t = place.type
        base = place.base
        if isinstance(t, ArrayType):
            t = t.elem
        if not same_pointee(t, target):
            raise self.error(f"pointer to {type_name(target)} cannot point to {type_name(t)}", node)
        self.ptable(t, node)
        code = self.ptable_code[pointee_key(t)].get(base)
        if code is None:
            raise self.error("only global objects can be pointed to", node)
        return code

    def array_table(self, place: Place, node) -> int:
        t = place.type
        key = (place.base, t.length, t.elem.size)
        if key in self.array_tables:
            return self.array_tables[key]
        first = self.slots[place.base]
        slots = tuple(place.base + i * t.elem.size for i in range(t.length))
        self.tables.append(ir.Table(f"{first.name.split('[')[0]}[]", slots))
        idx = len(self.tables) - 1
        if first.kind == ir.GLOBAL:
            self.global_tables.add(idx)
        self.array_tables[key] = idx
        return idx

    # ------------------------------------------------------------------
    # CFG construction
    # ------------------------------------------------------------------
    def emit(self, cls, **fields) -> int:
        fields.setdefault("loc", self.loc)
        fields.setdefault("region", self.region)
        rec = [cls, fields]
        self.nodes.append(rec)
        idx = len(self.nodes) - 1
        for (i, f) in self.cur:
            self.nodes[i][1][f] = idx
        if cls is Branch:
            self.cur = []
        elif cls is Exit:
            self.cur = []
        else:
            fields["next"] = None
            self.cur = [(idx, "next")]
        return idx

    def patch(self, holes, target: int) -> None:
        for (i, f) in holes:
            self.nodes[i][1][f] = target

    @contextmanager
    def atomic(self):
        """Make what is emitted inside one atomic region (one step)."""
        if self.region:  # already atomic, or ghost code (which is never split)
            yield
            return
        self.region_counter += 1
        self.region = self.region_counter
        self.emit(Jump)
        try:
            yield
        finally:
            self.region = 0

    # ------------------------------------------------------------------
    # shared accesses
    # ------------------------------------------------------------------
    def is_shared_slot(self, s: int) -> bool:
        """Accessing slot ``s`` is a shared access (a global, not ghost state)."""
        return self.slots[s].kind == ir.GLOBAL and not ir.is_ghost_name(self.slots[s].name)

    def is_shared_mem(self, m: Mem) -> bool:
        """A run-time access through a table touches shared state (not only ghost slots)."""
        if m.table not in self.global_tables:
            return False
        return any(self.is_shared_slot(x + m.offset) for x in self.tables[m.table].slots if x >= 0)

    def shared_reads(self, e, out: list) -> None:
        """Collect shared reads of ``e`` in evaluation order (innermost first)."""
        if isinstance(e, Var):
            if self.is_shared_slot(e.slot):
                out.append(e)
        elif isinstance(e, Mem):
            self.shared_reads(e.index, out)
            if self.is_shared_mem(e):
                out.append(e)
        elif isinstance(e, Unary):
            self.shared_reads(e.arg, out)
        elif isinstance(e, (Binary, PtrDiff)):
            self.shared_reads(e.left, out)
            self.shared_reads(e.right, out)
        elif isinstance(e, PtrAdd):
            self.shared_reads(e.ptr, out)
            self.shared_reads(e.delta, out)
        elif isinstance(e, Cond):
            self.shared_reads(e.cond, out)
            self.shared_reads(e.then, out)
            self.shared_reads(e.orelse, out)

    def has_shared(self, e) -> bool:
        out: list = []
        self.shared_reads(e, out)
        return bool(out)

    def split(self, exprs: list, dst=None):
        """Hoist shared reads into temporaries until at most one shared access remains.

        Returns ``(exprs, dst)`` rewritten. Inside an atomic region nothing is split.
        """
        if self.region:
            return exprs, dst
        while True:
            reads: list = []
            for e in exprs:
                self.shared_reads(e, reads)
            n = len(reads)
            if dst is not None:
                if isinstance(dst, Mem):
                    idx_reads: list = []
                    self.shared_reads(dst.index, idx_reads)
                    n += int(self.is_shared_mem(dst)) + len(idx_reads)
                    reads = reads + idx_reads
                elif self.is_shared_slot(dst.slot):
                    n += 1
            if n <= 1:
                return exprs, dst
            victim = reads[0]
            t = self.temp_for(victim)
            self._emit_assign_raw(Var(t), victim)
            exprs = [_replace(e, victim, Var(t)) for e in exprs]
            if isinstance(dst, Mem):
                dst = Mem(dst.table, _replace(dst.index, victim, Var(t)), dst.offset)

    def temp_for(self, e) -> int:
        """A fresh temporary (its domain grows to cover what is stored)."""
        ctx = self.ctx
        key = (self.owner_name, ctx.name if ctx else self.routine_name, ctx.temp_next if ctx else 0)
        if ctx is not None:
            ctx.temp_next += 1
        pool = self.temp_pool
        if key not in pool:
            fname = ctx.name if ctx else self.routine_name
            s = self.new_slot(f"{self.owner_name}.{fname}.tmp{key[2]}", INT, None, self.slot_kind,
                              thread=self.owner, auto=True, func=fname, var=f"tmp{key[2]}")
            self.slots[s].role = "temp"
            pool[key] = s
            self.local_slots.append(s)
        return pool[key]

    def _emit_assign_raw(self, dst, value) -> None:
        if self.ghost_depth and not self._ghost_target(dst):
            raise HugemcError("GHOST code may only write ghost state (ghost_* names) and locals",
                              SourceLoc(self.loc.file, self.loc.line, self.loc.col),
                              hint="move the real update out of the GHOST block")
        self.emit(Assign, dst=dst, value=value)
        if isinstance(dst, Var) and self.slots[dst.slot].auto:
            self.note_auto(dst.slot, value)

    def _ghost_target(self, dst) -> bool:
        if isinstance(dst, Var):
            sl = self.slots[dst.slot]
            return sl.kind != ir.GLOBAL or ir.is_ghost_name(sl.name)
        return not self.is_shared_mem(dst)

    def note_auto(self, slot: int, value) -> None:
        self.auto_sources.setdefault(slot, []).append(value)

    def emit_assign(self, dst, value) -> None:
        """Emit ``dst = value`` with at most one shared access outside atomic regions."""
        (value,), dst = self.split([value], dst)
        self._emit_assign_raw(dst, value)

    def emit_cond_node(self, cls, cond, **fields) -> int:
        (cond,), _ = self.split([cond])
        return self.emit(cls, cond=cond, **fields)

    def pin(self, e):
        """Evaluate ``e`` now into a temporary if it reads shared state."""
        if self.region or not self.has_shared(e):
            return e
        t = self.temp_for(e)
        self.emit_assign(Var(t), e)
        return Var(t)

    # ------------------------------------------------------------------
    # functions, threads, routines
    # ------------------------------------------------------------------
    def lower_all(self, thread_names: list[str], thread_calls: list[str]) -> None:
        """Lower every thread, property and the init routine."""
        self.temp_pool: dict = {}
        self.local_cache: dict = {}
        self.auto_sources: dict = {}
        self.ctx: FuncCtx | None = None
        self.thread_nodes = []
        for tid, fdef in sorted(self.threads_ast, key=lambda x: x[0]):
            self.owner = tid
            self.owner_name = thread_names[tid]
            self.slot_kind = ir.LOCAL
            self.local_slots = []
            pc = self.new_slot(f"{self.owner_name}.pc", INT, 0, ir.PC, thread=tid)
            nodes, entry = self.lower_routine(fdef)
            self.thread_nodes.append((tid, pc, nodes, entry, list(self.local_slots)))
        self.prop_routines = []
        self.slot_kind = ir.SCRATCH
        self.owner = None
        for pname, kind, fdef in self.properties_ast:
            self.owner_name = pname
            self.local_slots = []
            ret = self.new_slot(f"{pname}.result", BOOL, None, ir.SCRATCH)
            nodes, entry = self.lower_routine(fdef, ret_slot=ret, ret_type=BOOL)
            self.check_pure(nodes, pname, fdef)
            self.prop_routines.append((pname, kind, fdef, nodes, entry, ret))
        self.init_routine = None
        if self.init_ast is not None:
            self.owner_name = "init"
            nodes, entry = self.lower_routine(self.init_ast)
            self.init_routine = (nodes, entry)

    def lower_routine(self, fdef: c_ast.FuncDef, ret_slot=None, ret_type=VOID):
        self.nodes = []
        self.cur = []
        self.region = 0
        self.loc = self.mkloc(fdef)
        self.call_stack = []
        self.routine_name = fdef.decl.name
        start = self.emit(Jump)
        self.inline_body(fdef, [], ret_slot, ret_type, fdef)
        self.loc = ir.NOLOC  # returning is not a line of the model
        self.emit(Exit)
        return self.finish_cfg(start)

    def check_pure(self, nodes, pname, fdef) -> None:
        for cls, f in nodes:
            dst = f.get("dst")
            if cls in (Assign, Choose):
                if isinstance(dst, Mem) or (isinstance(dst, Var) and self.slots[dst.slot].kind != ir.SCRATCH):
                    loc = f["loc"]
                    raise HugemcError(f"property '{pname}' changes the state", SourceLoc(loc.file, loc.line, loc.col),
                                      hint="properties must be side-effect free: only read globals")
            if cls is Choose:
                loc = f["loc"]
                raise HugemcError(f"property '{pname}' makes a nondeterministic choice",
                                  SourceLoc(loc.file, loc.line, loc.col), hint="properties must be deterministic")

    def finish_cfg(self, start: int):
        """Collapse no-op jumps, drop unreachable nodes, renumber from 0."""
        nodes = self.nodes
        for i, (cls, f) in enumerate(nodes):
            for k in ("next", "then", "orelse"):
                if k in f and f[k] is None:
                    raise AssertionError(f"dangling edge at node {i} ({cls.__name__}.{k})")

        def skip(t: int) -> int:
            seen = set()
            while nodes[t][0] is Jump and nodes[t][1]["region"] == 0 and t not in seen:
                seen.add(t)
                t = nodes[t][1]["next"]
            return t

        for cls, f in nodes:
            for k in ("next", "then", "orelse"):
                if k in f:
                    f[k] = skip(f[k])
        start = skip(start)
        order = []
        seen = {start}
        stack = [start]
        while stack:
            i = stack.pop()
            order.append(i)
            cls, f = nodes[i]
            succ = [f[k] for k in ("next", "then", "orelse") if k in f]
            for s in reversed(succ):
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        order.sort()
        renum = {old: new for new, old in enumerate(order)}
        out = []
        for old in order:
            cls, f = nodes[old]
            g = dict(f)
            for k in ("next", "then", "orelse"):
                if k in g:
                    g[k] = renum[g[k]]
            out.append((cls, g))
        return out, renum[start]

    def inline_body(self, fdef: c_ast.FuncDef, args: list, ret_slot, ret_type, call_node) -> None:
        name = fdef.decl.name
        if name in self.call_stack:
            chain = " -> ".join(n for n in self.call_stack + [name] if not n.startswith("__hugemc_"))
            raise self.error(f"recursion is not supported: {chain}", call_node,
                             hint="models are inlined; rewrite the recursion as a loop")
        self.call_stack.append(name)
        outer_ctx = self.ctx
        ctx = FuncCtx(name, [{}], ret_slot, ret_type, [], {}, [], [])
        self.ctx = ctx
        ftype = fdef.decl.type
        params = ftype.args.params if ftype.args is not None else []
        real = [p for p in params if not (isinstance(p, c_ast.Typename) or
                                          (isinstance(p, c_ast.Decl) and p.name is None))]
        if len(real) != len(args):
            self.ctx = outer_ctx
            raise self.error(f"'{name}' takes {len(real)} argument(s), {len(args)} given", call_node,
                             hint=f"see its definition at {_coord(fdef.decl)}")
        # bind parameters (arguments were evaluated by the caller, in its context)
        written = _written_names(fdef.body)
        for p, (aexpr, atype, anode) in zip(real, args):
            if isinstance(p, c_ast.EllipsisParam):
                raise self.error("variadic functions are not supported", p)
            pt = self.resolve_type(p.type, p)
            if isinstance(pt, (StructType, ArrayType)):
                raise self.error("struct and array parameters are not supported", p,
                                 hint="pass a pointer to a global instead")
            if p.name not in written and self._can_alias(pt, aexpr, atype):
                # the callee never assigns this parameter: it names the argument itself
                self.ctx.scopes[-1][p.name] = (aexpr, pt) if isinstance(aexpr, Const) else (aexpr.slot, pt)
                continue
            slot = self.declare_local(p.name, pt, p)
            self.slots[slot].role = "param"
            self.loc = self.mkloc(call_node)
            self.store(Place(pt, base=slot), aexpr, atype, anode)
        self.lower_stmt(fdef.body)
        for (hole, label, gnode) in ctx.gotos:
            if label not in ctx.labels:
                raise self.error(f"label '{label}' is not defined in '{name}'", gnode,
                                 hint=did_you_mean(label, ctx.labels))
            target, region = ctx.labels[label]
            src_region = self.nodes[hole[0]][1]["region"]
            if region and region != src_region:
                raise self.error("goto into an ATOMIC block from outside it", gnode)
            self.patch([hole], target)
        self.cur = self.cur + ctx.ret_holes
        self.ctx = outer_ctx
        self.call_stack.pop()

    def _can_alias(self, pt, aexpr, atype) -> bool:
        """Whether a parameter can simply name its argument (a constant or a caller's local)."""
        if isinstance(aexpr, Const):
            if isinstance(pt, PtrType):
                return aexpr.value == 0 or isinstance(atype, PtrType)
            if isinstance(pt, IntType) and pt.is_bool:
                return aexpr.value in (0, 1)
            lo, hi = self.default_domain(pt) if isinstance(pt, IntType) else (0, 0)
            return lo <= aexpr.value <= hi
        if not isinstance(aexpr, Var) or self.slots[aexpr.slot].kind == ir.GLOBAL:
            return False
        at = self.slots[aexpr.slot].ctype
        if isinstance(pt, PtrType):
            return isinstance(at, PtrType) and same_pointee(pt.target, at.target)
        if isinstance(pt, IntType) and isinstance(at, IntType):
            return not pt.is_bool or at.is_bool
        return False

    def declare_local(self, name: str, t: CType, node, dom=None) -> int:
        if isinstance(t, (StructType, ArrayType)) and not self._local_aggregate_ok(t):
            raise self.error(f"local '{name}' of type {type_name(t)} is not supported", node,
                             hint="make it a global, or use scalars and pointers")
        if isinstance(t, VoidType):
            raise self.error(f"'{name}' has type void", node)
        if isinstance(t, PtrType) and isinstance(t.target, VoidType):
            raise self.error(f"'{name}' is a void pointer; only typed pointers are supported", node)
        if dom is None:
            dom = self.range_for(node, name)
        fname = self.ctx.name
        # one set of slots per declaration and thread, shared by every inlined
        # call (calls never overlap: there is no recursion)
        c = getattr(node, "coord", None)
        key = (self.owner, self.owner_name, self.slot_kind, fname, name,
               (c.file, c.line, c.column) if c is not None else None)
        if key in self.local_cache:
            base = self.local_cache[key]
        else:
            base = len(self.slots)
            for lname, lt, ldom in leaves(t, name):
                s = self.new_slot(f"{self.owner_name}.{fname}.{lname}", lt, None, self.slot_kind,
                                  thread=self.owner, dom=ldom or dom, func=fname, var=lname)
                self.local_slots.append(s)
            self.local_cache[key] = base
        self.ctx.scopes[-1][name] = (base, t)
        return base

    def _local_aggregate_ok(self, t) -> bool:
        return isinstance(t, ArrayType) and is_scalar(t.elem)

    # ------------------------------------------------------------------
    # statements
    # ------------------------------------------------------------------
    def lower_stmt(self, s) -> None:
        if s is None:
            return
        self.loc = self.mkloc(s)
        if self.ctx is not None:
            self.ctx.temp_next = 0
        m = getattr(self, f"stmt_{type(s).__name__}", None)
        if m is None:
            if isinstance(s, (c_ast.Constant, c_ast.ID)):
                return  # an expression statement without effect
            if _is_expr(s):
                self.lower_expr(s, used=False)
                return
            raise self.error(f"unsupported statement ({type(s).__name__})", s)
        m(s)

    def stmt_Compound(self, s) -> None:
        self.ctx.scopes.append({})
        for item in s.block_items or []:
            self.lower_stmt(item)
        self.ctx.scopes.pop()

    def stmt_Decl(self, s) -> None:
        if isinstance(s.type, c_ast.FuncDecl):
            return
        if "static" in (s.storage or []):
            raise self.error("static locals are not supported", s, hint="use a global variable")
        if s.name is None:
            self.resolve_type(s.type, s)
            return
        t = self.resolve_type(s.type, s)
        slot = self.declare_local(s.name, t, s)
        if s.init is not None:
            if isinstance(s.init, c_ast.InitList):
                if not isinstance(t, ArrayType):
                    raise self.error("brace initializer for a scalar", s.init)
                vals = list(s.init.exprs)
                for i in range(t.length):
                    if i < len(vals):
                        e, et = self.rvalue(vals[i])
                        self.store(Place(t.elem, base=slot + i), e, et, vals[i])
                    else:
                        self.store(Place(t.elem, base=slot + i), Const(0), INT, s)
                return
            e, et = self.rvalue(s.init)
            self.store(Place(t, base=slot), e, et, s.init)

    def stmt_DeclList(self, s) -> None:
        for d in s.decls:
            self.stmt_Decl(d)

    def stmt_EmptyStatement(self, s) -> None:
        return

    def stmt_Return(self, s) -> None:
        ctx = self.ctx
        if s.expr is not None:
            if isinstance(ctx.ret_type, VoidType):
                e, et = self.lower_expr(s.expr)
                if not isinstance(et, VoidType):
                    raise self.error(f"'{ctx.name}' returns void but a value is returned", s)
            else:
                e, et = self.rvalue(s.expr)
                if ctx.ret_slot is not None:
                    self.store(Place(ctx.ret_type, base=ctx.ret_slot), e, et, s.expr)
        elif not isinstance(ctx.ret_type, VoidType) and ctx.ret_slot is not None:
            raise self.error(f"'{ctx.name}' must return a value", s)
        if self.cur:
            j = self.emit(Jump)
            self.cur = []
            ctx.ret_holes.append((j, "next"))

    def stmt_If(self, s) -> None:
        if isinstance(s.cond, c_ast.ID) and s.cond.name == ATOMIC_MARK:
            if s.iffalse is not None:
                raise self.error("ATOMIC blocks have no else", s)
            with self.atomic():
                self.lower_stmt(s.iftrue)
            return
        if isinstance(s.cond, c_ast.ID) and s.cond.name == GHOST_MARK:
            if s.iffalse is not None:
                raise self.error("GHOST blocks have no else", s)
            saved = self.region
            if saved == 0:
                self.region = GHOST_REGION
            self.ghost_depth += 1
            try:
                self.lower_stmt(s.iftrue)
            finally:
                self.ghost_depth -= 1
                self.region = saved
            return
        t, f = self.lower_condition(s.cond)
        self.cur = t
        self.lower_stmt(s.iftrue)
        after = self.cur
        self.cur = f
        if s.iffalse is not None:
            self.lower_stmt(s.iffalse)
        self.cur = after + self.cur

    def loop_head(self) -> int:
        return self.emit(Jump)

    def stmt_While(self, s) -> None:
        head = self.loop_head()
        t, f = self.lower_condition(s.cond)
        self.cur = t
        self.ctx.loops.append(([], head))
        self.lower_stmt(s.stmt)
        breaks, _ = self.ctx.loops.pop()
        self.patch(self.cur, head)
        self.cur = f + breaks

    def stmt_DoWhile(self, s) -> None:
        head = self.loop_head()
        conts: list = []
        self.ctx.loops.append(([], conts))
        self.lower_stmt(s.stmt)
        breaks, _ = self.ctx.loops.pop()
        self.cur = self.cur + conts
        self.loc = self.mkloc(s.cond)
        t, f = self.lower_condition(s.cond)
        self.patch(t, head)
        self.cur = f + breaks

    def stmt_For(self, s) -> None:
        self.ctx.scopes.append({})
        if s.init is not None:
            if isinstance(s.init, c_ast.DeclList):
                self.stmt_DeclList(s.init)
            else:
                self.lower_expr(s.init, used=False)
        head = self.loop_head()
        if s.cond is not None:
            t, f = self.lower_condition(s.cond)
        else:
            t, f = self.cur, []
        self.cur = t
        conts: list = []
        self.ctx.loops.append(([], conts))
        self.lower_stmt(s.stmt)
        breaks, _ = self.ctx.loops.pop()
        self.cur = self.cur + conts
        if s.next is not None:
            self.loc = self.mkloc(s.next)
            self.lower_expr(s.next, used=False)
        self.patch(self.cur, head)
        self.cur = f + breaks
        self.ctx.scopes.pop()

    def stmt_Break(self, s) -> None:
        if not self.ctx.loops:
            raise self.error("break outside a loop or switch", s)
        if self.cur:
            j = self.emit(Jump)
            self.ctx.loops[-1][0].append((j, "next"))
        self.cur = []

    def stmt_Continue(self, s) -> None:
        loops = [lp for lp in self.ctx.loops if lp[1] is not None]
        if not loops:
            raise self.error("continue outside a loop", s)
        target = loops[-1][1]
        if self.cur:
            j = self.emit(Jump)
            if isinstance(target, list):
                target.append((j, "next"))
            else:
                self.patch([(j, "next")], target)
        self.cur = []

    def stmt_Goto(self, s) -> None:
        if self.cur:
            j = self.emit(Jump)
            self.ctx.gotos.append(((j, "next"), s.name, s))
        self.cur = []

    def stmt_Label(self, s) -> None:
        if s.name in self.ctx.labels:
            raise self.error(f"label '{s.name}' defined twice", s)
        j = self.emit(Jump)
        self.ctx.labels[s.name] = (j, self.region)
        self.lower_stmt(s.stmt)

    def stmt_Switch(self, s) -> None:
        e, et = self.rvalue(s.cond)
        e = self.pin(e)
        if not isinstance(e, (Const, Var)):
            t = self.temp_for(e)
            self.emit_assign(Var(t), e)
            e = Var(t)
        body = s.stmt.block_items if isinstance(s.stmt, c_ast.Compound) else [s.stmt]
        body = body or []
        # flatten nested case labels: case A: case B: stmt
        cases = []  # (value or None, [stmts])
        for item in body:
            if isinstance(item, (c_ast.Case, c_ast.Default)):
                stmts = list(item.stmts or [])
                val = None if isinstance(item, c_ast.Default) else self.const_eval(item.expr)
                cases.append((val, stmts, item))
                # case A: case B: -> nested
                while stmts and isinstance(stmts[0], (c_ast.Case, c_ast.Default)):
                    inner = stmts.pop(0)
                    ival = None if isinstance(inner, c_ast.Default) else self.const_eval(inner.expr)
                    cases.append((ival, list(inner.stmts or []), inner))
            else:
                if not cases:
                    raise self.error("statement before the first case label", item)
                cases[-1][1].append(item)
        # dispatch chain
        entry_holes: list[list] = [[] for _ in cases]
        default_idx = None
        for k, (val, _, cnode) in enumerate(cases):
            if val is None:
                if default_idx is not None:
                    raise self.error("two default labels", cnode)
                default_idx = k
                continue
            self.loc = self.mkloc(cnode)
            b = self.emit(Branch, cond=Binary("==", e, Const(val)), then=None, orelse=None)
            entry_holes[k].append((b, "then"))
            self.cur = [(b, "orelse")]
        fallout = self.cur
        if default_idx is not None:
            entry_holes[default_idx] += fallout
            fallout = []
        self.ctx.loops.append(([], None))
        self.cur = []
        for k, (val, stmts, cnode) in enumerate(cases):
            self.cur = self.cur + entry_holes[k]
            for st in stmts:
                self.lower_stmt(st)
        breaks, _ = self.ctx.loops.pop()
        self.cur = self.cur + breaks + fallout

    # ------------------------------------------------------------------
    # conditions (jumping code for && || !)
    # ------------------------------------------------------------------
    def lower_condition(self, e) -> tuple[list, list]:
        """Emit branches for condition ``e``; return (true holes, false holes)."""
        if isinstance(e, c_ast.UnaryOp) and e.op == "!":
            t, f = self.lower_condition(e.expr)
            return f, t
        if isinstance(e, c_ast.BinaryOp) and e.op == "&&":
            ta, fa = self.lower_condition(e.left)
            self.cur = ta
            tb, fb = self.lower_condition(e.right)
            return tb, fa + fb
        if isinstance(e, c_ast.BinaryOp) and e.op == "||":
            ta, fa = self.lower_condition(e.left)
            self.cur = fa
            tb, fb = self.lower_condition(e.right)
            return ta + tb, fb
        v, vt = self.rvalue(e)
        if isinstance(v, Const):
            return (self.cur, []) if v.value else ([], self.cur)
        b = self.emit_cond_node(Branch, v, then=None, orelse=None)
        return [(b, "then")], [(b, "orelse")]

    # ------------------------------------------------------------------
    # expressions
    # ------------------------------------------------------------------
    def rvalue(self, node):
        """Lower ``node`` to a value (arrays decay to pointers)."""
        e, t = self.lower_expr(node)
        if isinstance(t, VoidType):
            raise self.error("a void expression has no value", node)
        if isinstance(t, StructType):
            raise self.error("struct values are not supported", node,
                             hint="access a field, or use a pointer to the struct")
        return e, t

    def lower_expr(self, node, used: bool = True):
        """Lower an expression; returns (IR expression, C type). May emit nodes."""
        m = getattr(self, f"expr_{type(node).__name__}", None)
        if m is None:
            raise self.error(f"unsupported expression ({type(node).__name__})", node)
        return m(node, used) if m.__code__.co_argcount == 3 else m(node)

    def expr_Constant(self, node):
        if node.type == "string":
            raise self.error("string literals are only allowed in pr_*() and printk()", node)
        return Const(self.parse_constant(node)), INT

    def expr_ID(self, node):
        name = node.name
        if self.ctx is not None:
            for scope in reversed(self.ctx.scopes):
                if name in scope:
                    base, t = scope[name]
                    if isinstance(base, Const):
                        return base, t
                    return self.read_place(Place(t, base=base), node)
        if name in self.consts:
            v, t = self.consts[name]
            return Const(v), t
        if name in self.enum_consts:
            return Const(self.enum_consts[name]), INT
        if name in self.globals:
            base, t = self.globals[name]
            return self.read_place(Place(t, base=base), node)
        if name in ("true", "false"):
            return Const(1 if name == "true" else 0), BOOL
        if name in self.functions or name in BUILTINS:
            raise self.error(f"function '{name}' used as a value", node,
                             hint="function pointers are not supported; call it")
        cands = list(self.globals) + list(self.enum_consts) + list(self.consts)
        if self.ctx is not None:
            for scope in self.ctx.scopes:
                cands += list(scope)
        raise self.error(f"unknown identifier '{name}'", node, hint=did_you_mean(name, cands))

    def read_place(self, p: Place, node):
        """The value of a place: scalars are read, arrays decay to a pointer."""
        t = p.type
        if isinstance(t, ArrayType):
            return self.address_of(p, node), PtrType(t.elem)
        if isinstance(t, StructType):
            return p, t  # only usable under . -> &
        return self.place_expr(p), t

    def place_expr(self, p: Place):
        if p.base is not None:
            return Var(p.base)
        return Mem(p.table, p.index, p.offset)

    def lvalue(self, node) -> Place:
        """The place an lvalue expression designates."""
        if isinstance(node, c_ast.ID):
            name = node.name
            if self.ctx is not None:
                for scope in reversed(self.ctx.scopes):
                    if name in scope:
                        base, t = scope[name]
                        if isinstance(base, Const):
                            raise self.error(f"'{name}' is not assignable here", node)  # pragma: no cover
                        return Place(t, base=base)
            if name in self.globals:
                base, t = self.globals[name]
                return Place(t, base=base)
            if name in self.consts:
                raise self.error(f"'{name}' is const", node)
            if name in self.enum_consts:
                raise self.error(f"'{name}' is an enum constant, not a variable", node)
            raise self.error(f"unknown identifier '{name}'", node,
                             hint=did_you_mean(name, list(self.globals)))
        if isinstance(node, c_ast.ArrayRef):
            base = self.lvalue_or_pointer(node.name)
            if isinstance(base, Place):
                if not isinstance(base.type, ArrayType):
                    raise self.error("subscript of something that is not an array or pointer", node)
                return self.index_place(base, node.subscript, node)
            ptr, pt = base
            idx, it = self.rvalue(node.subscript)
            tab = self.ptable(pt.target, node)
            return Place(pt.target, table=tab, index=PtrAdd(tab, ptr, idx), offset=0)
        if isinstance(node, c_ast.StructRef):
            if node.type == "->":
                ptr, pt = self.rvalue(node.name)
                if not isinstance(pt, PtrType) or not isinstance(pt.target, StructType):
                    raise self.error(f"'->' on a non-struct-pointer ({type_name(pt)})", node)
                base = self.deref_place(ptr, pt, node)
            else:
                base = self.lvalue(node.name)
                if not isinstance(base.type, StructType):
                    raise self.error(f"'.' on a non-struct ({type_name(base.type)})", node)
            st = base.type
            f = st.field(node.field.name)
            if f is None:
                raise self.error(f"{type_name(st)} has no field '{node.field.name}'", node.field,
                                 hint=did_you_mean(node.field.name, [x[0] for x in st.fields]))
            off, ft, _ = f
            if base.base is not None:
                return Place(ft, base=base.base + off)
            return Place(ft, table=base.table, index=base.index, offset=base.offset + off)
        if isinstance(node, c_ast.UnaryOp) and node.op == "*":
            ptr, pt = self.rvalue(node.expr)
            if not isinstance(pt, PtrType):
                raise self.error("dereference of a non-pointer", node)
            return self.deref_place(ptr, pt, node)
        raise self.error(f"'{self.text(node)}' is not assignable", node)

    def lvalue_or_pointer(self, node):
        """For ``x[i]``: the array place, or (pointer expr, type) when ``x`` is a pointer."""
        try_place = None
        if isinstance(node, (c_ast.ID, c_ast.StructRef, c_ast.ArrayRef)):
            if isinstance(node, c_ast.ID) and not self._is_variable(node.name):
                try_place = None
            else:
                try_place = self.lvalue(node)
        if try_place is not None and isinstance(try_place.type, ArrayType):
            return try_place
        if try_place is not None and isinstance(try_place.type, PtrType):
            return self.place_expr(try_place), try_place.type
        e, t = self.rvalue(node)
        if not isinstance(t, PtrType):
            raise self.error("subscript of something that is not an array or pointer", node)
        return e, t

    def _is_variable(self, name: str) -> bool:
        if self.ctx is not None and any(name in s for s in self.ctx.scopes):
            return True
        return name in self.globals

    def index_place(self, base: Place, sub, node) -> Place:
        t = base.type
        idx, it = self.rvalue(sub)
        if isinstance(idx, Const) and 0 <= idx.value < t.length:
            i = idx.value
            if base.base is not None:
                return Place(t.elem, base=base.base + i * t.elem.size, array_base=(base, idx))
            return Place(t.elem, table=base.table, index=base.index, offset=base.offset + i * t.elem.size)
        if base.base is None:
            if isinstance(idx, Const):
                raise self.error(f"index {idx.value} out of bounds for an array of {t.length}", sub)
            raise self.error("a run-time index into an array reached through a pointer is not supported",
                             node, hint="index a global array directly, or use a pointer to its element")
        # (a constant index out of bounds gets here too: an error only if it is ever reached)
        tab = self.array_table(base, node)
        return Place(t.elem, table=tab, index=idx, offset=0, array_base=(base, idx))

    def deref_place(self, ptr, pt: PtrType, node) -> Place:
        if isinstance(pt.target, VoidType):
            raise self.error("cannot dereference a void pointer", node)
        tab = self.ptable(pt.target, node)
        if isinstance(ptr, Const) and ptr.value == 0:
            return Place(pt.target, table=tab, index=ptr, offset=0)
        return Place(pt.target, table=tab, index=ptr, offset=0)

    def address_of(self, p: Place, node):
        """The pointer value ``&place``."""
        t = p.type
        if p.base is not None:
            if self.slots[p.base].kind != ir.GLOBAL:
                raise self.error("cannot take the address of a local", node,
                                 hint="pointers may only point to global objects")
            elem_t = t.elem if isinstance(t, ArrayType) else t
            if p.array_base is not None and not isinstance(t, ArrayType):
                arr, idx = p.array_base
                first = self.code_of(Place(arr.type.elem, base=arr.base), elem_t, node)
                return Const(first + idx.value)
            return Const(self.code_of(p, elem_t, node))
        if p.array_base is not None:
            arr, idx = p.array_base
            elem_t = arr.type.elem
            first = self.code_of(Place(elem_t, base=arr.base), elem_t, node)
            tab = self.ptable(elem_t, node)
            return PtrAdd(tab, Const(first), idx)
        key = pointee_key(t)
        if p.offset == 0 and self.ptables.get(key) == p.table:
            return p.index  # &*ptr
        raise self.error("taking the address of a field reached through a pointer is not supported", node,
                         hint="pass the struct pointer and access the field in the callee")

    def expr_StructRef(self, node):
        p = self.lvalue(node)
        return self.read_place(p, node)

    def expr_ArrayRef(self, node):
        p = self.lvalue(node)
        return self.read_place(p, node)

    def expr_Cast(self, node):
        t = self.resolve_type(node.to_type.type, node)
        if isinstance(t, PtrType):
            if self._is_null(node.expr):
                return Const(0), t
            e, et = self.rvalue(node.expr)
            if isinstance(et, PtrType) and same_pointee(et.target, t.target):
                return e, t
            raise self.error("pointer casts are not supported", node)
        if isinstance(t, VoidType):
            e, et = self.lower_expr(node.expr, used=False)
            return e, VOID
        e, et = self.rvalue(node.expr)
        if isinstance(et, PtrType):
            raise self.error("casting a pointer to an integer is not supported", node,
                             hint="subtract the array's base pointer to get an index")
        if isinstance(t, IntType) and t.is_bool:
            return _truth(e), BOOL
        return e, t

    def _is_null(self, node) -> bool:
        if isinstance(node, c_ast.Cast):
            return self._is_null(node.expr)
        return isinstance(node, c_ast.Constant) and node.type == "int" and self.parse_constant(node) == 0

    def expr_UnaryOp(self, node, used=True):
        op = node.op
        if op == "&":
            p = self.lvalue(node.expr)
            return self.address_of(p, node), PtrType(p.type)
        if op == "*":
            p = self.lvalue(node)
            return self.read_place(p, node)
        if op == "sizeof":
            raise self.error("sizeof is not supported", node, hint="use a #define for sizes and counts")
        if op in ("++", "--", "p++", "p--"):
            return self.incdec(node, op, used)
        e, t = self.rvalue(node.expr)
        if op == "!":
            return _fold(Unary("!", e)), BOOL
        if isinstance(t, PtrType):
            raise self.error(f"operator '{op}' on a pointer", node)
        if op == "-":
            return _fold(Unary("-", e)), INT
        if op == "+":
            return e, t
        if op == "~":
            return _fold(Unary("~", e)), t if not (isinstance(t, IntType) and t.is_bool) else INT
        raise self.error(f"unsupported operator '{op}'", node)

    def incdec(self, node, op, used):
        p = self.lvalue(node.expr)
        if not is_scalar(p.type):
            raise self.error(f"'{op}' on a non-scalar", node)
        cur = self.place_expr(p)
        delta = 1 if "+" in op else -1
        if isinstance(p.type, PtrType):
            tab = self.ptable(p.type.target, node)
            new = PtrAdd(tab, cur, Const(delta))
        else:
            new = Binary("+", cur, Const(delta))
        shared = self.region == 0 and (self.is_shared_mem(self.place_expr(p)) if p.base is None
                                       else self.is_shared_slot(p.base))
        post = op.startswith("p")
        if not used:
            self.emit_assign(self.place_expr(p), new)
            return Const(0), p.type
        if shared or post:
            old = self.temp_for(cur)
            self.emit_assign(Var(old), cur)
            newv = PtrAdd(new.ptable, Var(old), Const(delta)) if isinstance(new, PtrAdd) else \
                Binary("+", Var(old), Const(delta))
            self.emit_assign(self.place_expr(p), newv)
            return (Var(old) if post else newv), p.type
        self.emit_assign(self.place_expr(p), new)
        return self.place_expr(p), p.type

    def expr_BinaryOp(self, node, used=True):
        op = node.op
        if op in ("&&", "||"):
            return self.shortcircuit(node)
        a, at = self.rvalue(node.left)
        b, bt = self.rvalue(node.right)
        ap, bp = isinstance(at, PtrType), isinstance(bt, PtrType)
        if ap or bp:
            if op in ("+", "-") and ap and not bp:
                tab = self.ptable(at.target, node)
                d = b if op == "+" else _fold(Unary("-", b))
                return PtrAdd(tab, a, d), at
            if op == "+" and bp and not ap:
                tab = self.ptable(bt.target, node)
                return PtrAdd(tab, b, a), bt
            if op == "-" and ap and bp:
                if not same_pointee(at.target, bt.target):
                    raise self.error("subtracting pointers of different types", node)
                tab = self.ptable(at.target, node)
                return PtrDiff(tab, a, b), INT
            if op in ("==", "!=", "<", "<=", ">", ">="):
                if ap and bp and not same_pointee(at.target, bt.target):
                    raise self.error(f"comparing {type_name(at)} with {type_name(bt)}", node)
                if ap != bp and not (isinstance(a if bp else b, Const) and (a if bp else b).value == 0):
                    raise self.error("comparing a pointer with an integer", node, hint="compare with NULL")
                return Binary(op, a, b), BOOL
            raise self.error(f"operator '{op}' on pointers", node)
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return _fold(Binary(op, a, b)), BOOL
        if op in ("+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^"):
            if op in ("/", "%") and isinstance(b, Const) and b.value == 0:
                raise self.error("division by zero", node)
            rt = INT if not (isinstance(at, IntType) and not at.signed and isinstance(bt, IntType)
                             and not bt.signed) else UNSIGNED
            return _fold(Binary(op, a, b)), rt
        raise self.error(f"unsupported operator '{op}'", node)

    def fragment(self, node, lower):
        """Lower ``node`` detached from the current position.

        Returns (result, entry node or None, exit holes). Nothing emitted means
        the result is a pure expression. The entry is the node control reaches
        first (found through a sentinel hole), which is not always the first
        node emitted: a nested short-circuit emits its own right operand first.
        """
        saved = self.cur
        sentinel = len(self.nodes)
        self.nodes.append([Jump, {"next": None, "loc": self.loc, "region": self.region}])
        self.cur = [(sentinel, "next")]
        res = lower(node)
        entry = self.nodes[sentinel][1]["next"]
        if entry is None:
            self.nodes[sentinel][1]["next"] = sentinel  # unused: an unreachable self-loop, dropped later
            self.cur = saved
            return res, None, None
        exits = self.cur
        self.cur = saved
        return res, entry, exits

    def shortcircuit(self, node):
        op = node.op
        a, at = self.rvalue(node.left)
        (b, bt), entry, exits = self.fragment(node.right, self.rvalue)
        if entry is None and (self.region or not self.has_shared(b)):
            return _fold(Binary(op, _truth(a), _truth(b))), BOOL
        t = self.temp_for(None)
        br = self.emit_cond_node(Branch, a, then=None, orelse=None)
        go_b, skip = ((br, "then"), (br, "orelse")) if op == "&&" else ((br, "orelse"), (br, "then"))
        if entry is not None:
            self.patch([go_b], entry)
            self.cur = exits
        else:
            self.cur = [go_b]
        self.emit_assign(Var(t), _truth(b))
        done = self.cur
        self.cur = [skip]
        self.emit_assign(Var(t), Const(0 if op == "&&" else 1))
        self.cur = done + self.cur
        return Var(t), BOOL

    def expr_TernaryOp(self, node, used=True):
        c, ct = self.rvalue(node.cond)
        (a, at), ea, xa = self.fragment(node.iftrue, self.rvalue)
        (b, bt), eb, xb = self.fragment(node.iffalse, self.rvalue)
        rt = at if not isinstance(at, PtrType) or not (isinstance(a, Const) and a.value == 0) else bt
        if isinstance(bt, PtrType) and isinstance(a, Const) and a.value == 0:
            rt = bt
        if ea is None and eb is None and (self.region or not (self.has_shared(a) or self.has_shared(b))):
            return _fold(Cond(c, a, b)), rt
        t = self.temp_for(None)
        br = self.emit_cond_node(Branch, c, then=None, orelse=None)
        outs = []
        for hole, entry, exits, val in (((br, "then"), ea, xa, a), ((br, "orelse"), eb, xb, b)):
            if entry is not None:
                self.patch([hole], entry)
                self.cur = exits
            else:
                self.cur = [hole]
            self.emit_assign(Var(t), val)
            outs += self.cur
        self.cur = outs
        if isinstance(rt, PtrType):
            self.slots[t].ctype = rt
        return Var(t), rt

    def expr_Assignment(self, node, used=True):
        p = self.lvalue(node.lvalue)
        if not is_scalar(p.type):
            raise self.error(f"assignment to {type_name(p.type)} is not supported", node,
                             hint="assign field by field")
        if node.op == "=":
            v, vt = self.rvalue(node.rvalue)
        else:
            bop = node.op[:-1]
            cur = self.place_expr(p)
            r, rt = self.rvalue(node.rvalue)
            if isinstance(p.type, PtrType):
                if bop not in ("+", "-"):
                    raise self.error(f"operator '{node.op}' on a pointer", node)
                tab = self.ptable(p.type.target, node)
                v = PtrAdd(tab, cur, r if bop == "+" else Unary("-", r))
                vt = p.type
            else:
                v = _fold(Binary(bop, cur, r))
                vt = INT
        shared_dst = self.is_shared_mem(self.place_expr(p)) if p.base is None else self.is_shared_slot(p.base)
        if used and self.region == 0 and (shared_dst or self.has_shared(v)):
            v = self.convert(p.type, v, vt, node)
            t = self.temp_for(v)
            self.emit_assign(Var(t), v)
            self.store(p, Var(t), p.type, node)
            return Var(t), p.type
        self.store(p, v, vt, node)
        return (self.place_expr(p) if used else Const(0)), p.type

    def convert(self, dt, v, vt, node):
        """Convert a value to a destination type (bool normalisation, pointer checks)."""
        if isinstance(dt, PtrType):
            if isinstance(vt, PtrType):
                if not same_pointee(dt.target, vt.target):
                    raise self.error(f"assigning {type_name(vt)} to {type_name(dt)}", node)
                return v
            if isinstance(v, Const) and v.value == 0:
                return v
            raise self.error(f"assigning an integer to a pointer ({type_name(dt)})", node,
                             hint="use NULL or &global[...]")
        if isinstance(vt, PtrType):
            if isinstance(dt, IntType) and dt.is_bool:
                return _truth(v)
            raise self.error(f"assigning a pointer to {type_name(dt)}", node)
        if isinstance(dt, IntType) and dt.is_bool:
            return _truth(v)
        return v

    def store(self, p: Place, v, vt, node) -> None:
        """Emit a store of ``v`` into place ``p``."""
        v = self.convert(p.type, v, vt, node)
        self.emit_assign(self.place_expr(p), v)

    def expr_ExprList(self, node, used=True):
        res = (Const(0), INT)
        for i, e in enumerate(node.exprs):
            last = i == len(node.exprs) - 1
            res = self.lower_expr(e, used=used and last)
        return res

    def expr_FuncCall(self, node, used=True):
        if not isinstance(node.name, c_ast.ID):
            raise self.error("calls through function pointers are not supported", node)
        name = node.name.name
        args = list(node.args.exprs) if node.args is not None else []
        self.loc = self.mkloc(node) if self.loc is ir.NOLOC else self.loc
        if name in self.functions:
            fdef = self.functions[name]
            vals = []
            for a in args:
                e, t = self.lower_expr(a)
                if isinstance(t, StructType):
                    raise self.error("struct arguments are not supported", a, hint="pass a pointer")
                if isinstance(t, VoidType):
                    raise self.error("a void expression has no value", a)
                vals.append((self.pin(e) if len(args) > 1 else e, t, a))
            rtype = self.resolve_type(fdef.decl.type.type, fdef.decl)
            ret = None
            if not isinstance(rtype, VoidType):
                if isinstance(rtype, (StructType, ArrayType)):
                    raise self.error("functions returning structs or arrays are not supported", fdef.decl)
                ret = self.temp_for(None)
                self.slots[ret].role = "temp"
                if isinstance(rtype, PtrType):
                    self.slots[ret].ctype = rtype
            saved_loc = self.loc
            self.inline_body(fdef, vals, ret, rtype, node)
            self.loc = saved_loc
            if ret is None:
                return Const(0), VOID
            return Var(ret), rtype
        if name in BUILTINS:
            from .builtins import lower_builtin
            return lower_builtin(self, name, args, node, used)
        if name in self.prototypes:
            # declared, but no model of this scenario defines it: like an unresolved
            # symbol, calling it is an error only if it is ever reached
            self.loc = self.mkloc(node)
            self.emit(Check, cond=Const(0), kind=ASSERTION,
                      message=f"call of '{name}', which no model of this scenario defines")
            rtype = self.resolve_type(self.prototypes[name].type.type, self.prototypes[name])
            return (Const(0), rtype) if not isinstance(rtype, VoidType) else (Const(0), VOID)
        raise self.error(f"unknown function '{name}'", node,
                         hint=did_you_mean(name, list(self.functions) + sorted(BUILTINS))
                         or "define it in a model file, or check the spelling")

    # ------------------------------------------------------------------
    # finalisation
    # ------------------------------------------------------------------
    def finalize(self, name: str, thread_names, thread_calls, prop_select, sources) -> ir.Program:
        """Fix domains (pointers, temporaries, overrides, pcs) and build the Program."""
        # pointer slots: domain = their table
        for s in self.slots:
            if isinstance(s.ctype, PtrType):
                tab = self.ptable(s.ctype.target, None)
                s.lo, s.hi = 0, len(self.tables[tab].slots) - 1
                s.ptable = tab
        self._auto_domains()
        # scenario overrides by glob
        import fnmatch
        used = [False] * len(self.opt.domain_overrides)
        for s in self.slots:
            if s.kind != ir.GLOBAL:
                continue
            for k, (pat, lo, hi) in enumerate(self.opt.domain_overrides):
                if fnmatch.fnmatchcase(s.name, pat.replace("[", "[[]")):
                    s.lo, s.hi = lo, hi
                    used[k] = True
        for k, u in enumerate(used):
            if not u:
                pat = self.opt.domain_overrides[k][0]
                raise HugemcError(f"domain override '{pat}' matches no global slot", self.opt.domain_locs.get(pat),
                                  hint=did_you_mean(pat, [s.name for s in self.slots if s.kind == ir.GLOBAL])
                                  or "patterns use * and name slots like pages[*]._refcount")
        for s in self.slots:
            if s.init is not None and s.kind == ir.GLOBAL and not s.lo <= s.init <= s.hi:
                raise self.error(f"initial value {s.init} of '{s.name}' is outside its domain {s.lo}..{s.hi}",
                                 coord=s.coord,
                                 hint="widen the domain with __range(lo, hi) or in the scenario's [domains]")
        # local slot names: thread.var when unique in the thread
        from collections import Counter
        cnt = Counter((s.thread, s.kind, s.var) for s in self.slots
                      if s.kind in (ir.LOCAL, ir.SCRATCH) and s.var and not s.role)
        seen_names: Counter = Counter()
        for s in self.slots:
            if s.kind == ir.LOCAL and s.var and not s.role:
                owner = s.name.split(".")[0]
                short = f"{owner}.{s.var}" if cnt[(s.thread, s.kind, s.var)] == 1 else s.name
                seen_names[short] += 1
                s.name = short if seen_names[short] == 1 else f"{short}#{seen_names[short]}"
        # order: state slots (globals, pcs, locals) first, scratch last
        state_idx = [i for i, s in enumerate(self.slots) if s.kind != ir.SCRATCH]
        scratch_idx = [i for i, s in enumerate(self.slots) if s.kind == ir.SCRATCH]
        order = state_idx + scratch_idx
        remap = {old: new for new, old in enumerate(order)}
        threads = []
        for tid, pc, nodes, entry, locs in self.thread_nodes:
            self.slots[pc].lo, self.slots[pc].hi = ir.DONE, len(nodes) - 1
            self.slots[pc].init = entry
            frozen = tuple(self._freeze(n, remap) for n in nodes)
            threads.append(ir.Thread(thread_names[tid], tid, remap[pc], entry, frozen,
                                     tuple(remap[s] for s in locs), thread_calls[tid]))
        props = []
        for pname, kind, fdef, nodes, entry, ret in self.prop_routines:
            if prop_select is not None and pname not in prop_select:
                continue
            desc = self.describe(fdef)
            frozen = tuple(self._freeze(n, remap) for n in nodes)
            props.append(ir.Property(pname, kind, desc, self.mkloc(fdef.decl),
                                     ir.Routine(pname, frozen, entry, remap[ret])))
        init = None
        if self.init_routine is not None:
            nodes, entry = self.init_routine
            init = ir.Routine("init", tuple(self._freeze(n, remap) for n in nodes), entry)
        slots = tuple(
            ir.Slot(s.name, s.lo, s.hi, s.init, s.kind, s.thread, getattr(s, "ptable", None), s.labels,
                    s.kind == ir.GLOBAL and ir.is_ghost_name(s.name), s.role)
            for s in (self.slots[i] for i in order))
        tables = tuple(ir.Table(t.name, tuple(remap[x] if x >= 0 else x for x in t.slots),
                                t.group_lo, t.group_end, t.names) for t in self.tables)
        return ir.Program(name, slots, len(state_idx), tuple(threads), tables, tuple(props), init,
                          self.opt.fatal_warnings, tuple(sources))

    def _auto_domains(self) -> None:
        """Domains of temporaries: the union of the ranges of what is stored into them."""
        for s, _ in self.auto_sources.items():
            self.slots[s].lo, self.slots[s].hi = 0, 0
        initial = {s: True for s in self.auto_sources}
        for _ in range(50):
            changed = False
            for s, exprs in self.auto_sources.items():
                lo, hi = self.slots[s].lo, self.slots[s].hi
                for e in exprs:
                    elo, ehi = self.expr_range(e)
                    if initial.get(s):
                        lo, hi = elo, ehi
                        initial[s] = False
                    lo, hi = min(lo, elo), max(hi, ehi)
                if (lo, hi) != (self.slots[s].lo, self.slots[s].hi):
                    self.slots[s].lo, self.slots[s].hi = lo, hi
                    changed = True
            if not changed:
                return
        for s in self.auto_sources:
            sl = self.slots[s]
            sl.lo, sl.hi = min(sl.lo, self.opt.int_domain[0]), max(sl.hi, self.opt.int_domain[1])

    def expr_range(self, e) -> tuple[int, int]:
        """A sound interval for the values of ``e`` under the current slot domains."""
        return ir.expr_range(e, lambda i: (self.slots[i].lo, self.slots[i].hi), tuple(self.tables),
                             fallback=self.opt.int_domain)

    def _freeze(self, rec, remap):
        cls, f = rec
        g = {}
        for k, v in f.items():
            g[k] = ir.remap_expr(v, remap) if k in ("dst", "value", "cond", "lo", "hi") else v
        if "args" in g:
            g["args"] = tuple(ir.remap_expr(a, remap) for a in g["args"])
        return cls(**g)

    def describe(self, fdef) -> str:
        """The comment right above a property definition (its description)."""
        c = fdef.decl.coord
        if c is None:
            return ""
        lines = []
        ln = c.line - 1
        text = self._source_lines.get((c.file, ln)) or read_source_line(c.file, ln)
        collecting = False
        while text is not None and ln > 0:
            s = text.strip()
            if s.startswith("//"):
                lines.append(s[2:].strip())
            elif s.endswith("*/") or collecting:
                collecting = not s.startswith("/*")
                lines.append(s.strip("/* ").strip())
                if not collecting:
                    ln -= 1
                    break
            else:
                break
            ln -= 1
            text = self._source_lines.get((c.file, ln)) or read_source_line(c.file, ln)
        return " ".join(x for x in reversed(lines) if x)


def _replace(e, old, new):
    if e is old:
        return new
    if isinstance(e, Mem):
        return Mem(e.table, _replace(e.index, old, new), e.offset)
    if isinstance(e, Unary):
        return Unary(e.op, _replace(e.arg, old, new))
    if isinstance(e, Binary):
        return Binary(e.op, _replace(e.left, old, new), _replace(e.right, old, new))
    if isinstance(e, Cond):
        return Cond(_replace(e.cond, old, new), _replace(e.then, old, new), _replace(e.orelse, old, new))
    if isinstance(e, PtrAdd):
        return PtrAdd(e.ptable, _replace(e.ptr, old, new), _replace(e.delta, old, new))
    if isinstance(e, PtrDiff):
        return PtrDiff(e.ptable, _replace(e.left, old, new), _replace(e.right, old, new))
    return e


def _truth(e):
    """``e != 0`` as 0/1 (identity for expressions already 0/1)."""
    if isinstance(e, Binary) and e.op in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
        return e
    if isinstance(e, Unary) and e.op == "!":
        return e
    if isinstance(e, Const):
        return Const(1 if e.value else 0)
    return Binary("!=", e, Const(0))


def _fold(e):
    """Constant-fold a node whose operands are constants."""
    from ..ir.interp import Evaluator, Fault
    try:
        if isinstance(e, Unary) and isinstance(e.arg, Const):
            v = e.arg.value
            return Const(-v if e.op == "-" else ~v if e.op == "~" else (0 if v else 1))
        if isinstance(e, Binary) and isinstance(e.left, Const) and isinstance(e.right, Const):
            a, b = e.left.value, e.right.value
            if e.op == "&&":
                return Const(1 if (a and b) else 0)
            if e.op == "||":
                return Const(1 if (a or b) else 0)
            return Const(Evaluator.binop(e.op, a, b))
        if isinstance(e, Cond) and isinstance(e.cond, Const):
            return e.then if e.cond.value else e.orelse
    except Fault:
        return e
    return e


def _written_names(body) -> set[str]:
    """Names a function body assigns, increments, takes the address of, or redeclares."""
    out: set[str] = set()

    class V(c_ast.NodeVisitor):
        def visit_Assignment(self, n):
            if isinstance(n.lvalue, c_ast.ID):
                out.add(n.lvalue.name)
            self.generic_visit(n)

        def visit_UnaryOp(self, n):
            if n.op in ("++", "--", "p++", "p--", "&") and isinstance(n.expr, c_ast.ID):
                out.add(n.expr.name)
            self.generic_visit(n)

        def visit_Decl(self, n):
            if n.name:
                out.add(n.name)
            self.generic_visit(n)

    V().visit(body)
    return out


def _is_expr(node) -> bool:
    return isinstance(node, (c_ast.Assignment, c_ast.UnaryOp, c_ast.BinaryOp, c_ast.FuncCall,
                             c_ast.ExprList, c_ast.TernaryOp, c_ast.Cast, c_ast.StructRef, c_ast.ArrayRef))


def _coord(node) -> str:
    c = getattr(node, "coord", None)
    if c is None:
        return "?"
    return f"{c.file}:{c.line}"
