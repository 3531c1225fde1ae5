/*
 * hugetlb.c - properties of the hugetlb allocation path (KERNEL.md §3, §7).
 */
#include "mm/hugetlb.c"

/*
 * The race window of the freeze patch is exercised: a speculative reference
 * made the freeze of a fresh head fail, and the retry then froze a page.
 */
REACHABLE(freeze_failed_then_retried)
{
	int i;

	if (ghost_freeze_failures != 1)
		return false;
	for (i = 0; i < NR_PAGES; i++)
		if (pages[i].ghost_frozen)
			return true;
	return false;
}

/* Both attempts lost the race with speculative references and the allocation gave up. */
REACHABLE(alloc_gave_up)
{
	return ghost_alloc_gave_up;
}
