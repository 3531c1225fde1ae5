"""Turn a path of states into a readable trace by replaying it in the interpreter.

The explorer stores only states. Each step of a trace is re-executed here by
the reference interpreter (:func:`hugemc.ir.interp.replay` semantics): the
thread that took it, every node it ran with file:line and source text, the
slots it changed and the ``pr_*`` messages come from that replay, so a trace
can never show something the model cannot do.
"""

from __future__ import annotations

from ..diagnostics import display_path
from ..ir import GLOBAL, LOCAL, Program
from ..ir.interp import Interpreter, Outcome
from ..result import Op, Trace, TraceStep
from .common import Found
from .relevance import relevant_steps


def show_value(program: Program, slot: int, value):
    """A slot value as users read it: pointers as ``&pages[1]``/``NULL``, enum labels, flag bits, None."""
    if value is None:
        return None
    s = program.slots[slot]
    if s.ptable is not None:
        names = program.tables[s.ptable].names
        return names[value] if 0 <= value < len(names) else f"<bad pointer {value}>"
    if s.labels:
        for v, name in s.labels:
            if v == value:
                return name
    bits = getattr(s, "bit_labels", ())
    if bits and value > 0:
        return flag_names(int(value), bits)
    return int(value)


def flag_names(value: int, bits) -> str:
    """A flags word by the names of its set bits: ``PG_head|PG_hugetlb`` (a bit without a name as its value)."""
    names = dict(bits)
    out = []
    b = 0
    while value >> b:
        if value >> b & 1:
            out.append(names.get(b, str(1 << b)))
        b += 1
    return "|".join(out)


def visible(program: Program, slot: int) -> bool:
    """Slots shown in traces: globals and declared locals (not pcs, parameters, temporaries, scratch)."""
    s = program.slots[slot]
    if s.kind == GLOBAL:
        return True
    return s.kind == LOCAL and not s.role


def state_dict(program: Program, state: tuple, only_globals: bool = False) -> dict:
    """The visible slots of a state, by name (globals, and declared locals that hold a value)."""
    out = {}
    for i in range(program.nstate):
        s = program.slots[i]
        if s.kind == GLOBAL or (not only_globals and visible(program, i) and state[i] is not None):
            out[s.name] = show_value(program, i, state[i])
    return out


def _changes(program: Program, before: tuple, after_vec) -> dict:
    """Slots the step changed, before and after (a store of the value a slot had is not a change)."""
    ch = {}
    for i in range(program.nstate):
        a, b = before[i], after_vec[i]
        if a != b and visible(program, i) and b is not None:
            ch[program.slots[i].name] = [show_value(program, i, a), show_value(program, i, b)]
    return ch


def _step_from(program: Program, interp: Interpreter, k: int, before: tuple, o: Outcome, after_vec) -> TraceStep:
    thread = program.threads[o.thread]
    ops: list[Op] = []
    main = None
    reads: dict[str, object] = {}
    for op in o.ops:
        if thread.nodes[op.pc].region < 0:
            continue  # GHOST code: bookkeeping, not an access of the model
        for s, val in op.reads.items():
            if not program.slots[s].ghost:
                reads.setdefault(program.slots[s].name, show_value(program, s, val))
        if not op.loc.line:
            continue
        changes = {program.slots[s].name: [show_value(program, s, a), show_value(program, s, b)]
                   for s, (a, b) in op.changes.items() if visible(program, s) and b is not None}
        rd = {program.slots[s].name: show_value(program, s, val) for s, val in op.reads.items()
              if not program.slots[s].ghost and thread.nodes[op.pc].region >= 0}
        msg = op.message or op.warning
        if ops and (ops[-1].file, ops[-1].line) == (op.loc.file, op.loc.line):
            ops[-1].changes.update(changes)
            ops[-1].reads.update(rd)
            ops[-1].message = ops[-1].message or msg
        else:
            ops.append(Op(display_path(op.loc.file), op.loc.line, op.loc.text, changes, msg, rd))
    interp_plan = interp.plans[o.thread]
    for op in o.ops:
        nd = thread.nodes[op.pc]
        if interp_plan.region_entry[op.pc] or (nd.region == 0 and interp_plan.shared[op.pc]):
            main = op
            break
    if o.error is not None and o.error.loc is not None:
        loc = o.error.loc
    elif main is not None and main.loc.line:
        loc = main.loc
        if not loc.text:
            nxt = [op for op in o.ops if op.loc.line]
            loc = nxt[0].loc if nxt else loc
    else:
        nxt = [op for op in o.ops if op.loc.line]
        loc = nxt[0].loc if nxt else thread.nodes[o.ops[0].pc].loc
    site: dict = {}
    if o.error is None:
        doer = _doing_op(program, thread, o, loc)
        if doer is not None:
            site = {"file": display_path(loc.file), "line": loc.line, "code": loc.text}
            loc = doer.loc
    messages = [op.message for op in o.ops if op.message]
    messages += [f"WARNING: {op.warning}" for op in o.ops if op.warning]
    changes = _changes(program, before, after_vec)
    for op in o.ops:  # a shared store of the value the slot had is shown too (1→1: the store of a lost update)
        if thread.nodes[op.pc].region < 0:
            continue
        for s, (a, b) in op.changes.items():
            slot = program.slots[s]
            if slot.kind == GLOBAL and not slot.ghost and a == b and b is not None and \
                    before[s] == after_vec[s] and slot.name not in changes:
                changes[slot.name] = [show_value(program, s, a), show_value(program, s, b)]
    return TraceStep(k, thread.name, display_path(loc.file), loc.line, loc.text, changes,
                     messages, o.error.message if o.error is not None else None, ops, reads, loc.func, site=site)


def _shared_change(program: Program, op) -> bool:
    """Whether an op changed the value of a (non-ghost) global."""
    return any(a != b and program.slots[s].kind == GLOBAL and not program.slots[s].ghost
               for s, (a, b) in op.changes.items())


def _doing_op(program: Program, thread, o: Outcome, loc):
    """For a step shown at a line that changed nothing itself (an ``ATOMIC {`` block, a call),
    the op in it that made its first change to shared state; None when the line shown did it."""
    if not loc.line:
        return None
    on_line = [op for op in o.ops if (op.loc.file, op.loc.line) == (loc.file, loc.line)]
    if any(_shared_change(program, op) for op in on_line):
        return None
    for op in o.ops:
        if op.loc.line and thread.nodes[op.pc].region >= 0 and _shared_change(program, op) \
                and (op.loc.file, op.loc.line) != (loc.file, loc.line):
            return op
    return None


def build_trace(program: Program, interp: Interpreter, found: Found) -> Trace:
    """Replay ``found.path`` (and the failing step, for errors) into a Trace.

    Raises ValueError if some step cannot be replayed (the path is not a real
    execution of the model).
    """
    path = found.path
    steps: list[TraceStep] = []
    replayed: list[tuple[tuple, Outcome]] = []
    for k in range(len(path) - 1):
        a, b = path[k], path[k + 1]
        match = None
        for tid in range(len(program.threads)):
            for o in interp.successors(a, tid):
                if o.error is None and o.state == b:
                    match = o
                    break
            if match:
                break
        if match is None:
            raise ValueError(f"trace step {k + 1} cannot be replayed: no thread leads from the state to the next")
        steps.append(_step_from(program, interp, k + 1, a, match, b))
        replayed.append((a, match))
    last = path[-1]
    if found.thread is not None:
        err = None
        # the recorded thread first; under symmetry reduction an identical
        # thread of the concrete state may be the one that fails
        order = [found.thread] + [t for t in range(len(program.threads)) if t != found.thread]
        for tid in order:
            for o in interp.successors(last, tid):
                if o.error is not None and o.error.name == found.name:
                    err = o
                    break
                if err is None and found.kind == "warning" and o.warnings:
                    err = o
            if err is not None:
                break
        if err is None:
            raise ValueError(f"the failing step of '{found.name}' cannot be replayed")
        vec = err.state if err.state is not None else last
        steps.append(_step_from(program, interp, len(steps) + 1, last, err, vec))
        replayed.append((last, err))
    marks = relevant_steps(program, replayed, found.kind, found.name, last, found.thread is not None)
    for step, rel in zip(steps, marks):
        step.relevant = rel
    return Trace(state_dict(program, path[0], only_globals=True), steps, state_dict(program, last))
