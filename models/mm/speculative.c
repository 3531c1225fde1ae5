/*
 * speculative.c - code that takes speculative references on arbitrary pages
 * (KERNEL.md §5). All of it has one shape: find a struct page without holding
 * a reference, try-get, re-check, and drop the reference with a normal put
 * (which may be the last one and run a destructor).
 */
#ifndef MM_SPECULATIVE_C
#define MM_SPECULATIVE_C

#include "mm/buddy.c"

/* ghost: a speculative holder's put_page() was the last and ran the hugetlb destructor */
bool ghost_spec_put_ran_hugetlb_dtor;

/*
 * pfn_scanner(): compaction's pfn scanner visiting @pfn (isolate_migratepages
 * in 6.1, reduced to its reference handling): skip free pages, try-get, find
 * the page is not one it can isolate, put.
 */
void pfn_scanner(int pfn)
{
	struct page *page = pfn_to_page(pfn);

	if (PageBuddy(page))
		return;
	if (!get_page_unless_zero(page))
		return;
	page->ghost_spec++;
	/* not on the LRU: not for us */
	put_page_speculative(page);
}

/* put_page() for a speculative reference (ghost bookkeeping in the same step) */
void put_page_speculative(struct page *page)
{
	struct page *head = compound_head(page);
	bool last = put_page_testzero(head);

	page->ghost_spec--;
	GHOST {
		ghost_spec_put_ran_hugetlb_dtor |= last && head->compound_dtor == HUGETLB_PAGE_DTOR;
	}
	if (last)
		destroy_page(head);
}

/*
 * gup_fast(): GUP-fast on one PTE (gup_pte_range() and try_grab_folio() in
 * 6.1): read the PTE without locks, find the head, try-get the head,
 * re-check that the page still belongs to that head (else put and retry),
 * re-check the PTE (else put and fall back to the slow path).
 */
struct page *user_pte;	/* one PTE of a user mapping */
bool ghost_gup_pinned;	/* GUP-fast held a reference on a mapped page */

void gup_fast(void)
{
	struct page *page;
	struct page *head;

retry:
	page = READ_ONCE(user_pte);
	if (!page)
		return;
	head = compound_head(page);
	if (!get_page_unless_zero(head))
		return;		/* the slow path would take over */
	head->ghost_spec++;
	if (compound_head(page) != head) {
		put_page_speculative(head);
		goto retry;
	}
	if (READ_ONCE(user_pte) != page) {
		put_page_speculative(head);
		return;
	}
	GHOST { ghost_gup_pinned = true; }
	/* the caller uses the page, then unpins it */
	put_page_speculative(head);
}

#endif /* MM_SPECULATIVE_C */
