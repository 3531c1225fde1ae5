"""Lowering, part 2: statements.

Owns turning C statements into CFG nodes: blocks, local declarations,
``if``/``ATOMIC``/``GHOST``, loops, ``break``/``continue``/``goto``/labels,
``switch``, ``return``, and conditions as jumping code (``&&``, ``||``, ``!``).
"""

from __future__ import annotations

from pycparser import c_ast

from ..ir import Binary, Branch, Const, Jump, Var
from .ctypes import INT, ArrayType, VoidType
from .lower_common import ATOMIC_MARK, GHOST_MARK, GHOST_REGION, Place, _is_expr


class StmtLowering:
    """Statements and conditions."""

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
        seen_vals: dict[int, object] = {}
        for val, _, cnode in cases:
            if val is not None:
                if val in seen_vals:
                    raise self.error(f"duplicate case value {val}", cnode,
                                     hint=f"the first 'case {val}:' is at line {seen_vals[val].coord.line}")
                seen_vals[val] = cnode
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
