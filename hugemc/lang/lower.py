"""Lowering: a pycparser AST of the C subset to an IR :class:`~hugemc.ir.Program`.

Globals are flattened to slots; every call to a model function is inlined at
its call site (recursion is an error); each thread becomes one CFG of IR
nodes. Outside atomic regions every node performs at most one access to
shared (global) state: an expression that reads two globals is split into a
load into a temporary per extra read, so ``counter++`` on a global is a load
step and a store step, exactly as DESIGN.md prescribes. Atomic builtins and
``ATOMIC { }`` blocks become atomic regions (one step).

The work is split by concern; each module's opening comment says what it owns:

- :mod:`.lower_common` - settings, records, small helpers;
- :mod:`.lower_decls` - declarations, types, constants, global slots, tables;
- :mod:`.lower_stmts` - statements and conditions;
- :mod:`.lower_exprs` - expressions, places, loads and stores;
- :mod:`.lower_calls` - calls and inlining;
- :mod:`.lower_observe` - tracepoints, thread locals in properties, assertion
  sites, replacing library functions (``__real_``);
- this module - the :class:`Lowerer` that combines them: diagnostics, CFG
  construction, lowering every thread/property/init routine, and
  finalisation into an IR Program.

Everything the user can get wrong is reported as a
:class:`~hugemc.diagnostics.HugemcError` with ``file:line:col`` and a hint.
"""

from __future__ import annotations

from contextlib import contextmanager

from pycparser import c_ast
from pycparser.c_generator import CGenerator

from .. import ir
from ..diagnostics import HugemcError, SourceLoc, did_you_mean, read_source_line
from ..ir import Assign, Branch, Choose, Exit, Jump, Loc, Mem, Var
from .ctypes import BOOL, INT, VOID, CType, PtrType, StructType
from .lower_common import INIT_NAME, THREAD_PREFIX, FuncCtx, Options, SlotRec, _coord
from .lower_calls import CallLowering
from .lower_decls import DeclLowering
from .lower_exprs import ExprLowering
from .lower_observe import ObserveLowering
from .lower_stmts import StmtLowering

__all__ = ["INIT_NAME", "THREAD_PREFIX", "Lowerer", "Options"]


class Lowerer(DeclLowering, StmtLowering, ExprLowering, CallLowering, ObserveLowering):
    """Builds one IR program from a parsed translation unit."""

    def __init__(self, fileast: c_ast.FileAST, ranges: dict, options: Options,
                 source_lines=None) -> None:
        self.ast = fileast
        self.ranges = ranges
        self.flag_annots: dict = {}  # (file, line, declarator) -> (enum name, loc), from ``__flags(E)``
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
        # observation and replacement (lower_observe)
        self.replaced: dict[str, tuple[c_ast.FuncDef, c_ast.FuncDef]] = {}
        self.trace_slots: dict[str, int] = {}
        self.observed: set[int] = set()
        self._site_order: dict[tuple, list] = {}
        self.thread_names: list[str] = []
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
    # functions, threads, routines
    # ------------------------------------------------------------------
    def lower_all(self, thread_names: list[str], thread_calls: list[str], prop_select=None) -> None:
        """Lower every thread, the selected properties (all if ``prop_select`` is None) and init."""
        self.thread_names = list(thread_names)
        selected = [p for p in self.properties_ast if prop_select is None or p[0] in prop_select]
        self.plan_observations(selected)
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
        for pname, kind, fdef in selected:
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
                    s.kind == ir.GLOBAL and ir.is_ghost_name(s.name), s.role, s.domain_note, s.bit_labels)
            for s in (self.slots[i] for i in order))
        tables = tuple(ir.Table(t.name, tuple(remap[x] if x >= 0 else x for x in t.slots),
                                t.group_lo, t.group_end, t.names) for t in self.tables)
        replaced = tuple((n, _coord(u.decl), _coord(lib.decl)) for n, (u, lib) in sorted(self.replaced.items()))
        return ir.Program(name, slots, len(state_idx), tuple(threads), tables, tuple(props), init,
                          self.opt.fatal_warnings, tuple(sources), replaced,
                          frozenset(remap[i] for i in self.observed))

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
