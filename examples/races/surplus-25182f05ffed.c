/*
 * surplus-25182f05ffed: the race window of the fixed code is reached when
 * memory_failure(), under hugetlb_lock, finds the fresh surplus page already
 * hugetlb but neither freed nor migratable (gather has not enqueued it yet)
 * and refuses it (get_hwpoison_huge_page(): -EBUSY, no reference).
 */
#include "mm/memory_failure.c"

/* memory_failure() looked at the surplus page while gather_surplus_pages() was still enqueueing it. */
REACHABLE(mf_refused_page_being_gathered)
{
	return TRACED(mf_hugetlb_busy);
}
