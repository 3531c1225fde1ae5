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
