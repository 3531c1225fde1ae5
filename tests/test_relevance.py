"""Which steps a violation depends on (hugemc.explore.relevance), on the shipped examples."""

import json

from conftest import EXAMPLES, check_file


def violation(name, prop):
    r = check_file(EXAMPLES / f"{name}.toml")
    return next(v for v in r.violations if v.property == prop)


def marks(v):
    return {s.index: s.relevant for s in v.trace.steps}


def test_leak_marks_the_race_and_not_the_failed_retry():
    v = violation("mutant-forget-page", "no_leak")
    steps = v.trace.steps
    alloc = [s for s in steps if s.thread == "alloc"]
    try_get = next(s for s in steps if s.thread == "scanner" and "atomic_inc_not_zero" in s.code)
    freeze = next(s for s in steps if s.thread == "alloc" and s.function == "page_ref_freeze")
    assert alloc[0].relevant, "the allocation of the leaked page"
    assert try_get.relevant, "the scanner's try-get that made the freeze fail"
    assert freeze.relevant, "the failed freeze after which the page is forgotten"
    put = next(s for s in steps if s.thread == "scanner" and s.function == "put_page_testzero")
    assert put.relevant, "the scanner's put that did not free the page"
    # the retried allocation (a second __alloc_pages that got nothing) is not part of the leak
    retry = alloc[-1]
    assert retry.function == "__alloc_pages" and retry.index > freeze.index and not retry.relevant
    assert sum(marks(v).values()) == len(steps) - 1


def test_use_after_free_marks_both_sides_of_the_race():
    v = violation("free-pages-check-after-drop", "no_use_after_free")
    steps = v.trace.steps
    # every step of this 12-step trace is in the story: publish, look up,
    # unpublish, try-get, the owner's put, the recheck, the lookup's put that
    # frees, and the owner's use of the freed page
    assert all(s.relevant for s in steps)
    assert any(s.thread == "lookup" and "atomic_inc_not_zero" in s.code for s in steps)
    assert steps[-1].thread == "owner" and steps[-1].relevant


def test_null_deref_marks_the_allocation_and_the_failing_step():
    v = violation("seed-v1-null-deref", "null_deref")
    assert [(s.thread, s.relevant) for s in v.trace.steps] == [("alloc", True), ("alloc", True)]
    assert v.trace.steps[-1].error


def test_lost_update_marks_both_increments_and_not_the_atomic_threads():
    v = violation("lost-update", "no_lost_update")
    rel = {s.thread for s in v.trace.steps if s.relevant}
    assert rel == {"plain0", "plain1"}
    assert all(s.relevant for s in v.trace.steps if s.thread.startswith("plain"))


def test_long_trace_is_not_all_relevant():
    r = check_file(EXAMPLES / "dissolve-2021-race.toml")
    v = max(r.violations, key=lambda v: len(v.trace.steps))
    assert len(v.trace.steps) >= 30
    m = marks(v)
    assert 0 < sum(m.values()) < len(m)
    assert m[len(m)]  # the violating step
    # taking and dropping hugetlb_lock around a counter update is not what breaks the invariant
    locks = [s for s in v.trace.steps if "spin_lock" in s.code]
    assert locks and not any(s.relevant for s in locks)


def test_relevant_and_switches_in_json():
    r = check_file(EXAMPLES / "mutant-forget-page.toml")
    d = json.loads(json.dumps(r.to_json()))
    t = d["violations"][0]["trace"]
    assert all(isinstance(s["relevant"], bool) for s in t["steps"])
    assert t["switches"] == sum(1 for a, b in zip(t["steps"], t["steps"][1:]) if a["thread"] != b["thread"])
