"""Lowering, part 4: calls and inlining.

Owns calls: every call of a model function is inlined at its call site
(parameters bound or aliased, locals declared per thread, recursion refused),
builtins are handed to :mod:`.builtins`, and calls of functions only declared
become a reached-is-an-error check.
"""

from __future__ import annotations

from pycparser import c_ast

from .. import ir
from ..diagnostics import did_you_mean
from ..ir import ASSERTION, Check, Const, Var
from .ctypes import (
    VOID, ArrayType, CType, IntType, PtrType, StructType, VoidType, is_scalar, leaves, same_pointee,
    type_name,
)
from .lower_observe import OBSERVE_BUILTINS, REAL_PREFIX
from .lower_common import BUILTINS, FuncCtx, Place, _written_names, where


class CallLowering:
    """Calls: inlining of model functions, builtins, declared-only functions."""

    def inline_body(self, fdef: c_ast.FuncDef, args: list, ret_slot, ret_type, call_node,
                    callee: str | None = None) -> None:
        """Inline ``fdef`` here; ``callee`` is the name it was called by (``__real_f`` for a replaced f)."""
        name = fdef.decl.name
        key = callee or name
        if key in self.call_stack:
            chain = " -> ".join(n for n in self.call_stack + [key] if not n.startswith("__hugemc_"))
            raise self.error(f"recursion is not supported: {chain}", call_node,
                             hint="models are inlined; rewrite the recursion as a loop")
        self.call_stack.append(key)
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
                             hint=f"see its definition at {where(fdef.decl)}")
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

    def expr_FuncCall(self, node, used=True):
        if not isinstance(node.name, c_ast.ID):
            raise self.error("calls through function pointers are not supported", node)
        name = node.name.name
        args = list(node.args.exprs) if node.args is not None else []
        self.loc = self.mkloc(node) if self.loc is ir.NOLOC else self.loc
        if name in OBSERVE_BUILTINS:
            return self.lower_observe(name, args, node)
        if name.startswith(REAL_PREFIX) and name not in self.functions:
            self.real_target(name, node)
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
            self.inline_body(fdef, vals, ret, rtype, node, callee=name)
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
        from ..library import defining_file
        lib = defining_file(name)
        if lib is not None:
            raise self.error(f"unknown function '{name}': it is defined in the library's {lib}, which this "
                             "scenario does not include", node, hint=f'add "{lib}" to the scenario\'s models')
        raise self.error(f"unknown function '{name}'", node,
                         hint=did_you_mean(name, list(self.functions) + sorted(BUILTINS))
                         or "define it in a model file, or check the spelling; `hugemc list functions` "
                            "shows the library")
