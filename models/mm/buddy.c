/*
 * buddy.c - the buddy allocator, abstracted (KERNEL.md §2).
 *
 * Allocation and freeing run under zone->lock in the kernel; here each is one
 * atomic step. What matters to the protocols above is kept exactly: only the
 * first page of a block gets count 1, the others stay at 0; __GFP_COMP makes
 * the block a compound page; allocation can fail; and __free_pages() drops
 * the caller's reference and frees according to who held the last one.
 *
 * Scenario defines: ALLOC_CAN_FAIL (default 1), FREE_PAGES_FIX (default 1:
 * __free_pages with the 2020 fix e320d3012d25, 0: before it, 2: the fix with
 * the compound check read after the reference is dropped, the order
 * KERNEL.md §2 warns against).
 */
#ifndef MM_BUDDY_C
#define MM_BUDDY_C

#include "mm/page_ref.h"

#ifndef ALLOC_CAN_FAIL
#define ALLOC_CAN_FAIL 1
#endif
#if ALLOC_CAN_FAIL < 0 || ALLOC_CAN_FAIL > 1
#error ALLOC_CAN_FAIL must be 0 or 1
#endif
#ifndef FREE_PAGES_FIX
#define FREE_PAGES_FIX 1
#endif
#if FREE_PAGES_FIX < 0 || FREE_PAGES_FIX > 2
#error FREE_PAGES_FIX must be 0 to 2
#endif

/* mm_init(): every page starts free in the buddy allocator (scenario init) */
void mm_init(void)
{
	int pfn;

	for (pfn = 0; pfn < NR_PAGES; pfn++)
		pages[pfn].flags = 1 << PG_buddy;
}

/* prep_compound_page(): head + tails pointing at it, compound destructor */
static void prep_compound_page(struct page *page, int order)
{
	int i;

	__set_bit(PG_head, &page->flags);
	page->compound_order = order;
	page->compound_dtor = COMPOUND_PAGE_DTOR;
	for (i = 1; i < (1 << order); i++)
		page[i].first_page = page;
}

/*
 * find_free_block(): the first free, naturally aligned run of 2^order pages,
 * or -1 (under zone->lock). A free page marked PG_hwpoison is never handed
 * out (6.1: memory_failure() takes it off the free lists, and
 * check_new_pages() refuses a poisoned page).
 */
static int find_free_block(int order)
{
	int n = 1 << order;
	int pfn, i;
	bool free;

	for (pfn = 0; pfn + n <= NR_PAGES; pfn += n) {
		free = true;
		for (i = 0; i < n; i++)
			if (!PageBuddy(&pages[pfn + i]) || test_bit(PG_hwpoison, &pages[pfn + i].flags))
				free = false;
		if (free)
			return pfn;
	}
	return -1;
}

/*
 * __alloc_pages(order): the first free, naturally aligned block of 2^order
 * pages, or NULL. The first page gets count 1, the rest stay 0.
 */
struct page *__alloc_pages(int order, bool comp)
{
	int n = 1 << order;
	int pfn, i;

	ATOMIC {
#if ALLOC_CAN_FAIL
		if (nondet_bool())
			return NULL;	/* the allocation fails */
#endif
		pfn = find_free_block(order);
		if (pfn < 0)
			return NULL;	/* no free block of this order */
		for (i = 0; i < n; i++) {
			pages[pfn + i].flags = 0;
			pages[pfn + i].ghost_where = WHERE_OWNED;
		}
		set_page_refcounted(&pages[pfn]);
		grant_ref(&pages[pfn]);
		if (comp && order > 0)
			prep_compound_page(&pages[pfn], order);
	}
	return &pages[pfn];
}

/*
 * alloc_frozen_pages(): the frozen-page allocator (around 6.14; hugetlb's
 * buddy path uses it from 2025): like __alloc_pages(), but the block comes
 * back with its count already 0, so nobody can take a speculative reference.
 */
struct page *alloc_frozen_pages(int order, bool comp)
{
	struct page *page;

	ATOMIC {
		page = __alloc_pages(order, comp);
		if (page) {
			set_page_count(page, 0);
			page->ghost_frozen = true;
		}
	}
	return page;
}

/* free_the_page(): give a block back to the buddy allocator */
void free_the_page(struct page *page, int order)
{
	int i;

	ATOMIC {
		for (i = 0; i < (1 << order); i++) {
			GHOST { ghost_double_free |= page[i].ghost_where == WHERE_BUDDY; }
			page[i].flags = 1 << PG_buddy;
			page[i].first_page = NULL;
			page[i].compound_order = 0;
			page[i].compound_dtor = NULL_COMPOUND_DTOR;
			page[i].ghost_where = WHERE_BUDDY;
			page[i].ghost_frozen = false;
		}
	}
}

/*
 * free_frozen_pages() (6.14; in 6.1 what __remove_mapping() and migration
 * do with a page they froze, through free_unref_page()): give back a block
 * whose count its owner froze to 0 (page_ref_freeze() or
 * alloc_frozen_pages()); the owner's reference, held frozen, goes with it.
 * A count that is not 0 is left for the properties (buddy_pages_unreferenced).
 */
void free_frozen_pages(struct page *page, int order)
{
	ATOMIC {
		GHOST { page->ghost_refs -= page->ghost_frozen && page->ghost_refs > 0; }
		free_the_page(page, order);
	}
}

/*
 * __free_pages(): drop the caller's reference. If it was the last, the whole
 * block goes back. After the 2020 fix, a non-compound block whose first page
 * is still held elsewhere has its upper buddies freed at once (second half
 * first); the first page is left to the other holder's final put_page. Whether
 * the block is compound is read before the reference is dropped.
 */
void __free_pages(struct page *page, int order)
{
#if FREE_PAGES_FIX == 2
	if (put_page_testzero(page))
		free_the_page(page, order);
	else if (!PageHead(page)) {	/* too late: the other holder may have freed it */
		GHOST { ghost_use_after_free |= page->ghost_where == WHERE_BUDDY; }
		while (order-- > 0)
			free_the_page(page + (1 << order), order);
	}
#elif FREE_PAGES_FIX
	bool head = PageHead(page);

	if (put_page_testzero(page))
		free_the_page(page, order);
	else if (!head) {
		TRACE(free_pages_upper_freed);	/* another holder keeps the first page */
		while (order-- > 0)
			free_the_page(page + (1 << order), order);
	}
#else
	if (put_page_testzero(page))
		free_the_page(page, order);
#endif
}

/* the hugetlb destructor, in mm/hugetlb.c (an error if reached without it) */
void free_huge_page(struct page *page);

/* destroy_page(): what runs when a page's count drops to 0 (__put_page in 6.1) */
void destroy_page(struct page *page)
{
	if (PageHead(page)) {
		switch (page->compound_dtor) {
		case COMPOUND_PAGE_DTOR:
			free_the_page(page, page->compound_order);
			break;
		case HUGETLB_PAGE_DTOR:
			free_huge_page(page);
			break;
		default:
			free_the_page(page, 0);
		}
	} else {
		/* order-0 page, or the first page of a non-compound block */
		free_the_page(page, 0);
	}
}

/* put_page(): drop a reference on the head; the last one runs the destructor */
void put_page(struct page *page)
{
	struct page *head = compound_head(page);

	if (put_page_testzero(head))
		destroy_page(head);
}

#endif /* MM_BUDDY_C */
