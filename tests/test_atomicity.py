"""Atomicity exactly as DESIGN.md says: loads and stores are steps, builtins are one step."""

from conftest import trace_of, violated

COUNTER = """
int counter __range(0, 2);
atomic_t acount __range(0, 2);
unsigned long flags __range(0, 3);

void plain(void) { counter++; }
void atomic(void) { atomic_inc(&acount); }
void set_x(void) { flags |= 1; }
void set_y(void) { flags |= 2; }
void set_bit_x(void) { set_bit(0, &flags); }
void set_bit_y(void) { set_bit(1, &flags); }
void nonatomic_x(void) { __set_bit(0, &flags); }
void nonatomic_y(void) { __set_bit(1, &flags); }

FINAL(counter_two) { return counter == 2; }
FINAL(acount_two) { return atomic_read(&acount) == 2; }
FINAL(both_bits) { return flags == 3; }
"""


def test_plain_increment_loses_an_update(run_c):
    r = run_c(COUNTER, {"a": "plain()", "b": "plain()"}, expect=["counter_two"],
              extra='properties = ["counter_two"]')
    assert r.ok and violated(r) == {"counter_two"}
    t = trace_of(r, "counter_two")
    # load, load, store, store
    assert len(t.steps) == 4
    assert [s.thread for s in t.steps[:2]] == ["a", "b"] or [s.thread for s in t.steps[:2]] == ["b", "a"]
    assert t.steps[0].reads == {"counter": 0} and t.steps[1].reads == {"counter": 0}
    # the lost update stores the value the counter already has: shown as 1→1, the store that loses it
    assert t.steps[3].changes == {"counter": [1, 1]}
    assert any(op.changes.get("counter") == [1, 1] for op in t.steps[3].ops)


def test_atomic_increment_loses_nothing(run_c):
    r = run_c(COUNTER, {"a": ("atomic()", 2)}, extra='properties = ["acount_two"]')
    assert r.ok and r.verdict == "holds"
    assert r.stats.states == 4  # initial, a0 done, a1 done, both done


def test_flags_or_loses_a_bit(run_c):
    r = run_c(COUNTER, {"x": "set_x()", "y": "set_y()"}, expect=["both_bits"], extra='properties = ["both_bits"]')
    assert violated(r) == {"both_bits"}
    assert len(trace_of(r, "both_bits").steps) == 4


def test_set_bit_is_atomic(run_c):
    r = run_c(COUNTER, {"x": "set_bit_x()", "y": "set_bit_y()"}, extra='properties = ["both_bits"]')
    assert r.verdict == "holds"


def test_nonatomic_set_bit_is_two_steps(run_c):
    r = run_c(COUNTER, {"x": "nonatomic_x()", "y": "nonatomic_y()"}, expect=["both_bits"],
              extra='properties = ["both_bits"]')
    assert violated(r) == {"both_bits"}


def test_two_global_reads_are_two_steps(run_c):
    src = """
    int a __range(0, 2);
    int b __range(0, 2);
    int seen __range(0, 4);
    void reader(void) { seen = a + b; }
    void writer(void) { a = 1; b = 1; }
    /* reader saw b's new value but a's old one */
    REACHABLE(torn) { return seen == 1; }
    """
    r = run_c(src, {"r": "reader()", "w": "writer()"})
    assert r.ok
    # reader: load a, load b, store seen = 3 steps; writer: 2 steps
    assert r.stats.depth == 5


def test_local_computation_merges_into_steps(run_c):
    src = """
    int g __range(0, 10);
    void t(void) {
        int i, sum = 0;
        sum = sum + 1; sum = sum * 2;   /* local only */
        g = sum;                        /* one store step */
        if (sum == 2) sum = 3;          /* local, merged */
    }
    FINAL(stored) { return g == 2; }
    """
    r = run_c(src, {"t": "t()"})
    assert r.ok and r.stats.states == 2 and r.stats.depth == 1


def test_atomic_block_is_one_step(run_c):
    src = """
    int a __range(0, 2);
    int b __range(0, 2);
    void both(void) { ATOMIC { a = 1; b = 1; } }
    void check(void) { int x = a; int y = b; assert(x == y || x == 0); }
    """
    r = run_c(src, {"w": "both()", "c": "check()"})
    assert r.verdict == "holds", r.problems
    src2 = src.replace("ATOMIC { a = 1; b = 1; }", "a = 1; b = 1;").replace("x == y || x == 0", "!(x == 1 && y == 0)")
    # without the block, a reader can see a=1, b=0
    r2 = run_c(src2, {"w": "both()", "c": "check()"}, expect=["assertion"])
    assert violated(r2) == {"assert@check"}


def test_cmpxchg_and_add_unless(run_c):
    src = """
    atomic_t ref __range(0, 3);
    int frozen_seen __range(0, 1);
    void freezer(void) { if (atomic_cmpxchg(&ref, 1, 0) == 1) { frozen_seen = 1; } }
    void getter(void) { if (atomic_add_unless(&ref, 1, 0)) atomic_dec(&ref); }
    void setup(void) { atomic_set(&ref, 1); }
    REACHABLE(froze) { return frozen_seen == 1; }
    INVARIANT(never_negative) { return atomic_read(&ref) >= 0; }
    """
    r = run_c(src, {"f": "freezer()", "g": "getter()"}, extra='init = "setup()"')
    assert r.ok, r.problems


def test_spinlock_mutual_exclusion_and_deadlock(run_c):
    src = """
    spinlock_t a __range(0, 3);
    spinlock_t b __range(0, 3);
    int in_cs __range(0, 2);
    void t1(void) { spin_lock(&a); in_cs++; in_cs--; spin_unlock(&a); }
    INVARIANT(exclusive) { return in_cs <= 1; }
    void ab(void) { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
    void ba(void) { spin_lock(&b); spin_lock(&a); spin_unlock(&a); spin_unlock(&b); }
    void bad_unlock(void) { spin_unlock(&a); }
    """
    r = run_c(src, {"x": ("t1()", 2)})
    assert r.verdict == "holds"
    r = run_c(src, {"x": "ab()", "y": "ba()"}, expect=["deadlock"])
    assert violated(r) == {"deadlock"}
    assert len(trace_of(r, "deadlock").steps) == 2
    r = run_c(src, {"x": "bad_unlock()"}, expect=["unlock_unheld"])
    assert violated(r) == {"unlock_unheld"}


def test_nondet_branches_the_search(run_c):
    src = """
    int g __range(0, 5);
    void t(void) { int v = nondet_int(1, 3); assume(v != 2); g = v; }
    REACHABLE(one) { return g == 1; }
    REACHABLE(three) { return g == 3; }
    INVARIANT(never_two) { return g != 2; }
    """
    r = run_c(src, {"t": "t()"})
    assert r.ok and r.stats.states == 3  # initial, g=1, g=3


def test_ghost_block_rides_along_and_may_only_write_ghosts(run_c):
    src = """
    int x __range(0, 2);
    int y __range(0, 2);
    int ghost_seen __range(0, 2);
    void t(void) {
        x = 1;
        GHOST { ghost_seen = y + x; }   /* reads real state, adds no step */
        y = 1;
    }
    INVARIANT(ghost_tracks) { return ghost_seen == x; }
    """
    r = run_c(src, {"t": "t()"})
    assert r.verdict == "holds" and r.stats.states == 3  # initial, after x = 1, after y = 1
    bad = src.replace("ghost_seen = y + x;", "y = 2;")
    from conftest import write_scenario
    from hugemc.check import check_scenario
    import pathlib, tempfile
    d = pathlib.Path(tempfile.mkdtemp())
    res = check_scenario(write_scenario(d, bad, {"t": "t()"}))
    assert res.verdict == "error" and "GHOST code may only write ghost state" in res.error
