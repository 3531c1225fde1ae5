"""The model library follows the kernel where a scenario leans on the details.

Each test is a scenario a kernel developer would write from docs/models.md,
checked on the default engine: a tail page is PageHuge (6.1) but not
PageHeadHuge, the pool hands out only pages of its own order, and
memory_failure() drops exactly the reference it took, even when demotion
rebuilds the compound page under it.
"""

from __future__ import annotations

from pathlib import Path

from conftest import check_file

REFS = ["refcount_conserved", "refcount_nonnegative", "no_leak", "buddy_pages_unreferenced",
        "hugetlb_free_pages_unreferenced", "no_double_free", "no_use_after_free"]


def scenario(tmp: Path, c_src: str, threads: dict, properties: list, defines: dict, expect="holds",
             include=("mm/memory_failure.c",), props=("hugetlb.c", "memory_failure.c"),
             init="hugetlb_init_pool()") -> Path:
    """A scenario over the library (by default ``mm/memory_failure.c`` and what it includes)."""
    (tmp / "m.c").write_text("".join(f'#include "{f}"\n' for f in include) + c_src)
    lines = ['models = ["m.c"]',
             "property_files = [" + ", ".join(f'"{f}"' for f in ("m.c", "refcount.c") + tuple(props)) + "]",
             "properties = [" + ", ".join(f'"{p}"' for p in properties) + "]",
             f'init = "{init}"', f'expect = "{expect}"', "[defines]"]
    lines += [f"{k} = {v}" for k, v in defines.items()]
    lines.append("[threads]")
    lines += [f'{k} = "{v}"' for k, v in threads.items()]
    p = tmp / "s.toml"
    p.write_text("\n".join(lines) + "\n")
    return p


POOL = {"NR_PAGES": 2, "ALLOC_CAN_FAIL": 0, "VMEMMAP_RESTORE_CAN_FAIL": 0}


def test_a_tail_is_pagehuge_and_dissolves_its_head(tmp_path):
    src = """
    bool tail_huge, tail_head_huge, head_huge;
    void look(void) { tail_huge = PageHuge(&pages[1]); tail_head_huge = PageHeadHuge(&pages[1]);
                      head_huge = PageHuge(&pages[0]); }
    FINAL(tail_is_huge_not_head_huge) { return tail_huge && !tail_head_huge && head_huge; }
    """
    r = check_file(scenario(tmp_path, src, {"look": "look()"}, ["tail_is_huge_not_head_huge"], POOL))
    assert r.verdict == "holds", r.summary()
    r = check_file(scenario(tmp_path, "", {"dissolve": "dissolve_free_huge_page(&pages[1])"},
                            ["dissolved", "not_in_buddy_and_hugetlb_pool"] + REFS, POOL))
    assert r.verdict == "holds", r.summary()  # `dissolved` is reached: through the tail


def test_the_pool_never_hands_out_a_demoted_chunk(tmp_path):
    src = """
    struct page *got;
    bool tried;
    void user(void) { got = dequeue_huge_page(); tried = 1; }
    INVARIANT(only_pool_order) { return got == NULL || got->compound_order == HUGETLB_ORDER; }
    REACHABLE(user_found_none_after_demotion) { return TRACED(hugetlb_demoted) && tried && got == NULL; }
    """
    r = check_file(scenario(tmp_path, src, {"demote": "demote_free_huge_page()", "user": "user()"},
                            ["only_pool_order", "user_found_none_after_demotion", "demoted"], POOL))
    assert r.verdict == "holds", r.summary()


def test_memory_failure_drops_the_reference_it_took_while_demotion_races(tmp_path):
    """6.1: memory_failure(1)'s normal path takes its reference on the head it read, which demotion may
    have rebuilt by the re-check; it must drop that reference, not one on the page's new head."""
    threads = {"mf": "memory_failure(1)", "demote": "demote_free_huge_page()", "user": "hugetlb_user()"}
    r = check_file(scenario(tmp_path, "", threads, REFS + ["demoted"], POOL))
    assert r.verdict == "holds", r.summary()
    assert not r.violations


def test_defines_the_library_cannot_mean_are_refused(tmp_path):
    import pytest

    from hugemc.diagnostics import HugemcError
    from hugemc.lang import build_program
    from hugemc.scenario import load_scenario
    for defines, what in [({**POOL, "HUGETLB_ORDER": 2}, "NR_PAGES must hold"),
                          ({**POOL, "FREEZE_PATCH": 99}, "FREEZE_PATCH must be"),
                          ({**POOL, "HUGETLB_ORDER": 0}, "HUGETLB_ORDER must be")]:
        p = scenario(tmp_path, "", {"u": "hugetlb_user()"}, REFS, defines)
        with pytest.raises(HugemcError, match=what) as e:
            build_program(load_scenario(p))
        assert e.value.loc.file.endswith("hugetlb.c") and "[defines]" in e.value.hint


def test_gigantic_prep_of_7118fc2906e2_undoes_only_the_tails(tmp_path):
    """GIGANTIC_PREP 1 never froze the head: when a tail's freeze fails, the undo must leave the head's count
    (and a speculative holder's reference in it) alone."""
    threads = {"alloc": "alloc_fresh_gigantic_page()", "scan_head": "pfn_scanner(0)", "scan_tail": "pfn_scanner(1)"}
    p = scenario(tmp_path, "", threads, REFS + ["no_ref_on_frozen", "gigantic_prep_undo_ran"],
                 {"NR_PAGES": 2, "GIGANTIC_ORDER": 1, "GIGANTIC_PREP": 1},
                 include=("mm/gigantic.c", "mm/speculative.c"), props=("gigantic.c",), init="mm_init()")
    r = check_file(p)
    assert r.verdict == "holds", r.summary()


def test_split_huge_page_of_a_subpage_leaves_the_callers_reference_on_it(tmp_path):
    """6.1: split_huge_page(page) on a tail moves the caller's reference to that tail and puts the rest,
    the head included; the caller then puts the tail."""
    src = """
    void split_via_tail(void)
    {
        struct page *head = thp_fault();
        struct page *page, *mapped;

        if (!head)
            return;
        page = head + 1;
        if (split_huge_page(page)) {
            ATOMIC { mapped = user_pte; user_pte = NULL; }
            if (mapped)
                put_page(mapped);
            put_page(head);
            return;
        }
        ATOMIC { mapped = user_pte; user_pte = NULL; }
        if (mapped)
            put_page(mapped);
        put_page(page);
    }
    """
    p = scenario(tmp_path, src, {"user": "split_via_tail()"}, REFS + ["split_done"],
                 {"NR_PAGES": 2, "ALLOC_CAN_FAIL": 0}, include=("mm/huge_memory.c",), props=("huge_memory.c",),
                 init="mm_init()")
    r = check_file(p)
    assert r.verdict == "holds", r.summary()


def test_dissolve_whose_vmemmap_restore_fails_keeps_a_pool_page(tmp_path):
    """6.1's dissolve restores the vmemmap itself and, if that fails, adds the page back as a pool page: it
    must not become a surplus page (whose next free would send it to buddy)."""
    src = """
    void offline_then_use(void)
    {
        struct page *page;

        dissolve_free_huge_page(&pages[0]);
        page = dequeue_huge_page();
        if (page)
            put_page(page);
    }
    INVARIANT(no_surplus_pages) { return surplus_huge_pages == 0; }
    REACHABLE(restore_failed) { return TRACED(hugetlb_vmemmap_restore_failed); }
    """
    p = scenario(tmp_path, src, {"t": "offline_then_use()"}, REFS + ["no_surplus_pages", "restore_failed"],
                 {"NR_PAGES": 2, "VMEMMAP_OPTIMIZE": 1, "VMEMMAP_RESTORE_CAN_FAIL": 1})
    r = check_file(p)
    assert r.verdict == "holds", r.summary()


def test_a_frozen_page_is_freed_with_free_frozen_pages(tmp_path):
    """Reclaim as __remove_mapping() does it: freeze the cache's reference 1 -> 0, delete the page from the
    cache, free it still frozen, against a lockless lookup. free_frozen_pages() takes the frozen reference
    with it; a plain put after a freeze is still caught."""
    src = """
    void cache_init(void) { mm_init_page_in_use(0); cache_slot = &pages[0]; }
    void reclaim(void)
    {
        struct page *page = &pages[0];

        if (!page_ref_freeze(page, 1))
            return;
        WRITE_ONCE(cache_slot, NULL);
        FREE(page, 0);
    }
    REACHABLE(lookup_saw_frozen) { return TRACED(pagecache_lookup_tryget_failed); }
    """
    props = ["no_ref_on_frozen", "buddy_pages_unreferenced", "refcount_conserved", "no_use_after_free",
             "no_double_free", "lookup_saw_frozen"]
    for free, verdict in (("free_frozen_pages", "holds"), ("free_the_page", "violated")):
        (tmp_path / free).mkdir()
        p = scenario(tmp_path / free, src.replace("FREE(", free + "("), {"reclaim": "reclaim()",
                     "lookup": "pagecache_lookup()"}, props, {"NR_PAGES": 1}, include=("mm/filemap.c",),
                     props=(), init="cache_init()", expect="holds")
        assert check_file(p).verdict == verdict, free


def test_two_memory_failures_on_one_page(tmp_path):
    """The second finds the page poisoned and returns -EHWPOISON (-133): the memory-failure paths' values
    have a domain of their own (the default int domain stops at -128)."""
    threads = {"mf0": "memory_failure(1)", "mf1": "memory_failure(1)"}
    r = check_file(scenario(tmp_path, "", threads, REFS + ["mf_poison_on_right_page", "raw_hwp_not_leaked"],
                            {"NR_PAGES": 2}))
    assert r.verdict == "holds", r.summary()


def test_a_poisoned_free_page_is_never_allocated(tmp_path):
    """25182f05ffed's fix, memory_failure() on the head pfn while it is still free in buddy: the allocator
    must not hand out the poisoned page (it wiped PG_hwpoison, and the fixed code then hit a VM_BUG_ON)."""
    defines = {"NR_PAGES": 2, "ALLOC_CAN_FAIL": 0, "FREEZE_PATCH": 0, "GATHER_SURPLUS": 0,
               "MF_GET_HWPOISON_HUGE": 1, "MF_HUGETLB_LOCKED": 0}
    src = "INVARIANT(poison_kept) { return !TRACED(mf_poisoned_raw) || (pages[0].flags & (1 << PG_hwpoison)); }\n"
    p = scenario(tmp_path, src, {"gather": "gather_surplus_pages(1)", "mf": "memory_failure(0)"},
                 REFS + ["poison_kept"], defines, init="mm_init()")
    r = check_file(p)
    assert r.verdict == "holds", r.summary()
