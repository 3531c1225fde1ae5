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
    "mutant-blind-store": ("violated", {"no_ref_on_frozen": 4, "VM_BUG_ON@put_page_testzero": 6}),
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
                                               "VM_BUG_ON@put_page_testzero": 15, "no_leak": 15}),
    "vmemmap-head-6.2-frozen": ("holds", {}),
    "dissolve-2021-race": ("violated", {"domain_overflow": 14, "VM_BUG_ON@free_huge_page": 22,
                                        "VM_BUG_ON@enqueue_huge_page": 27, "not_in_buddy_and_hugetlb_pool": 35}),
    "dissolve-fixed": ("holds", {}),
    "dissolve-vmemmap-restore": ("holds", {}),
    "hugetlb-pool-speculative": ("holds", {}),
}


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
