/*
 * speculative.c - properties about speculative reference takers (KERNEL.md §5).
 */
#include "mm/speculative.c"

/*
 * A speculative holder dropped the last reference of a hugetlb page, so its
 * put_page() ran the hugetlb destructor: the page joined the pool from the
 * scanner's context (6.0 behaviour).
 */
REACHABLE(speculative_put_runs_hugetlb_dtor)
{
	return ghost_spec_put_ran_hugetlb_dtor;
}

/* GUP-fast pinned a mapped hugetlb page (its re-checks passed). */
REACHABLE(gup_fast_pinned)
{
	return ghost_gup_pinned;
}

/*
 * GUP-fast's reference is on the head of the page it hands to its caller.
 * Catches: GUP-fast without the compound_head(page) == head re-check racing
 * with split_huge_page(): it holds a reference on the old head while the
 * page it returns is an independent page now, so the caller's unpin drops a
 * reference it never took (the page is freed while mapped; the old head leaks).
 */
INVARIANT(gup_pin_on_page_head)
{
	return !ghost_gup_pin_not_on_head;
}

/* A page mapped by the PTE is not free in the buddy allocator. Catches: unpins that drop the mapping's reference. */
INVARIANT(mapped_page_not_free)
{
	struct page *page = user_pte;

	return !page || page->ghost_where != WHERE_BUDDY;
}

/* GUP-fast's head re-check fired: the page stopped belonging to the head it took a reference on (a split). */
REACHABLE(gup_fast_head_recheck_fired)
{
	return TRACED(gup_fast_head_changed);
}

/* GUP-fast's try-get of the head failed (count 0: frozen by a split, or free). */
REACHABLE(gup_fast_tryget_failed)
{
	return TRACED(gup_fast_tryget_failed);
}

/* A pfn walker's two-step try-get lost its compare-and-swap: the count changed between its read and its CAS. */
REACHABLE(tryget_cas_lost)
{
	return TRACED(page_ref_add_unless_cas_lost);
}

/* A pfn walker took a reference with the two-step try-get. */
REACHABLE(pfn_walker_got_ref)
{
	return TRACED(pfn_walker_got_ref);
}

/* synchronize_rcu() found a reader inside its read section and waited for it. */
REACHABLE(rcu_sync_waited)
{
	return TRACED(rcu_sync_waited);
}
