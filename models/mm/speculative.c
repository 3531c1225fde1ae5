/*
 * speculative.c - code that takes speculative references on arbitrary pages
 * (KERNEL.md §5). All of it has one shape: find a struct page without holding
 * a reference, try-get, re-check, and drop the reference with a normal put
 * (which may be the last one and run a destructor).
 *
 * Scenario defines:
 *   GUP_FAST_TRYGET (default 0): GUP-fast's try-get of the head: 0 the
 *     one-step get_page_unless_zero(); 1 the two-step folio_ref_try_add_rcu()
 *     (read, then compare-and-swap), as try_grab_folio() has it in 6.1.
 *   GUP_FAST_HEAD_RECHECK (default 1): GUP-fast re-checks that the page still
 *     belongs to the head it took a reference on (the 2021 fix "mm/gup: fix
 *     try_grab_compound_head() race with split_huge_page()"); 0 is the code
 *     before that fix, which only re-checks the PTE.
 */
#ifndef MM_SPECULATIVE_C
#define MM_SPECULATIVE_C

#include "mm/buddy.c"
#include "mm/rcu.h"

#ifndef GUP_FAST_TRYGET
#define GUP_FAST_TRYGET 0
#endif
#if GUP_FAST_TRYGET < 0 || GUP_FAST_TRYGET > 1
#error GUP_FAST_TRYGET must be 0 or 1
#endif
#ifndef GUP_FAST_HEAD_RECHECK
#define GUP_FAST_HEAD_RECHECK 1
#endif
#if GUP_FAST_HEAD_RECHECK < 0 || GUP_FAST_HEAD_RECHECK > 1
#error GUP_FAST_HEAD_RECHECK must be 0 or 1
#endif

/* ghost: a speculative holder's put_page() was the last and ran the hugetlb destructor */
bool ghost_spec_put_ran_hugetlb_dtor;

/*
 * mm_init_page_in_use(pfn): scenario init: mm_init(), then page @pfn is an
 * allocated order-0 page with count 1, the reference of some task that uses
 * it (an LRU page, say), which a scenario thread later drops or freezes.
 */
void mm_init_page_in_use(int pfn)
{
	mm_init();
	pages[pfn].flags = 0;
	pages[pfn]._refcount = 1;
	pages[pfn].ghost_refs = 1;
	pages[pfn].ghost_where = WHERE_OWNED;
}

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
	if (!get_page_unless_zero(page)) {
		TRACE(pfn_scanner_tryget_failed);	/* count 0: frozen or on its way to a free list */
		return;
	}
	page->ghost_spec++;
	/* not on the LRU: not for us */
	put_page_speculative(page);
}

/*
 * pfn_walker(cpu, pfn): a speculative pfn walker as it is since 2024
 * ("mm/hugetlb_vmemmap: fix race with speculative PFN walkers"): on CPU @cpu,
 * inside an RCU read section, skip a free page, take a reference with the
 * two-step page_ref_add_unless() (read, then compare-and-swap), find the page
 * is not one it wants, put it. The read section lets a vmemmap modifier wait
 * (synchronize_rcu) until the walker is done with the struct page.
 */
void pfn_walker(int cpu, int pfn)
{
	struct page *page = pfn_to_page(pfn);

	rcu_read_lock(cpu);
	if (PageBuddy(page))
		goto out;
	if (!page_ref_add_unless(page, 1, 0))
		goto out;
	page->ghost_spec++;
	TRACE(pfn_walker_got_ref);
	put_page_speculative(page);
out:
	rcu_read_unlock(cpu);
}

/*
 * put_speculative_ref(): put_page(page) by a speculative holder: drop one
 * reference on the page's head as it is now; the ghost speculative count
 * comes off @holder, the page the reference was taken on (same step).
 */
static void put_speculative_ref(struct page *page, struct page *holder)
{
	struct page *head = compound_head(page);
	bool last = put_page_testzero(head);

	holder->ghost_spec--;
	GHOST {
		ghost_spec_put_ran_hugetlb_dtor |= last && head->compound_dtor == HUGETLB_PAGE_DTOR;
	}
	if (last)
		destroy_page(head);
}

/* put_page() for a speculative reference taken on @page itself */
void put_page_speculative(struct page *page)
{
	put_speculative_ref(page, page);
}

/*
 * gup_fast(): GUP-fast on one PTE (gup_pte_range() with try_grab_folio() and
 * try_get_folio() in 6.1): IRQs off, no reference held. Read the PTE, find
 * the head, try-get the head (GUP_FAST_TRYGET selects the form), re-check
 * that the page still belongs to that head (else put and retry: a split or a
 * free got in), re-check the PTE (else put and fall back to the slow path).
 * Then the caller uses the page and unpins it (gup_unpin()).
 */
struct page *user_pte;	/* one PTE of a user mapping */
bool ghost_gup_pinned;	/* GUP-fast held a reference on a mapped page */
bool ghost_gup_pin_not_on_head;	/* ... and that reference was not on the page's head */

/* try_get_folio()'s try-get of @head, in the form GUP_FAST_TRYGET selects */
static inline bool gup_try_get(struct page *head)
{
#if GUP_FAST_TRYGET
	return folio_ref_try_add_rcu(head, 1);
#else
	return get_page_unless_zero(head);
#endif
}

/*
 * gup_unpin(): the GUP caller's put_page(page) (unpin_user_page() in 6.1):
 * drop one reference on the page's head as it is *now*. (@pinned_head is the
 * head GUP-fast took its reference on: the ghost speculative count comes off
 * there.)
 */
static void gup_unpin(struct page *page, struct page *pinned_head)
{
	put_speculative_ref(page, pinned_head);
}

void gup_fast(void)
{
	struct page *page;
	struct page *head;

retry:
	page = READ_ONCE(user_pte);
	if (!page)
		return;
	head = compound_head(page);
	if (!gup_try_get(head)) {
		TRACE(gup_fast_tryget_failed);	/* count 0: the slow path would take over */
		return;
	}
	head->ghost_spec++;
#if GUP_FAST_HEAD_RECHECK
	if (compound_head(page) != head) {
		TRACE(gup_fast_head_changed);	/* split or freed meanwhile: put and retry */
		put_page_speculative(head);
		goto retry;
	}
#endif
	if (READ_ONCE(user_pte) != page) {
		TRACE(gup_fast_pte_changed);	/* unmapped meanwhile: put, slow path */
		put_page_speculative(head);
		return;
	}
	GHOST {
		ghost_gup_pinned = true;
		ghost_gup_pin_not_on_head |= (page->first_page ? page->first_page : page) != head;
	}
	TRACE(gup_fast_pinned);
	/* the caller uses the page, then unpins it */
	gup_unpin(page, head);
}

#endif /* MM_SPECULATIVE_C */
