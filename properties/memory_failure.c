/*
 * memory_failure.c - properties of memory_failure() and of the hwpoison
 * bookkeeping (KERNEL.md §8 "Hardware poison", §9).
 */
#include "mm/memory_failure.c"

/* memory_failure() found the hugetlb page free and handled it without a reference. */
REACHABLE(mf_found_free_hugetlb)
{
	return TRACED(mf_hugetlb_free);
}

/* memory_failure() took a reference on an in-use, migratable hugetlb page. */
REACHABLE(mf_got_hugetlb)
{
	return TRACED(mf_hugetlb_got_ref);
}

/* memory_failure() recorded a raw error page on a hugetlb folio's list. */
REACHABLE(mf_raw_error_recorded)
{
	return TRACED(mf_raw_hwp_recorded);
}

/* A freeing path processed the raw error list: the mark moved to a raw page. */
REACHABLE(hwp_raw_error_moved)
{
	return TRACED(hwp_raw_moved);
}

/*
 * The error is recorded on the right page: every PG_hwpoison memory_failure()
 * sets is on the error page itself or on what is, at that moment, its
 * compound head. Catches 405ce051236c: a head computed outside hugetlb_lock,
 * then the page freed or demoted, marks a page that no longer contains the
 * error (the wrong processes are killed, the real error left unhandled).
 */
INVARIANT(mf_poison_on_right_page)
{
	return !ghost_mf_wrong_page;
}

/*
 * No raw error record is left on a page that went back to the buddy
 * allocator: the freeing path must have moved every record of the folio's
 * raw error list to its raw page. Catches 5596d9e8b553: the list processed
 * before the hugetlb mark is cleared under the lock, and memory_failure()
 * adding a record in between (lost hwpoison information, leaked records).
 */
INVARIANT(raw_hwp_not_leaked)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (pages[i].ghost_where == WHERE_BUDDY && pages[i].raw_hwp)
			return false;
	return true;
}

/*
 * memory_failure() started on a hugetlb page and, under hugetlb_lock, found
 * it no longer hugetlb (freed to buddy or demoted meanwhile): the normal path
 * took over (the window of 405ce051236c, closed by the lock).
 */
REACHABLE(mf_hugetlb_page_left_meanwhile)
{
	return TRACED(mf_hugetlb_fallback);
}

/*
 * The window of 5596d9e8b553 is reached: memory_failure() found the page
 * still hugetlb but in transition (removed from the pool, being freed),
 * recorded the raw error anyway on its retry, and the freeing path then moved
 * the record to the raw page.
 */
REACHABLE(mf_recorded_during_free_then_moved)
{
	return TRACED(mf_hugetlb_busy) && TRACED(mf_raw_hwp_recorded) && TRACED(hwp_raw_moved);
}
