"""Varying and observing the library: replacement with __real_, CONFIG_DEBUG_VM,
assertion sites, tracepoints and thread locals in properties."""

import textwrap

import pytest

from conftest import check_file, trace_of, violated, write_scenario
from hugemc.diagnostics import HugemcError
from hugemc.lang import build_program
from hugemc.scenario import load_scenario


def scenario(tmp_path, c_src, threads, expect="holds", models=("m.c",), props=("m.c", "refcount.c"),
             properties=None, defines=None, init="mm_init()"):
    """A scenario over the library plus the user's m.c."""
    (tmp_path / "m.c").write_text(textwrap.dedent(c_src))
    lines = ["models = [" + ", ".join(f'"{m}"' for m in models) + "]",
             "property_files = [" + ", ".join(f'"{p}"' for p in props) + "]"]
    if properties is not None:
        lines.append("properties = [" + ", ".join(f'"{p}"' for p in properties) + "]")
    lines.append(f'expect = "{expect}"' if isinstance(expect, str) else
                 "expect = [" + ", ".join(f'"{e}"' for e in expect) + "]")
    if init:
        lines.append(f'init = "{init}"')
    lines.append("[defines]")
    for k, v in {"NR_PAGES": 2, **(defines or {})}.items():
        lines.append(f"{k} = {v}")
    lines.append("[threads]")
    lines += [f'{k} = "{v}"' for k, v in threads.items()]
    p = tmp_path / "s.toml"
    p.write_text("\n".join(lines) + "\n")
    return p


# -- replacing a library function ------------------------------------------------------------

REPLACE = """
    #include "mm/hugetlb.c"
    #include "mm/speculative.c"

    int calls __range(0, 3);

    /* the user's alloc_buddy_huge_page: counts, then runs the library's */
    struct page *alloc_buddy_huge_page(int order)
    {
        calls++;
        return __real_alloc_buddy_huge_page(order);
    }

    REACHABLE(replacement_ran)
    {
        return calls == 1;
    }
"""


def test_user_function_replaces_library_function_for_library_callers(tmp_path):
    # alloc_fresh_huge_page (library) calls alloc_buddy_huge_page: it gets the user's
    p = scenario(tmp_path, REPLACE, {"alloc": "alloc_fresh_huge_page()", "scanner": "pfn_scanner(0)"},
                 properties=["replacement_ran", "no_ref_on_frozen", "refcount_conserved"])
    r = check_file(p)
    assert r.ok, r.problems
    assert {p.name: p.status for p in r.properties}["replacement_ran"] == "reached"
    program = build_program(load_scenario(p))
    assert [x[0] for x in program.replaced] == ["alloc_buddy_huge_page"]
    assert program.replaced[0][1].endswith("m.c:8") and "mm/hugetlb.c" in program.replaced[0][2]
    # the JSON result says which library functions were replaced
    d = r.to_json()
    assert d["replaced"][0]["function"] == "alloc_buddy_huge_page"


def test_replacement_that_drops_the_freeze_is_caught(tmp_path):
    src = """
    #include "mm/hugetlb.c"
    #include "mm/speculative.c"

    /* a variant of page_ref_freeze that forgets to check: a blind store */
    static inline bool page_ref_freeze(struct page *page, int count)
    {
        set_page_count(page, 0);
        page->ghost_frozen = true;
        return true;
    }
    """
    p = scenario(tmp_path, src, {"alloc": "alloc_fresh_huge_page()", "scanner": "pfn_scanner(0)"},
                 expect=["no_ref_on_frozen", "assertion"], properties=["no_ref_on_frozen"],
                 defines={"ALLOC_CAN_FAIL": 0})
    r = check_file(p)
    assert r.ok, r.problems
    assert "no_ref_on_frozen" in violated(r)


def test_two_user_definitions_are_an_error(tmp_path):
    src = "void f(void) { }\nvoid f(void) { }\n"
    p = write_scenario(tmp_path, src, {"t": "f()"})
    with pytest.raises(HugemcError, match="defined twice") as e:
        build_program(load_scenario(p))
    assert "two model files" in e.value.hint


@pytest.mark.parametrize("defn,what", [
    ("void put_page(struct page *page, int n) { __real_put_page(page); }", r"takes 1 argument\(s\); this one takes 2"),
    ("int put_page(struct page *page) { __real_put_page(page); return 0; }", "returns nothing; this one does"),
])
def test_a_replacement_of_another_shape_is_an_error_where_it_is_defined(tmp_path, defn, what):
    """Even when no caller of the library function runs: the error is at the replacement, with the library's."""
    src = '#include "mm/buddy.c"\nint g __range(0, 1);\n' + defn + "\nvoid t(void) { g = 1; }\n"
    p = write_scenario(tmp_path, src, {"t": "t()"})
    with pytest.raises(HugemcError, match=what) as e:
        build_program(load_scenario(p))
    assert e.value.loc.line == 3 and "mm/buddy.c:" in e.value.hint


def test_real_without_replacement_is_an_error(tmp_path):
    src = '#include "mm/buddy.c"\nvoid t(void) { __real_put_page(&pages[0]); }\n'
    p = write_scenario(tmp_path, src, {"t": "t()"})
    with pytest.raises(HugemcError, match="no model replaces 'put_page'"):
        build_program(load_scenario(p))


# -- CONFIG_DEBUG_VM ---------------------------------------------------------------------------

DEBUG_VM = """
    #include "mm/hugetlb.c"

    /* a buggy caller: puts a page with a reference on the free list */
    void enqueue_referenced(void)
    {
        struct page *page = __alloc_pages(HUGETLB_ORDER, true);

        if (!page)
            return;
        prep_new_huge_page(page);
        free_huge_page(page);
    }
"""


def test_debug_vm_on_stops_at_the_vm_bug_on(tmp_path):
    p = scenario(tmp_path, DEBUG_VM, {"t": "enqueue_referenced()"}, expect=["VM_BUG_ON@free_huge_page"],
                 properties=["hugetlb_free_pages_unreferenced"], defines={"ALLOC_CAN_FAIL": 0})
    r = check_file(p)
    assert r.ok, r.problems
    assert violated(r) == {"VM_BUG_ON@free_huge_page"}


def test_debug_vm_off_shows_the_consequence(tmp_path):
    p = scenario(tmp_path, DEBUG_VM, {"t": "enqueue_referenced()"}, expect=["hugetlb_free_pages_unreferenced"],
                 properties=["hugetlb_free_pages_unreferenced"],
                 defines={"ALLOC_CAN_FAIL": 0, "CONFIG_DEBUG_VM": 0})
    r = check_file(p)
    assert r.ok, r.problems
    assert violated(r) == {"hugetlb_free_pages_unreferenced"}  # no VM_BUG_ON site at all


def test_bug_on_stays_without_debug_vm(run_c):
    src = "int g __range(0, 3);\nvoid t(void) { g = 1; BUG_ON(g == 1); VM_BUG_ON(g == 1); }\n"
    r = run_c(src, {"t": "t()"}, expect=["BUG_ON@t"], defines={"CONFIG_DEBUG_VM": 0})
    assert violated(r) == {"BUG_ON@t"}


# -- assertion sites ------------------------------------------------------------------------------

SITES = """
    int a __range(0, 3);
    int b __range(0, 3);

    void check(void)
    {
        VM_BUG_ON(a == 1);
        VM_BUG_ON_PAGE(b == 2, 0);
        BUG_ON(a == 2);
    }
    void w1(void) { a = 1; }
    void w2(void) { b = 1; b = 2; }
"""


def test_every_site_has_its_own_name_and_shortest_trace(run_c):
    r = run_c(SITES, {"c": "check()", "x": "w1()", "y": "w2()"},
              expect=["VM_BUG_ON@check", "VM_BUG_ON@check#2"])
    assert violated(r) == {"VM_BUG_ON@check", "VM_BUG_ON@check#2"}
    assert len(trace_of(r, "VM_BUG_ON@check").steps) == 2   # a = 1, then the first check
    assert len(trace_of(r, "VM_BUG_ON@check#2").steps) == 4  # first check, b = 1, b = 2, second check
    assert all(v.kind == "assertion" for v in r.violations)
    assert "[VM_BUG_ON@check#2]" in trace_of(r, "VM_BUG_ON@check#2").steps[-1].error


def test_assertion_matches_every_site(run_c):
    r = run_c(SITES, {"c": "check()", "x": "w1()", "y": "w2()"}, expect=["assertion"])
    assert r.ok, r.problems


def test_an_expected_site_that_is_not_found_fails(run_c):
    r = run_c(SITES, {"c": "check()", "x": "w1()"}, expect=["VM_BUG_ON@check#2"])
    assert not r.ok
    assert any("unexpected violation of VM_BUG_ON@check:" in x for x in r.problems)
    assert any("no longer found: VM_BUG_ON@check#2" in x for x in r.problems)


def test_unknown_site_in_expect_is_an_input_error(tmp_path):
    p = write_scenario(tmp_path, SITES, {"c": "check()"}, expect=["VM_BUG_ON@chek"])
    with pytest.raises(HugemcError, match="unknown property 'VM_BUG_ON@chek'") as e:
        build_program(load_scenario(p))
    assert "VM_BUG_ON@check" in e.value.hint


# -- tracepoints and locals ---------------------------------------------------------------------

def test_tracepoint_and_local_read_by_properties(tmp_path):
    src = """
    #include "mm/hugetlb.c"
    #include "mm/speculative.c"

    /* the retry of alloc_buddy_huge_page was needed and its page came back */
    REACHABLE(retried_and_got_page)
    {
        return TRACED(hugetlb_freeze_failed) && LOCAL(alloc, alloc_fresh_huge_page.page) != NULL;
    }

    /* the retry flag of the same thread */
    REACHABLE(retry_used)
    {
        return LOCAL(alloc, retry) == false && TRACED(hugetlb_freeze_failed);
    }
    """
    p = scenario(tmp_path, src, {"alloc": "alloc_fresh_huge_page()", "scanner": "pfn_scanner(0)"},
                 properties=["retried_and_got_page", "retry_used"], defines={"ALLOC_CAN_FAIL": 0,
                                                                             "NR_PAGES": 4})
    r = check_file(p)
    assert r.ok, r.problems
    st = {p.name: p.status for p in r.properties}
    assert st == {"retried_and_got_page": "reached", "retry_used": "reached"}
    # without the scanner the freeze never fails: the tracepoint is never passed
    p = scenario(tmp_path, src, {"alloc": "alloc_fresh_huge_page()"}, models=("m.c",),
                 properties=["retried_and_got_page"], defines={"ALLOC_CAN_FAIL": 0, "NR_PAGES": 4})
    r = check_file(p)
    assert {p.name: p.status for p in r.properties}["retried_and_got_page"] == "unreached"


def test_tracepoints_cost_nothing_unless_read(tmp_path):
    src = '#include "mm/hugetlb.c"\n#include "mm/speculative.c"\n'
    threads = {"alloc": "alloc_fresh_huge_page()", "scanner": "pfn_scanner(0)"}
    base = check_file(scenario(tmp_path, src, threads, properties=["no_ref_on_frozen"]))
    with_tp = check_file(scenario(tmp_path, src + "REACHABLE(f) { return TRACED(hugetlb_freeze_failed); }\n",
                                  threads, properties=["no_ref_on_frozen"]))
    assert base.stats.states == with_tp.stats.states  # an unselected property adds no slot
    program = build_program(load_scenario(scenario(tmp_path, src, threads, properties=["no_ref_on_frozen"])))
    assert not any(s.name.startswith("ghost_trace.") for s in program.slots)


@pytest.mark.parametrize("body, message", [
    ("return TRACED(no_such_point);", "unknown tracepoint 'no_such_point'"),
    ("return LOCAL(nobody, page) != NULL;", "no thread 'nobody'"),
    ("return LOCAL(alloc, no_such_var) != NULL;", "has no local 'no_such_var'"),
    ("return LOCAL(alloc, page) != NULL;", "several functions"),
])
def test_observation_errors(tmp_path, body, message):
    src = '#include "mm/hugetlb.c"\nREACHABLE(p) { ' + body + ' }\n'
    p = scenario(tmp_path, src, {"alloc": "alloc_fresh_huge_page()"}, properties=["p"], props=("m.c",))
    with pytest.raises(HugemcError, match=message):
        build_program(load_scenario(p))


def test_trace_only_in_model_code_and_traced_only_in_properties(tmp_path):
    src = '#include "mm/hugetlb.c"\nvoid t(void) { if (TRACED(hugetlb_freeze_failed)) pages[0].flags = 0; }\n'
    p = scenario(tmp_path, src, {"t": "t()"}, props=("m.c",))
    with pytest.raises(HugemcError, match="only be used in properties"):
        build_program(load_scenario(p))


# -- pointer parameters bound to constant addresses ------------------------------------------------

def test_subscript_of_a_pointer_parameter_bound_to_a_constant_address(tmp_path):
    src = """
    struct obj { int a __range(0, 3); };
    struct obj objs[2];
    void mark(struct obj *o) { int i; for (i = 0; i < 2; i++) o[i].a = 1; }
    void setup(void) { mark(&objs[0]); }
    void t(void) { int x = objs[1].a; assert(x == 1); }
    """
    p = write_scenario(tmp_path, src, {"t": "t()"}, extra='init = "setup()"')
    assert check_file(p).verdict == "holds"


def test_library_call_with_a_constant_block_address(tmp_path):
    src = '#include "mm/buddy.c"\nvoid setup(void) { mm_init(); __alloc_pages(1, false); }\n'
    p = scenario(tmp_path, src, {"t": "__free_pages(&pages[0], 1)"}, props=("m.c", "refcount.c"),
                 properties=["no_double_free"], defines={"ALLOC_CAN_FAIL": 0}, init="setup()")
    r = check_file(p)
    assert r.verdict == "holds", r.problems
