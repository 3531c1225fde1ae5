"""The IR on its own: a hand-built program, the step rule, the reference interpreter."""

from hugemc import ir
from hugemc.backend import compile_program
from hugemc.explore import bfs, dfs
from hugemc.ir import Assign, Binary, Branch, Const, Exit, Jump, Loc, Var
from hugemc.ir.interp import Interpreter, replay
from hugemc.ir.steps import thread_plan

L = Loc("hand.c", 1, 1, "")


def counter_program(atomic: bool) -> ir.Program:
    """Two threads doing x = x + 1 as one region (atomic) or as load + store."""
    slots = [ir.Slot("x", 0, 2, 0)]
    threads = []
    for t in range(2):
        pc = len(slots)
        slots.append(ir.Slot(f"t{t}.pc", ir.DONE, 3, 0, ir.PC, t))
        tmp = len(slots)
        slots.append(ir.Slot(f"t{t}.tmp", 0, 2, None, ir.LOCAL, t, role="temp"))
        if atomic:
            nodes = (Jump(1, L, 1), Assign(Var(0), Binary("+", Var(0), Const(1)), 2, L, 1), Exit(L))
        else:
            nodes = (Assign(Var(tmp), Var(0), 1, L), Assign(Var(0), Binary("+", Var(tmp), Const(1)), 2, L),
                     Exit(L))
        threads.append(ir.Thread(f"t{t}", t, pc, 0, nodes, (tmp,)))
    final = ir.Routine("two", (Assign(Var(len(slots)), Binary("==", Var(0), Const(2)), 1, L), Exit(L)), 0,
                       len(slots))
    slots.append(ir.Slot("two.result", 0, 1, None, ir.SCRATCH))
    prop = ir.Property("two", ir.FINAL, "", L, final)
    return ir.Program("hand", tuple(slots), len(slots) - 1, tuple(threads), (), (prop,))


def test_step_rule_load_store_vs_region():
    p = counter_program(atomic=False)
    plan = thread_plan(p, p.threads[0])
    assert plan.shared == (True, True, False)
    assert plan.boundaries == (0, 1)
    # the temporary is dead at the entry and live before the store
    assert plan.clear_at[0] == (2,) and plan.clear_at[1] == ()
    pa = counter_program(atomic=True)
    plan = thread_plan(pa, pa.threads[0])
    assert plan.region_entry == (True, False, False)
    assert plan.boundaries == (0,)


def test_interpreter_lost_update_and_replay():
    p = counter_program(atomic=False)
    it = Interpreter(p)
    s0 = it.initial_states()[0]
    (a,) = it.successors(s0, 0)          # t0 loads x = 0
    (b,) = it.successors(a.state, 1)     # t1 loads x = 0
    (c,) = it.successors(b.state, 0)     # t0 stores 1
    (d,) = it.successors(c.state, 1)     # t1 stores 1: lost update
    assert d.state[0] == 1 and d.state[1] == ir.DONE and d.state[3] == ir.DONE
    assert it.eval_property(0, d.state) is False
    ops = replay(p, [s0, a.state, b.state, c.state, d.state], [0, 1, 0, 1])
    assert ops[3].ops[0].changes == {0: (1, 1)}
    try:
        replay(p, [s0, d.state], [0])
    except ValueError:
        pass
    else:
        raise AssertionError("a fabricated step replayed")


def test_engines_on_hand_built_ir():
    # plain: 1 + 2 + 1 (both before/loaded) + 2 (one done) + 4 (one done, one loaded) + 2 (both done)
    for atomic, states, violated in ((False, 12, {"two"}), (True, 4, set())):
        m = compile_program(counter_program(atomic))
        for search in (bfs, dfs):
            r = search(m)
            assert r.states == states and set(r.violations) == violated


def test_domain_error_is_a_state_not_an_exception():
    p = counter_program(atomic=True)
    slots = list(p.slots)
    slots[0] = ir.Slot("x", 0, 1, 0)
    p = ir.Program(p.name, tuple(slots), p.nstate, p.threads, p.tables, p.properties)
    r = bfs(compile_program(p))
    assert set(r.violations) == {ir.DOMAIN}
    assert "'x'" in r.violations[ir.DOMAIN].message and "0..1" in r.violations[ir.DOMAIN].message


def test_branch_and_unused_node_types():
    # a thread that branches on a global: the branch is its only shared access
    slots = (ir.Slot("g", 0, 1, 1), ir.Slot("h", 0, 1, 0), ir.Slot("t.pc", ir.DONE, 3, 0, ir.PC, 0))
    nodes = (Branch(Var(0), 1, 2, L), Assign(Var(1), Const(1), 2, L), Exit(L))
    p = ir.Program("b", slots, 3, (ir.Thread("t", 0, 2, 0, nodes, ()),), (), ())
    it = Interpreter(p)
    (o,) = it.successors(it.initial_states()[0], 0)
    # branch (shared read of g) and the store to h are two units: two steps
    assert o.state == (1, 0, 1)
