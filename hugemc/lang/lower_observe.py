"""Lowering, part 5: what properties can observe, and what a model replaces.

Owns the mechanisms that let a property see what happened without copying
library code:

- tracepoints: ``TRACE(name)`` in model code marks an interesting branch
  (ghost: it rides along in the step it is in); ``TRACED(name)`` in a
  property is true once any thread passed it. A tracepoint costs a state
  bit only when a selected property reads it;
- thread locals: ``LOCAL(thread, var)`` in a property reads a local of a
  scenario thread (``LOCAL(alloc, alloc_buddy_huge_page.page)`` when the
  name alone is ambiguous);
- assertion sites: every ``BUG_ON``, ``VM_BUG_ON*``, ``assert`` and
  ``WARN_ON*`` gets a stable name from its enclosing function
  (``VM_BUG_ON@enqueue_huge_page``, ``#2`` from the second of a kind on);
- function replacement: a function defined in a user's model replaces the
  library's function of the same name everywhere; ``__real_NAME`` calls the
  library's version (as the linker's ``--wrap``).
"""

from __future__ import annotations

from pathlib import Path

from pycparser import c_ast

from .. import ir
from ..diagnostics import did_you_mean
from ..ir import Assign, Const, Var
from .ctypes import BOOL, INT, ArrayType, IntType, PtrType
from .lower_common import GHOST_REGION, THREAD_PREFIX, where

TRACE_FN = "__hugemc_trace"
TRACED_FN = "__hugemc_traced"
LOCAL_FN = "__hugemc_local"
OBSERVE_BUILTINS = {TRACE_FN, TRACED_FN, LOCAL_FN}
REAL_PREFIX = "__real_"

# assertion and warning macros, by the family that names their sites
SITE_FAMILY = {
    "BUG_ON": "BUG_ON", "BUG": "BUG_ON",
    "VM_BUG_ON": "VM_BUG_ON", "VM_BUG_ON_PAGE": "VM_BUG_ON", "VM_BUG_ON_FOLIO": "VM_BUG_ON",
    "assert": "assert",
    "WARN_ON": "WARN_ON", "WARN_ON_ONCE": "WARN_ON",
    "VM_WARN_ON": "VM_WARN_ON", "VM_WARN_ON_ONCE": "VM_WARN_ON",
}


def trace_slot_name(name: str) -> str:
    """The ghost slot that records whether tracepoint ``name`` was passed."""
    return f"ghost_trace.{name}"


def tracepoints_in(node) -> list[tuple[str, object]]:
    """Every ``TRACE(name)`` under an AST node: (name, coord), in source order."""
    out: list[tuple[str, object]] = []

    class V(c_ast.NodeVisitor):
        def visit_FuncCall(self, n):
            if isinstance(n.name, c_ast.ID) and n.name.name == TRACE_FN and n.args is not None \
                    and len(n.args.exprs) == 1 and isinstance(n.args.exprs[0], c_ast.ID):
                out.append((n.args.exprs[0].name, n.coord))
            self.generic_visit(n)

    V().visit(node)
    return out


def _calls_named(node, fn: str) -> list[c_ast.FuncCall]:
    out: list[c_ast.FuncCall] = []

    class V(c_ast.NodeVisitor):
        def visit_FuncCall(self, n):
            if isinstance(n.name, c_ast.ID) and n.name.name == fn:
                out.append(n)
            self.generic_visit(n)

    V().visit(node)
    return out


def is_library_file(file: str, library_dirs) -> bool:
    """Whether a source file belongs to the shipped library (models, properties, prelude)."""
    try:
        p = Path(file).resolve()
    except (OSError, ValueError):
        return False
    return any(p.is_relative_to(d) for d in library_dirs)


def _param_count(fdef: c_ast.FuncDef) -> int:
    """How many arguments a function definition takes (``(void)``: none)."""
    args = fdef.decl.type.args
    params = args.params if args is not None else []
    return sum(1 for p in params if not (isinstance(p, c_ast.Typename) or (isinstance(p, c_ast.Decl) and p.name is None)))


def _returns_void(fdef: c_ast.FuncDef) -> bool:
    """Whether a function definition returns ``void`` (not a pointer to it)."""
    t = fdef.decl.type.type
    return isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType) and t.type.names == ["void"]


class ObserveLowering:
    """Tracepoints, thread locals in properties, assertion sites, function replacement."""

    # ------------------------------------------------------------------
    # function replacement (called by collect() for a second definition)
    # ------------------------------------------------------------------
    def add_function(self, fdef: c_ast.FuncDef) -> None:
        """Record a function definition; a user's definition replaces the library's."""
        name = fdef.decl.name
        args = fdef.decl.type.args
        for prm in (args.params if args is not None else []):
            if isinstance(prm, c_ast.EllipsisParam):
                raise self.error(f"variadic functions are not supported: '{name}' takes '...'", prm,
                                 hint="give it a fixed list of parameters (models are inlined per call)")
        prev = self.functions.get(name)
        if prev is None:
            self.functions[name] = fdef
            return
        lib_dirs = self.opt.library_dirs
        prev_lib = is_library_file(prev.decl.coord.file, lib_dirs) if prev.decl.coord else False
        new_lib = is_library_file(fdef.decl.coord.file, lib_dirs) if fdef.decl.coord else False
        if prev_lib == new_lib:
            kind = "library files" if new_lib else "model files"
            raise self.error(f"function '{name}' is defined twice", fdef.decl,
                             hint=f"first definition at {where(prev.decl)}; two {kind} cannot define the same "
                                  "function (a model file may replace a library function, once)")
        user, lib = (fdef, prev) if prev_lib else (prev, fdef)
        nu, nl = _param_count(user), _param_count(lib)
        if nu != nl:  # (every call of the library's callers would fail, and only when it is reached)
            raise self.error(f"'{name}' replaces the library's '{name}', which takes {nl} argument(s); "
                             f"this one takes {nu}", user.decl,
                             hint=f"give it the library's parameters (see {where(lib.decl)}); a function of "
                                  "another shape needs another name")
        if _returns_void(user) != _returns_void(lib):
            raise self.error(f"'{name}' replaces the library's '{name}', which returns "
                             f"{'nothing' if _returns_void(lib) else 'a value'}; this one "
                             f"{'does not' if _returns_void(user) else 'does'}", user.decl,
                             hint=f"give it the library's return type (see {where(lib.decl)})")
        self.functions[name] = user
        self.functions[REAL_PREFIX + name] = lib
        self.replaced[name] = (user, lib)

    def real_target(self, name: str, node):
        """The library definition ``__real_NAME`` calls, or an error."""
        base = name[len(REAL_PREFIX):]
        if base in self.replaced:
            return self.functions[name]
        if base in self.functions:
            raise self.error(f"'{name}' calls the library's version of '{base}', but no model replaces '{base}'",
                             node, hint=f"call '{base}' directly")
        raise self.error(f"unknown function '{base}' (called as '{name}')", node,
                         hint=did_you_mean(base, list(self.functions)) or "check the spelling")

    # ------------------------------------------------------------------
    # assertion sites
    # ------------------------------------------------------------------
    def site_name(self, macro: str, node) -> str:
        """The stable name of the assertion or warning at ``node`` (a call of ``macro``)."""
        family = SITE_FAMILY[macro]
        fname = self.ctx.name if self.ctx is not None else ""
        if fname.startswith(THREAD_PREFIX) or fname.startswith("__hugemc_"):
            func = "scenario"
            fdef = None
        else:
            func = fname
            fdef = self.functions.get(REAL_PREFIX + fname) if self._in_real() else self.functions.get(fname)
        if fdef is None:
            return f"{family}@{func}"
        key = (id(fdef), family)
        order = self._site_order.get(key)
        if order is None:
            coords = []
            for m, fam in SITE_FAMILY.items():
                if fam == family:
                    coords += [(c.coord.line, c.coord.column) for c in _calls_named(fdef.body, m) if c.coord]
            order = sorted(set(coords))
            self._site_order[key] = order
        c = node.coord
        k = order.index((c.line, c.column)) + 1 if c is not None and (c.line, c.column) in order else 1
        return f"{family}@{func}" if k == 1 else f"{family}@{func}#{k}"

    def _in_real(self) -> bool:
        return bool(self.call_stack) and self.call_stack[-1].startswith(REAL_PREFIX)

    # ------------------------------------------------------------------
    # tracepoints
    # ------------------------------------------------------------------
    def all_tracepoints(self) -> dict[str, object]:
        """Every tracepoint the translation unit's functions pass: name -> first coord."""
        out: dict[str, object] = {}
        for fdef in self.functions.values():
            for name, coord in tracepoints_in(fdef.body):
                out.setdefault(name, coord)
        return out

    def plan_observations(self, props) -> None:
        """Create the ghost slots of the tracepoints that the selected properties read."""
        known = self.all_tracepoints()
        for _, _, fdef in props:
            for call in _calls_named(fdef.body, TRACED_FN):
                args = call.args.exprs if call.args is not None else []
                if len(args) != 1 or not isinstance(args[0], c_ast.ID):
                    raise self.error("TRACED() takes one tracepoint name", call,
                                     hint="write TRACED(hugetlb_freeze_failed)")
                tp = args[0].name
                if tp not in known:
                    raise self.error(f"unknown tracepoint '{tp}'", args[0],
                                     hint=did_you_mean(tp, list(known))
                                     or "library functions pass tracepoints with TRACE(name); "
                                        "`hugemc list functions` shows them")
                if tp not in self.trace_slots:
                    s = self.new_slot(trace_slot_name(tp), BOOL, 0, ir.GLOBAL)
                    self.trace_slots[tp] = s

    def lower_observe(self, name: str, args: list, node):
        """Lower TRACE / TRACED / LOCAL; returns (IR expression, C type)."""
        if name == TRACE_FN:
            if len(args) != 1 or not isinstance(args[0], c_ast.ID):
                raise self.error("TRACE() takes one tracepoint name", node, hint="write TRACE(hugetlb_freeze_failed)")
            if self.owner is None and self.slot_kind == ir.SCRATCH:
                raise self.error("TRACE() marks model code; properties read tracepoints with TRACED()", node)
            slot = self.trace_slots.get(args[0].name)
            if slot is not None:  # only tracepoints some property reads cost anything
                saved = self.region
                if saved == 0:
                    self.region = GHOST_REGION
                self.loc = self.mkloc(node)
                self.emit(Assign, dst=Var(slot), value=Const(1))
                self.region = saved
            from .ctypes import VOID
            return Const(0), VOID
        if self.owner is not None or self.slot_kind != ir.SCRATCH or self.owner_name == "init":
            what = "TRACED()" if name == TRACED_FN else "LOCAL()"
            raise self.error(f"{what} can only be used in properties", node,
                             hint="INVARIANT, REACHABLE and FINAL functions observe the state; model code cannot")
        if name == TRACED_FN:
            return Var(self.trace_slots[args[0].name]), BOOL
        return self.lower_local(args, node)

    # ------------------------------------------------------------------
    # thread locals in properties
    # ------------------------------------------------------------------
    def lower_local(self, args: list, node):
        if len(args) != 2:
            raise self.error("LOCAL() takes a thread name and a variable", node,
                             hint="write LOCAL(alloc, page) or LOCAL(alloc, alloc_buddy_huge_page.page)")
        tname = self.text(args[0]).replace(" ", "")
        var = self.text(args[1]).replace(" ", "")
        names = self.thread_names
        if tname not in names:
            raise self.error(f"LOCAL(): no thread '{tname}' in this scenario", args[0],
                             hint=did_you_mean(tname, names) or "threads: " + ", ".join(names))
        tid = names.index(tname)
        cands = [i for i, s in enumerate(self.slots)
                 if s.kind == ir.LOCAL and s.thread == tid and s.role != "temp" and s.var.split("[")[0]]
        if "." in var:
            func, v = var.rsplit(".", 1)
            hits = [i for i in cands if self.slots[i].func == func and self.slots[i].var == v]
        else:
            hits = [i for i in cands if self.slots[i].var == var]
        funcs = sorted({self.slots[i].func for i in hits})
        if len(funcs) > 1:
            raise self.error(f"LOCAL(): '{var}' names a local of several functions in thread '{tname}'", args[1],
                             hint="say which: " + ", ".join(f"LOCAL({tname}, {f}.{var})" for f in funcs))
        if not hits:
            have = sorted({f"{self.slots[i].func}.{self.slots[i].var}" for i in cands})
            raise self.error(f"LOCAL(): thread '{tname}' has no local '{var}'", args[1],
                             hint=did_you_mean(var, have + [h.split('.')[-1] for h in have])
                             or ("its locals: " + ", ".join(have) if have else
                                 "the thread declares no locals (parameters that are never assigned are "
                                 "constants, not locals)"))
        base = min(hits)
        t = self.slots[base].ctype
        if isinstance(t, ArrayType):
            raise self.error("LOCAL() reads scalar locals; index the array in the model instead", args[1])
        for i in hits:
            sl = self.slots[i]
            if sl.init is None:
                sl.init = 0 if sl.lo <= 0 <= sl.hi or isinstance(sl.ctype, PtrType) else sl.lo
            self.observed.add(i)
        if isinstance(t, IntType) or isinstance(t, PtrType):
            return Var(base), t
        return Var(base), INT
