"""Lowering, part 1: declarations and types.

Owns reading the translation unit's top level (typedefs, structs, enums,
globals, function definitions, properties and thread entries), resolving C
types, ``__range`` domains, integer constant expressions, global slots and
their initializers, and the pointer and array tables that resolve run-time
accesses. Nothing here emits CFG nodes.
"""

from __future__ import annotations

from dataclasses import replace

import ast as _pyast

from pycparser import c_ast

from .. import ir
from ..diagnostics import HugemcError, SourceLoc, did_you_mean, display_path, read_source_line
from ..ir import END_ENTRY, NULL_ENTRY
from .ctypes import (
    BOOL, INT, UNSIGNED, VOID, ArrayType, CType, IntType, PtrType, StructType, VoidType,
    leaves, pointee_key, same_pointee, type_name,
)
from .lower_common import (
    INIT_NAME, PROPERTY_PREFIXES, THREAD_PREFIX, Place, SlotRec, _coord, domain_hint, domain_too_wide, where,
)


class Domain(tuple):
    """A ``(lo, hi)`` domain that remembers its ``__range`` text and where it was declared."""

    text: str
    where: str

    def __new__(cls, bounds, text: str = "", where: str = ""):
        d = super().__new__(cls, bounds)
        d.text, d.where = text, where
        return d


def _num(v: int) -> str:
    """An integer for a message, even one too long for Python's int-to-str limit."""
    if abs(v) < 10 ** 30:
        return f"{v:,}"
    return f"{'-' if v < 0 else ''}2**{abs(v).bit_length() - 1}+"


def _range_text(line: str) -> str:
    """The ``__range(...)`` annotation as written on a source line (macros unexpanded)."""
    k = line.find("__range(")
    if k < 0:
        return ""
    depth = 0
    for j in range(k + len("__range"), len(line)):
        depth += {"(": 1, ")": -1}.get(line[j], 0)
        if depth == 0:
            return line[k:j + 1][:120]
    return ""


def domain_note(dom, name: str) -> str:
    """How to widen a global's domain: the define to raise, or the [domains] entry to add."""
    import re
    pattern = re.sub(r"\[\d+\]", "[*]", name)
    where = f"\"{pattern}\" = [lo, hi] in the scenario's [domains]"
    text = getattr(dom, "text", "")
    if not text:
        return f"widen it with {where}"
    defines = [d for d in re.findall(r"\b[A-Z_][A-Z0-9_]*\b", text)]
    first = f"raise {' or '.join(dict.fromkeys(defines))} in [defines], or " if defines else ""
    return f"declared {text} at {dom.where}: {first}set {where}"


class DeclLowering:
    """Declarations, types, constants, global slots and tables."""

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
                self.add_function(ext)
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
                                     hint=f"first definition at {where(prev_decl)}")
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
            slots = n * max(elem.size, 1)
            if slots > self.opt.max_array:
                what = f"array of {_num(n)} elements" if elem.size <= 1 else \
                    f"array of {_num(n)} elements of {_num(elem.size)} slots each ({_num(slots)} slots)"
                raise self.error(f"{what} cannot be meant: every element is state that "
                                 "every interleaving carries", node.dim,
                                 hint=f"shrink it (NR_PAGES 2-8 finds the races of this area), or raise the cap "
                                      f"({self.opt.max_array:,} slots) with HUGEMC_MAX_ARRAY in [defines]")
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
                ft = self.flags_for(d, d.name, ft)
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
        if domain_too_wide(min(vals), max(vals), self.opt.max_domain):
            far = max(node.values.enumerators, key=lambda e: abs(self.enum_consts[e.name]))
            raise self.error(f"enum {name} spans {_num(min(vals))}..{_num(max(vals))} "
                             f"('{far.name}' = {_num(self.enum_consts[far.name])}): a domain too wide to be meant",
                             far, hint=domain_hint(self.opt.max_domain) + "; an enum's slots take every value "
                             "from its least enumerator to its greatest")
        t = IntType(f"enum {name}", signed=min(vals) < 0, domain=(min(vals), max(vals)),
                    labels=tuple(labels))
        if node.name:
            self.typedefs[f"enum {name}"] = t
        return t

    def flags_for(self, node, name, t: CType) -> CType:
        """``t`` with the bit names of a ``__flags(E)`` annotation on ``name`` (E: an enum of bit numbers)."""
        c = node.coord
        r = self.flag_annots.get((c.file, c.line, name)) if c is not None else None
        if r is None:
            return t
        enum, loc = r
        if not isinstance(t, IntType) or t.labels:
            raise HugemcError("__flags applies to integer (non-enum) fields and variables only", loc)
        et = self.typedefs.get(f"enum {enum}") or self.typedefs.get(enum)
        if not isinstance(et, IntType) or not et.labels:
            known = sorted(k[5:] for k in self.typedefs if k.startswith("enum "))
            raise HugemcError(f"__flags({enum}): no enum '{enum}' is defined before this declaration", loc,
                              hint=did_you_mean(enum, known) or "define the enum of bit numbers first")
        bits = tuple((v, n) for v, n in et.labels if 0 <= v < 64 and not n.startswith("__"))
        return replace(t, bit_labels=bits)

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
        if domain_too_wide(lo, hi, self.opt.max_domain):
            raise HugemcError(f"domain __range({_num(lo)}, {_num(hi)}) is too wide to be meant", loc,
                              hint=domain_hint(self.opt.max_domain))
        if lo > hi:
            raise HugemcError(f"empty domain __range({lo}, {hi})", loc, hint="write __range(lo, hi) with lo <= hi")
        text = _range_text(read_source_line(loc.file, loc.line) or "") or f"__range({lo_t.strip()}, {hi_t.strip()})"
        return Domain((lo, hi), text, f"{display_path(loc.file)}:{loc.line}")

    def _eval_text(self, text: str, loc: SourceLoc) -> int:
        from pycparser import c_parser
        try:
            tu = c_parser.CParser().parse(f"int __hugemc_x = ({text});", "<range>")
            return self.const_eval(tu.ext[0].init)
        except HugemcError as e:
            raise HugemcError(f"__range bound '{text[:60]}' is not a constant: {e.message}", loc,
                              hint=e.hint or "write an integer constant expression") from None
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
                from .lower_common import SHIFT_HINT
                if node.op in ("<<", ">>"):
                    raise self.error(f.message, node, hint=SHIFT_HINT) from None
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
        if len(t) > 24:
            raise self.error(f"integer constant '{v[:24]}…' is too large", node,
                             hint="integers in models are 64-bit at most")
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
        if isinstance(t, IntType) and t.bit_labels:
            self.slots[-1].bit_labels = t.bit_labels
        return len(self.slots) - 1

    def define_global(self, decl: c_ast.Decl, t: CType) -> None:
        name = decl.name
        t = self.flags_for(decl, name, t)
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
            self.slots[sl].domain_note = domain_note(d, lname)
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
