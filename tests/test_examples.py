"""The shipped examples: verdicts, violated properties and BFS trace lengths; every trace replays."""

import pytest

from conftest import EXAMPLES, check_file, trace_of, violated

# scenario -> (verdict, {violated property: BFS counterexample length})
EXPECTED = {
    "seed-v1-null-deref": ("violated", {"null_deref": 2}),
    "seed-v2-null-deref": ("violated", {"null_deref": 2}),
    "seed-merged": ("holds", {}),
    "lost-update": ("violated", {"no_lost_update": 6}),
    "seed-merged-contended": ("holds", {}),
    "seed-merged-two-readers": ("holds", {}),
    "mutant-forget-page": ("violated", {"no_leak": 7}),
    "mutant-free-despite-ref": ("violated", {"buddy_pages_unreferenced": 5, "no_ref_on_frozen": 7,
                                             "VM_BUG_ON@put_page_testzero": 9}),
    "mutant-blind-store": ("violated", {"no_ref_on_frozen": 4, "VM_BUG_ON@put_page_testzero": 6,
                                        "hugetlb_free_pages_unreferenced": 18, "refcount_conserved": 18}),
    "frozen-allocator-2025": ("holds", {}),
    "prepatch-6.0": ("holds", {}),
    "free-pages-2020-leak": ("violated", {"no_leak": 11}),
    "free-pages-2020-fixed": ("holds", {}),
    "free-pages-check-after-drop": ("violated", {"no_use_after_free": 12}),
    "gigantic-2021-blind-store": ("violated", {"refcount_conserved": 6, "VM_BUG_ON@put_page_testzero": 8,
                                               "hugetlb_free_pages_unreferenced": 22}),
    "gigantic-freeze-v1-undo": ("violated", {"VM_BUG_ON@put_page_testzero": 11}),
    "gigantic-merged": ("holds", {}),
    "vmemmap-head-6.2-unfrozen": ("violated", {"refcount_conserved": 6, "buddy_pages_unreferenced": 12,
                                               "VM_BUG_ON@put_page_testzero": 15, "no_leak": 15,
                                               "hugetlb_free_pages_unreferenced": 20}),
    "vmemmap-head-6.2-frozen": ("holds", {}),
    "dissolve-2021-race": ("violated", {"domain_overflow": 14, "VM_BUG_ON@free_huge_page": 22,
                                        "VM_BUG_ON@enqueue_huge_page": 27, "not_in_buddy_and_hugetlb_pool": 36}),
    "dissolve-fixed": ("holds", {}),
    "dissolve-vmemmap-restore": ("holds", {}),
    "hugetlb-pool-speculative": ("holds", {}),
    # the races of KERNEL.md section 9, each as a buggy/fixed pair written with the library
    "surplus-25182f05ffed-buggy": ("violated", {"hugetlb_free_pages_unreferenced": 31}),
    "surplus-25182f05ffed-fixed": ("holds", {}),
    "surplus-5.15-give-up": ("holds", {}),
    "isolate-0eb2df2b5629-buggy": ("violated", {"VM_BUG_ON@page_huge_active": 23, "VM_BUG_ON@isolate_huge_page": 25}),
    "isolate-0eb2df2b5629-fixed": ("holds", {}),
    "hwpoison-405ce051236c-buggy": ("violated", {"mf_poison_on_right_page": 29}),
    "hwpoison-405ce051236c-fixed": ("holds", {}),
    "hvo-32c877191e02-buggy": ("violated", {"no_write_to_readonly_struct_page": 22}),
    "hvo-32c877191e02-fixed": ("holds", {}),
    "hvo-d8f5f7e445f0-buggy": ("violated", {"no_write_to_readonly_struct_page": 4}),
    "hvo-d8f5f7e445f0-fixed": ("holds", {}),
    "hvo-d8f5f7e445f0-residual": ("violated", {"no_write_to_readonly_struct_page": 11}),
    "hwpoison-5596d9e8b553-buggy": ("violated", {"raw_hwp_not_leaked": 47}),
    "hwpoison-5596d9e8b553-fixed": ("holds", {}),
    # RCU, THP split, GUP-fast and the two-step try-get
    "split-gup-fast": ("holds", {}),
    "split-gup-fast-two-step": ("holds", {}),
    "split-gup-fast-no-head-recheck": ("violated", {"gup_pin_on_page_head": 25, "mapped_page_not_free": 31,
                                                    "VM_BUG_ON@put_page_testzero": 32}),
    "tryget-two-step-freeze": ("holds", {}),
    "independent-pages": ("holds", {}),
    "tryget-blind-store-freeze": ("violated", {"no_ref_on_frozen": 5, "VM_BUG_ON@page_ref_unfreeze": 7,
                                               "refcount_conserved": 8, "VM_BUG_ON@put_page_testzero": 12,
                                               "buddy_pages_unreferenced": 12, "no_use_after_free": 14}),
    "rcu-vmemmap-walker": ("holds", {}),
    "rcu-vmemmap-walker-no-sync": ("violated", {"no_write_to_readonly_struct_page": 11}),
}

# the six races of KERNEL.md section 9: (buggy, fixed) scenarios, the harm the buggy one
# must show, and the REACHABLE property through which the fixed one reaches the race window
RACE_PAIRS = {
    "25182f05ffed": ("surplus-25182f05ffed-buggy", "surplus-25182f05ffed-fixed", "hugetlb_free_pages_unreferenced"),
    "0eb2df2b5629": ("isolate-0eb2df2b5629-buggy", "isolate-0eb2df2b5629-fixed", "VM_BUG_ON@isolate_huge_page"),
    "405ce051236c": ("hwpoison-405ce051236c-buggy", "hwpoison-405ce051236c-fixed", "mf_poison_on_right_page"),
    "32c877191e02": ("hvo-32c877191e02-buggy", "hvo-32c877191e02-fixed", "no_write_to_readonly_struct_page"),
    "d8f5f7e445f0": ("hvo-d8f5f7e445f0-buggy", "hvo-d8f5f7e445f0-fixed", "no_write_to_readonly_struct_page"),
    "5596d9e8b553": ("hwpoison-5596d9e8b553-buggy", "hwpoison-5596d9e8b553-fixed", "raw_hwp_not_leaked"),
}


@pytest.mark.parametrize("commit", sorted(RACE_PAIRS))
def test_race_pair(commit):
    """The buggy form is caught with the harm; the fixed one holds and reaches the race window."""
    buggy, fixed, harm = RACE_PAIRS[commit]
    assert commit in (EXAMPLES / f"{buggy}.toml").read_text() and commit in (EXAMPLES / f"{fixed}.toml").read_text()
    rb = check_file(EXAMPLES / f"{buggy}.toml")
    assert rb.ok and harm in violated(rb)
    rf = check_file(EXAMPLES / f"{fixed}.toml")
    assert rf.ok and rf.verdict == "holds"
    reached = [p for p in rf.properties if p.kind == "reachable" and p.status == "reached"]
    assert reached, f"{fixed} reaches no REACHABLE property"
    # the window is really the race: the witness of some reached property interleaves two threads
    assert any(len({s.thread for s in p.witness.steps}) >= 2 for p in reached)


def test_every_example_is_listed():
    assert {p.stem for p in EXAMPLES.glob("*.toml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_example(name, strategy):
    verdict, lengths = EXPECTED[name]
    r = check_file(EXAMPLES / f"{name}.toml", strategy=strategy)  # validates every trace
    assert r.ok, r.problems
    assert r.verdict == verdict
    assert violated(r) == set(lengths)
    if strategy == "bfs":
        for prop, n in lengths.items():
            assert len(trace_of(r, prop).steps) == n


def test_seed_v1_trace_is_allocation_failure_then_freeze():
    r = check_file(EXAMPLES / "seed-v1-null-deref.toml")
    t = trace_of(r, "null_deref")
    assert [s.thread for s in t.steps] == ["alloc", "alloc"]
    assert any(v == [None, "NULL"] for k, v in t.steps[0].changes.items() if k.endswith(".page"))
    assert "page_ref_freeze" in t.steps[1].code or "atomic_cmpxchg" in t.steps[1].code
    assert "NULL pointer dereference" in t.steps[1].error


def test_seed_merged_exercises_the_retry():
    r = check_file(EXAMPLES / "seed-merged.toml")
    status = {p.name: p.status for p in r.properties}
    assert status["freeze_failed_then_retried"] == "reached"
    w = next(p.witness for p in r.properties if p.name == "freeze_failed_then_retried")
    assert {"alloc", "scanner"} <= {s.thread for s in w.steps}
    # without the scanner there is no race, and the retry is never needed
    src = (EXAMPLES / "seed-merged.toml").read_text().replace('scanner = "pfn_scanner(0)"\n', "")
    assert 'scanner' not in src.split("[threads]")[1]


def test_seed_merged_retry_unreachable_without_reader(tmp_path):
    text = (EXAMPLES / "seed-merged.toml").read_text().replace('scanner = "pfn_scanner(0)"', "")
    text = text.replace('models = ["mm/hugetlb.c", "mm/speculative.c"]', 'models = ["mm/hugetlb.c"]')
    p = tmp_path / "no-reader.toml"
    p.write_text(text)
    r = check_file(p)
    assert not r.ok and any("never reached" in x for x in r.problems)


def test_v1_without_allocation_failure_holds(tmp_path):
    text = (EXAMPLES / "seed-v1-null-deref.toml").read_text()
    # with allocations that never fail and room for the retry, version 1 holds
    text = text.replace('expect = ["null_deref"]', 'expect = "holds"').replace("[defines]", "[defines]\nALLOC_CAN_FAIL = 0")
    text = text.replace("NR_PAGES = 2", "NR_PAGES = 4")
    p = tmp_path / "v1-nofail.toml"
    p.write_text(text)
    r = check_file(p)
    assert r.verdict == "holds", r.problems


def test_v1_retry_into_full_memory_derefs_null(tmp_path):
    """Even with no injected failure, v1's retry finds no free block and freezes NULL."""
    text = (EXAMPLES / "seed-v1-null-deref.toml").read_text().replace("[defines]", "[defines]\nALLOC_CAN_FAIL = 0")
    p = tmp_path / "v1-full.toml"
    p.write_text(text)
    r = check_file(p)
    t = trace_of(r, "null_deref")
    assert {"alloc", "scanner"} <= {s.thread for s in t.steps}
