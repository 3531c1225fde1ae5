/*
 * freezer.c - a page's owner freezes it (page_ref_freeze 1 -> 0, as migration
 * and reclaim do), works on it while nobody can join, unfreezes it and frees it.
 */
#include "mm/speculative.c"

void freezer(int pfn)
{
	struct page *page = pfn_to_page(pfn);

	if (page_ref_freeze(page, 1))
		page_ref_unfreeze(page, 1);	/* the work is done */
	put_page(page);
}
