/*
 * refcount.c - reference-count invariants (KERNEL.md §7).
 */
#include "mm/page_ref.h"

/*
 * No speculative reference is ever held on a page frozen by page_ref_freeze().
 * Catches: a freeze that succeeded although somebody held a reference (a blind
 * store instead of a compare-and-swap), a try-get that succeeds on a frozen page.
 */
INVARIANT(no_ref_on_frozen)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (pages[i].ghost_frozen && pages[i].ghost_spec > 0)
			return false;
	return true;
}

/*
 * A page in the buddy allocator has count 0 and nobody holds a reference.
 * Catches: pages freed while referenced (use after free by the holder).
 */
INVARIANT(buddy_pages_unreferenced)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (pages[i].ghost_where == WHERE_BUDDY &&
		    (pages[i]._refcount != 0 || pages[i].ghost_refs != 0))
			return false;
	return true;
}

/*
 * Reference conservation: a page that is not frozen has exactly as many
 * references as were taken and not dropped. Catches: blind stores that wipe a
 * concurrent increment, lost decrements.
 */
INVARIANT(refcount_conserved)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (!pages[i].ghost_frozen && pages[i]._refcount != pages[i].ghost_refs)
			return false;
	return true;
}

/*
 * No leak: when every thread has returned, every page is back in the buddy
 * allocator or on a hugetlb free list (scenario threads give back what they
 * take). Catches: references never dropped, pages forgotten on an error path,
 * blocks only partly freed.
 */
FINAL(no_leak)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (pages[i].ghost_where != WHERE_BUDDY && pages[i].ghost_where != WHERE_HUGETLB_FREE)
			return false;
	return true;
}

/* A page on a hugetlb free list has count 0 and nobody holds a reference. */
INVARIANT(hugetlb_free_pages_unreferenced)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (pages[i].ghost_where == WHERE_HUGETLB_FREE &&
		    (pages[i]._refcount != 0 || pages[i].ghost_refs != 0))
			return false;
	return true;
}

/*
 * No write to a read-only (vmemmap-optimised) struct page. Catches: reference
 * counts or flags written on HVO tails, which would fault.
 */
INVARIANT(no_write_to_readonly_struct_page)
{
	return !ghost_ro_write;
}

/* A reference count never goes below zero. Catches: puts without a matching get. */
INVARIANT(refcount_nonnegative)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (pages[i]._refcount < 0)
			return false;
	return true;
}

/* No page is freed to the buddy allocator twice. Catches: double frees. */
INVARIANT(no_double_free)
{
	return !ghost_double_free;
}

/*
 * Nobody touches a page after it went back to the buddy allocator (dropping a
 * reference on it, reading its flags to decide how to free it); a try-get that
 * fails is allowed. Catches: use after free.
 */
INVARIANT(no_use_after_free)
{
	return !ghost_use_after_free;
}
