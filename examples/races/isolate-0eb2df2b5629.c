/*
 * isolate-0eb2df2b5629: the caller of isolate_huge_page() in memory offline
 * (do_migrate_range() in 5.10, reduced to one pfn): PageHuge() tested without
 * hugetlb_lock, then isolate the head and, once isolated, put it back (the
 * migration itself is not modelled).
 */
#include "mm/hugetlb.c"

void offline_migrate(int pfn)
{
	struct page *page = pfn_to_page(pfn);
	struct page *head;

	if (!PageHuge(page))
		return;
	head = compound_head(page);
	if (isolate_hugetlb(head))
		putback_active_hugepage(head);
}
