/*
 * hugetlb.c - allocating fresh hugetlb pages from the buddy allocator
 * (KERNEL.md §3).
 *
 * alloc_buddy_huge_page() as the 2022 patch "hugetlb: freeze allocated pages
 * before creating hugetlb pages" had it (merged for 6.1), selected by
 * FREEZE_PATCH:
 *   1, 2  versions 1 and 2 posted to linux-mm: the head is frozen without
 *         checking that the allocation succeeded (NULL dereference);
 *   3     the merged version: NULL is checked first (default).
 */
#ifndef MM_HUGETLB_C
#define MM_HUGETLB_C

#include "mm/buddy.c"

#ifndef FREEZE_PATCH
#define FREEZE_PATCH 3
#endif
#ifndef HUGETLB_ORDER
#define HUGETLB_ORDER 1
#endif

/* ghost: how the allocation went */
int ghost_freeze_failures __range(0, 8);	/* freezes of a fresh head that failed */
bool ghost_alloc_gave_up;			/* both attempts lost the race */

/*
 * alloc_buddy_huge_page(): a fresh compound page with its head frozen
 * (count 0), or NULL. If a speculative reference got in between allocation
 * and freeze, free the page (the other holder's final put frees the compound
 * block) and retry once; a second failure warns and gives up.
 */
struct page *alloc_buddy_huge_page(int order)
{
	bool retry = true;
	struct page *page;

retry:
	page = __alloc_pages(order, true);
#if FREEZE_PATCH >= 3
	if (page && !page_ref_freeze(page, 1)) {
#else
	if (!page_ref_freeze(page, 1)) {
#endif
		ghost_freeze_failures++;
		__free_pages(page, order);
		if (retry) {		/* retry once */
			retry = false;
			goto retry;
		}
		ghost_alloc_gave_up = true;
		pr_warn("HugeTLB head page unexpected inflated ref count\n");
		return NULL;
	}
	return page;
}

/* a thread that adds one fresh page to the pool: the allocation step of it */
void alloc_fresh_huge_page(void)
{
	struct page *page = alloc_buddy_huge_page(HUGETLB_ORDER);

	if (!page)
		pr_info("no fresh huge page\n");
}

#endif /* MM_HUGETLB_C */
