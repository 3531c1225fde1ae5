/*
 * vmemmap-rcu.c - a vmemmap modifier for rcu-* scenarios: the task using page
 * 1 drops it, then a fresh hugetlb page is made over pages 0-1 (page 1 is now
 * its tail; the head is frozen) and HVO remaps the tails' struct pages
 * read-only. VMEMMAP_SYNC_RCU (default 1) is the 2024 fix "mm/hugetlb_vmemmap:
 * fix race with speculative PFN walkers": synchronize_rcu() before the vmemmap
 * of the frozen page is changed.
 */
#include "mm/hugetlb.c"
#include "mm/speculative.c"

#ifndef VMEMMAP_SYNC_RCU
#define VMEMMAP_SYNC_RCU 1
#endif

void hugetlb_vmemmap_optimize(struct page *head)
{
#if VMEMMAP_SYNC_RCU
	synchronize_rcu();	/* walkers that may still see the old struct pages are done */
#endif
	__real_hugetlb_vmemmap_optimize(head);
}

void modifier(void)
{
	put_page(&pages[1]);	/* the page's user frees it */
	alloc_fresh_huge_page();
}
