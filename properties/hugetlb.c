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

/*
 * No page is both free in the buddy allocator and on a hugetlb free list.
 * Catches: a page dissolved to buddy while its destructor still puts it on
 * the free list (the race fixed in 2021), double frees.
 */
INVARIANT(not_in_buddy_and_hugetlb_pool)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (test_bit(PG_buddy, &pages[i].flags) && test_bit(PG_hugetlb_freed, &pages[i].flags))
			return false;
	return true;
}

/* dissolve_free_huge_page() gave a hugetlb page back to the buddy allocator. */
REACHABLE(dissolved)
{
	return TRACED(hugetlb_dissolved);
}

/* Restoring a page's vmemmap failed and the page went back to the hugetlb free list. */
REACHABLE(vmemmap_restore_failed_back_to_pool)
{
	return ghost_restore_failed && test_bit(PG_hugetlb_freed, &pages[0].flags) && free_huge_pages == 1;
}

/*
 * isolate_hugetlb() found, under hugetlb_lock, that a page its caller had
 * seen as hugetlb no longer is (freed or dissolved meanwhile), and refused it.
 */
REACHABLE(isolate_refused_freed_page)
{
	return TRACED(hugetlb_isolate_not_hugetlb);
}

/* gather_surplus_pages() (5.15-6.0) gave a fresh surplus page up to a speculative holder. */
REACHABLE(surplus_page_given_up)
{
	return TRACED(hugetlb_surplus_gave_up);
}

/* A surplus or Temporary page went back to the buddy allocator through free_huge_page(). */
REACHABLE(surplus_freed_to_buddy)
{
	return TRACED(hugetlb_free_surplus) || TRACED(hugetlb_free_temporary);
}

/* demote_free_huge_page() split a free hugetlb page into smaller ones. */
REACHABLE(demoted)
{
	return TRACED(hugetlb_demoted);
}
