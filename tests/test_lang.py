"""Front end: the C subset, domains, pointers, runtime errors as properties."""

import pytest

from conftest import trace_of, violated


def test_domain_overflow_names_slot_value_and_domain(run_c):
    src = """
    int small __range(0, 2);
    void t(void) { small = 1; small = small + 2; }
    """
    r = run_c(src, {"t": "t()"}, expect=["domain_overflow"])
    v = r.violations[0]
    assert v.property == "domain_overflow"
    assert "3" in v.message and "'small'" in v.message and "0..2" in v.message


def test_typedef_domain_and_scenario_override(run_c):
    src = """
    typedef int order_t __range(0, 3);
    order_t o;
    int wide;
    void t(void) { o = 3; wide = 100; }
    """
    r = run_c(src, {"t": "t()"})
    assert r.verdict == "holds"
    r = run_c(src, {"t": "t()"}, expect=["domain_overflow"], extra='[domains]\n"wide" = [0, 10]')
    assert "'wide'" in r.violations[0].message


def test_bool_normalises(run_c):
    src = """
    bool b;
    int x __range(0, 9);
    void t(void) { x = 7; b = x; }
    FINAL(is_one) { return b == 1; }
    """
    assert run_c(src, {"t": "t()"}).verdict == "holds"


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_bool_increment_and_decrement_normalise(run_c, engine):
    """C: b++ leaves 1, b-- turns 0 into 1 and 1 into 0; the value of ++b is the stored one."""
    src = """
    bool g, h, k;
    int r __range(0, 1);
    void t(void) { bool b = 1; b++; g = b; h++; h++; k--; r = ++h; }
    FINAL(as_c) { return g == 1 && h == 1 && k == 1 && r == 1; }
    """
    assert run_c(src, {"t": "t()"}, engine=engine).verdict == "holds"


def test_null_deref_and_short_circuit(run_c):
    src = """
    struct obj { int v __range(0, 3); };
    struct obj objs[2];
    struct obj *p;
    void safe(void) { struct obj *q = NULL; if (q && q->v) objs[0].v = 1; }
    void unsafe(void) { p->v = 1; }
    """
    assert run_c(src, {"t": "safe()"}).verdict == "holds"
    r = run_c(src, {"t": "unsafe()"}, expect=["null_deref"])
    assert len(trace_of(r, "null_deref").steps) == 2  # load p, then the faulting store


def test_pointer_arithmetic_and_bounds(run_c):
    src = """
    struct page { int count __range(0, 3); struct page *head; };
    struct page pages[4];
    void link(void) {
        struct page *p = &pages[1];
        struct page *q = p + 2;
        q->head = p;
        assert(q - pages == 3);
        assert(q->head == &pages[1]);
    }
    void overrun(void) { struct page *p = &pages[3]; p = p + 2; }
    void one_past(void) { struct page *p = &pages[3] + 1; p->count = 1; }
    int arr[3];
    void index(void) { int i = nondet_int(0, 3); arr[i] = 1; }
    """
    assert run_c(src, {"t": "link()"}).verdict == "holds"
    assert violated(run_c(src, {"t": "overrun()"}, expect=["out_of_bounds"])) == {"out_of_bounds"}
    assert violated(run_c(src, {"t": "one_past()"}, expect=["out_of_bounds"])) == {"out_of_bounds"}
    assert violated(run_c(src, {"t": "index()"}, expect=["out_of_bounds"])) == {"out_of_bounds"}


def test_control_flow(run_c):
    src = """
    int out __range(0, 100);
    int classify(int x) {
        switch (x) {
        case 0: return 10;
        case 1:
        case 2: return 20;
        default: break;
        }
        return 30;
    }
    void t(void) {
        int i, s = 0;
        for (i = 0; i < 5; i++) {
            if (i == 1) continue;
            if (i == 4) break;
            s += i;
        }
        do { s++; } while (s < 6);
        while (1) { if (s > 7) goto done; s++; }
    done:
        out = s + classify(1) + classify(7) + (s > 3 ? 1 : 2);
    }
    FINAL(value) { return out == 8 + 20 + 30 + 1; }
    """
    r = run_c(src, {"t": "t()"})
    assert r.verdict == "holds", r.problems


def test_uninitialised_read_and_division(run_c):
    src = """
    int g __range(-5, 5);
    void uninit(void) { int x; if (nondet_bool()) x = 1; g = x; }
    void div(void) { int d = nondet_int(0, 1); g = 4 / d; }
    void cdiv(void) { g = -7 / 2; assert(g == -3); g = -7 % 2; assert(g == -1); }
    """
    assert violated(run_c(src, {"t": "uninit()"}, expect=["uninit_read"])) == {"uninit_read"}
    assert violated(run_c(src, {"t": "div()"}, expect=["div_by_zero"])) == {"div_by_zero"}
    assert run_c(src, {"t": "cdiv()"}).verdict == "holds"


def test_warnings_and_printk(run_c):
    src = """
    int g __range(0, 3);
    void t(void) {
        int v;
        g = 2;
        v = g;
        if (WARN_ON(v > 1))
            pr_warn("g is %d\\n", v);
        g = 0;
    }
    """
    r = run_c(src, {"t": "t()"})
    assert r.verdict == "holds" and len(r.warnings) == 1
    assert "WARN_ON(v > 1)" in r.warnings[0].message
    steps = r.warnings[0].trace.steps
    assert any("g is 2" in m for s in steps for m in s.messages)
    r = run_c(src, {"t": "t()"}, expect=["warning"], extra="fatal_warnings = true")
    assert violated(r) == {"WARN_ON@t"}


def test_bug_on_and_assert(run_c):
    src = """
    int g __range(0, 3);
    void t(void) { g = 1; BUG_ON(g == 1); }
    void u(void) { VM_BUG_ON_PAGE(g != 0, 0); assert(g == 0); }
    """
    r = run_c(src, {"t": "t()"}, expect=["assertion"])
    assert "BUG_ON(g == 1)" in r.violations[0].message
    assert run_c(src, {"t": "u()"}).verdict == "holds"


def test_static_inline_const_accepted_and_folded(run_c):
    src = """
    static const int LIMIT = 2;
    static inline int twice(const int x) { return 2 * x; }
    int g __range(0, 4);
    void t(void) { g = twice(LIMIT); }
    FINAL(four) { return g == 4; }
    """
    r = run_c(src, {"t": "t()"})
    assert r.verdict == "holds"


def test_final_and_invariant_and_reachable(run_c):
    src = """
    int g __range(0, 3);
    void t(void) { g = 1; g = 2; g = 0; }
    INVARIANT(below_two) { return g < 2; }
    REACHABLE(two) { return g == 2; }
    REACHABLE(three) { return g == 3; }
    FINAL(zero) { return g == 0; }
    """
    r = run_c(src, {"t": "t()"}, expect=["below_two"], extra='properties = ["below_two", "two", "zero"]')
    assert r.ok and violated(r) == {"below_two"}
    assert len(trace_of(r, "below_two").steps) == 2
    status = {p.name: p.status for p in r.properties}
    assert status == {"below_two": "violated", "two": "reached", "zero": "holds"}
    # an unreachable 'reachable' property makes the scenario fail (vacuous model)
    r = run_c(src, {"t": "t()"}, extra='properties = ["three"]')
    assert not r.ok and any("never reached" in p for p in r.problems)


def test_dfs_agrees_with_bfs(run_c):
    src = """
    int c __range(0, 3);
    void inc(void) { c++; }
    FINAL(three) { return c == 3; }
    """
    b = run_c(src, {"t": ("inc()", 3)}, expect=["three"])
    d = run_c(src, {"t": ("inc()", 3)}, expect=["three"], strategy="dfs")
    assert b.stats.states == d.stats.states and violated(b) == violated(d) == {"three"}
    assert len(trace_of(d, "three").steps) >= len(trace_of(b, "three").steps)


@pytest.mark.parametrize("limit", [{"max_states": 5}, {"max_depth": 2}])
def test_limits_make_search_incomplete(run_c, limit):
    src = """
    int c __range(0, 3);
    void inc(void) { c++; }
    """
    r = run_c(src, {"t": ("inc()", 3)}, **limit)
    assert r.verdict == "incomplete" and not r.ok and not r.stats.complete


def test_memory_limit_makes_search_incomplete(run_c):
    src = """
    int c __range(0, 3);
    void inc(void) { c++; }
    """
    r = run_c(src, {"t": ("inc()", 3)}, max_memory=1)
    assert r.verdict == "incomplete" and r.stats.limit == "max_memory"


def test_declared_but_undefined_function_fails_only_when_reached(run_c):
    src = """
    int g __range(0, 3);
    void hook(int x);
    void t(void) { g = 1; if (g == 2) hook(g); }
    void u(void) { hook(1); }
    """
    assert run_c(src, {"t": "t()"}).verdict == "holds"
    r = run_c(src, {"t": "u()"}, expect=["assertion"])
    assert "call of 'hook', which no model of this scenario defines" in r.violations[0].message
