/*
 * gigantic.c - gigantic hugetlb pages from contiguous allocation (KERNEL.md §2, §3).
 *
 * A gigantic page starts as a run of independent order-0 pages, each with
 * count 1 (alloc_contig_range), and is turned into one compound page by
 * prep_compound_gigantic_page(), selected by GIGANTIC_PREP:
 *   0  before 7118fc2906e2 (2021): each tail's count is set to 0 with a blind
 *      store, wiping a speculative holder's increment;
 *   1  7118fc2906e2: each tail is frozen 1 -> 0; if a freeze fails, the
 *      pages already processed are undone and the caller frees the run;
 *   2  version 1 of the 2022 freeze patch: the head is frozen too, but the
 *      undo starts at the first tail and leaves the head frozen at 0;
 *   3  the 2022 freeze patch as merged (6.1): head and tails frozen, the
 *      undo covers the head too (default).
 * The caller retries the allocation once when prep fails.
 */
#ifndef MM_GIGANTIC_C
#define MM_GIGANTIC_C

#include "mm/hugetlb.c"

#ifndef GIGANTIC_PREP
#define GIGANTIC_PREP 3
#endif
#ifndef GIGANTIC_ORDER
#define GIGANTIC_ORDER 1
#endif
#if GIGANTIC_PREP < 0 || GIGANTIC_PREP > 3
#error GIGANTIC_PREP must be 0 (before 7118fc2906e2), 1 (7118fc2906e2), 2 (freeze patch v1) or 3 (as merged)
#endif
#if GIGANTIC_ORDER < 1 || NR_PAGES < (1 << GIGANTIC_ORDER)
#error GIGANTIC_ORDER must be at least 1, and NR_PAGES must hold one gigantic page of (1 << GIGANTIC_ORDER) pages
#endif

bool ghost_gigantic_prep_failed;	/* a freeze in prep failed and was undone */

/* alloc_contig_pages(): a free run of 2^order order-0 pages, each at count 1 */
struct page *alloc_contig_pages(int order)
{
	int n = 1 << order;
	int pfn, i;

	ATOMIC {
		pfn = find_free_block(order);
		if (pfn < 0)
			return NULL;
		for (i = 0; i < n; i++) {
			pages[pfn + i].flags = 0;
			set_page_refcounted(&pages[pfn + i]);
			grant_ref(&pages[pfn + i]);
			pages[pfn + i].ghost_where = WHERE_OWNED;
		}
	}
	return &pages[pfn];
}

/* free_contig_range(): drop the reference on every page of the run */
void free_contig_range(struct page *page, int order)
{
	int i;

	for (i = 0; i < (1 << order); i++)
		__free_pages(page + i, 0);
}

/* prep_compound_gigantic_page(): the run becomes one compound page (see GIGANTIC_PREP) */
bool prep_compound_gigantic_page(struct page *page, int order)
{
	int i, j;
	int nr_pages = 1 << order;
	struct page *p;

	__set_bit(PG_head, &page->flags);
	for (i = 0; i < nr_pages; i++) {
		p = page + i;
#if GIGANTIC_PREP == 0
		if (i != 0) {
			set_page_count(p, 0);		/* blind store */
			GHOST { p->ghost_refs--; }	/* the allocator's tail reference goes */
		}
#else
		if (GIGANTIC_PREP >= 2 || i != 0) {
			if (!page_ref_freeze(p, 1)) {
				pr_warn("HugeTLB page can not be used due to unexpected inflated ref count\n");
				goto out_error;
			}
			if (i != 0)
				GHOST { p->ghost_refs = 0; p->ghost_frozen = false; }
		}
#endif
		if (i != 0)
			WRITE_ONCE(p->first_page, page);
	}
	page->compound_order = order;
	return true;

out_error:
	/*
	 * undo what was done to the pages before the one whose freeze failed:
	 * 1 from the first tail (the head was never frozen), 2 from the first
	 * tail too (the bug: the frozen head stays at 0), 3 from the head
	 */
#if GIGANTIC_PREP <= 2
	for (j = 1; j < i; j++) {
#else
	for (j = 0; j < i; j++) {
#endif
		p = page + j;
		if (j != 0)
			WRITE_ONCE(p->first_page, NULL);
		set_page_refcounted(p);
		GHOST { p->ghost_refs = 1; p->ghost_frozen = false; }
	}
	__clear_bit(PG_head, &page->flags);
	GHOST { ghost_gigantic_prep_failed = true; }
	TRACE(gigantic_prep_failed);
	return false;
}

/*
 * alloc_fresh_gigantic_page(): allocate a run, make it a compound page
 * (retrying once with a fresh run if prep fails), prep it as a hugetlb page
 * and hand it to the pool frozen.
 */
void alloc_fresh_gigantic_page(void)
{
	bool retry = true;
	struct page *page;

retry:
	page = alloc_contig_pages(GIGANTIC_ORDER);
	if (!page)
		return;
	if (!prep_compound_gigantic_page(page, GIGANTIC_ORDER)) {
		free_contig_range(page, GIGANTIC_ORDER);
		if (retry) {
			retry = false;
			goto retry;
		}
		return;
	}
#if GIGANTIC_PREP <= 1
	/* before the freeze patch the head keeps its count of 1: join through put_page() */
	prep_new_huge_page(page);
	put_page(page);
#else
	prep_new_huge_page(page);
	free_huge_page(page);
#endif
}

#endif /* MM_GIGANTIC_C */
