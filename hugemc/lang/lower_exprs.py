"""Lowering, part 3: expressions and places.

Owns the atomicity rule for expressions (at most one shared access per
step outside atomic regions: ``split``, ``pin``, temporaries), lvalues and
places (globals, locals, ``a[i]``, ``p->f``, ``*p``, ``&x``), reads, stores
with their conversions, and every operator.
"""

from __future__ import annotations

from pycparser import c_ast

from .. import ir
from ..diagnostics import HugemcError, SourceLoc, did_you_mean
from ..ir import Assign, Binary, Branch, Cond, Const, Jump, Mem, PtrAdd, PtrDiff, Unary, Var
from .ctypes import (
    BOOL, INT, UNSIGNED, VOID, ArrayType, IntType, PtrType, StructType, VoidType, is_scalar,
    pointee_key, same_pointee, type_name,
)
from .lower_common import BUILTINS, Place, _fold, _replace, _truth, shift_count_error


class ExprLowering:
    """Expressions, places, loads and stores."""

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
        found = self.scope_lookup(name)
        if found is not None:
            base, t = found
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

    def scope_lookup(self, name: str):
        """``(slot or Const, type)`` of a local or parameter visible here, innermost first; None if none."""
        if self.ctx is not None:
            for scope in reversed(self.ctx.scopes):
                if name in scope:
                    return scope[name]
        return None

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
            found = self.scope_lookup(name)
            if found is not None:
                base, t = found
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
        found = self.scope_lookup(node.name) if isinstance(node, c_ast.ID) else None
        if found is not None and isinstance(found[0], Const) and isinstance(found[1], PtrType):
            return found  # a parameter that names a constant address (&objs[0])
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
        if isinstance(idx, Const) and self._literal_index(sub):
            # written as a constant: a mistake the front end can see (a constant that only comes
            # from an inlined argument may sit on a path a guard excludes: an error only if reached)
            raise self.error(f"index {idx.value} out of bounds for an array of {t.length}", sub,
                             hint=f"indices run from 0 to {t.length - 1}")
        tab = self.array_table(base, node)
        return Place(t.elem, table=tab, index=idx, offset=0, array_base=(base, idx))

    def _literal_index(self, sub) -> bool:
        """Whether an index is a constant expression as written (literals, enumerators, consts)."""
        from ..diagnostics import HugemcError
        try:
            self.const_eval(sub)
            return True
        except HugemcError:
            return False

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
        is_bool = isinstance(p.type, IntType) and p.type.is_bool  # (C: b++ is 1, b-- flips 0/1)
        if is_bool:
            new = _truth(new)
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
            if is_bool:
                newv = _truth(newv)
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
            err = shift_count_error(self, op, b, node)
            if err is not None:
                raise err
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
                err = shift_count_error(self, bop, r, node)
                if err is not None:
                    raise err
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
