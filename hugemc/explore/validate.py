"""Check that a reported trace is a real execution that reaches its violation.

:func:`validate_trace` starts from the program's initial states and, step by
step, asks the reference interpreter for the named thread's possible steps,
keeping those whose effects match what the trace reports (the slots it
changed, with their values). At the end it checks that the violation really
happens there. It works from the trace as reported (as in the JSON), not
from the explorer's internal states, so a fabricated or corrupted trace fails.
"""

from __future__ import annotations

from ..ir import DEADLOCK, DONE, FINAL, INVARIANT, REACHABLE, Program
from ..ir.interp import Fault, Interpreter
from ..result import Trace, Violation
from .trace import show_value, visible


def _effects_match(program: Program, before: tuple, after, changes: dict) -> bool:
    names = {program.slots[i].name: i for i in range(program.nstate)}
    for name, (a, b) in changes.items():
        i = names.get(name)
        if i is None:
            return False
        if show_value(program, i, before[i]) != a or show_value(program, i, after[i]) != b:
            return False
    for i in range(program.nstate):
        if visible(program, i) and before[i] != after[i] and after[i] is not None \
                and program.slots[i].name not in changes:
            return False
    return True


def validate_trace(program: Program, trace: Trace, kind: str, prop: str) -> None:
    """Raise ValueError unless ``trace`` is an execution ending in violation ``prop`` of ``kind``.

    ``kind`` is the violation kind (invariant, final, deadlock, a runtime error
    kind, warning) or ``reachable`` for a reachable property's witness.
    """
    interp = Interpreter(program)
    tids = {t.name: t.index for t in program.threads}
    frontier = set(interp.initial_states())
    steps = trace.steps
    last_error = None
    for k, step in enumerate(steps):
        if step.thread not in tids:
            raise ValueError(f"step {k + 1}: unknown thread {step.thread!r}")
        tid = tids[step.thread]
        nxt = set()
        errors = []
        for s in frontier:
            for o in interp.successors(s, tid):
                if o.error is not None:
                    if step.error is not None and o.error.message == step.error:
                        errors.append((s, o))
                    continue
                if step.error is None and _effects_match(program, s, o.state, step.changes):
                    nxt.add(o.state)
        if step.error is not None:
            if k != len(steps) - 1:
                raise ValueError(f"step {k + 1} reports an error but is not the last step")
            if not errors:
                raise ValueError(f"step {k + 1}: thread {step.thread} cannot fail with {step.error!r} here")
            last_error = errors
            break
        if not nxt:
            raise ValueError(f"step {k + 1} ({step.thread} at {step.file}:{step.line}) cannot be replayed")
        frontier = nxt
    if last_error is not None:
        if not any(o.error.kind == kind and o.error.name in (prop, kind) for _, o in last_error):
            raise ValueError(f"the last step fails, but not with {kind}")
        return
    props = {p.name: (i, p) for i, p in enumerate(program.properties)}
    if kind in (INVARIANT, FINAL, REACHABLE):
        if prop not in props:
            raise ValueError(f"unknown property {prop!r}")
        idx, _ = props[prop]

        def value(s):
            try:
                return interp.eval_property(idx, s)
            except Fault:
                return None  # a faulting property counts as violated
        if kind == REACHABLE:
            ok = any(value(s) for s in frontier)
        elif kind == INVARIANT:
            ok = any(not value(s) for s in frontier)
        else:
            ok = any(all(s[t.pc_slot] == DONE for t in program.threads) and not value(s) for s in frontier)
        if not ok:
            raise ValueError(f"the trace's last state does not show {kind} property {prop!r}")
        return
    if kind == DEADLOCK:
        for s in frontier:
            stuck = not any(interp.successors(s, t.index) for t in program.threads)
            if stuck and any(s[t.pc_slot] != DONE for t in program.threads):
                return
        raise ValueError("the trace's last state is not a deadlock")
    if kind == "warning":
        return
    raise ValueError(f"violation {prop!r} of kind {kind} is not shown by the trace's last step")


def validate_violation(program: Program, v: Violation) -> None:
    """:func:`validate_trace` for a reported violation."""
    validate_trace(program, v.trace, v.kind, v.property)
