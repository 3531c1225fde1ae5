/*
 * huge_memory.c - transparent huge pages: a THP mapped by a PTE, and
 * split_huge_page() (KERNEL.md §8 "THP split and GUP-fast"; mm/huge_memory.c,
 * mm/migrate.c as of 6.1, reduced to one PTE and an anonymous THP).
 *
 * A THP is an ordinary compound page (compound destructor, not hugetlb). The
 * one PTE is speculative.c's user_pte; a mapping holds a reference on the
 * head, as a PTE-mapped THP does in 6.1. split_huge_page() unmaps the page
 * (the PTE becomes a migration entry and the mapping's reference is
 * dropped), freezes the head from the caller's one reference to 0 (failure:
 * remap, -EBUSY), turns every tail into an order-0 page with its own count,
 * turns the head into an order-0 page, unfreezes, remaps the PTE to the same
 * subpage (now an independent page, with its own mapping reference) and drops
 * the references the split gave the tails.
 *
 * Scenario define: THP_ORDER (default 1), THP_PTE_INDEX (default 1: the PTE
 * maps the first tail).
 */
#ifndef MM_HUGE_MEMORY_C
#define MM_HUGE_MEMORY_C

#include "mm/speculative.c"

#ifndef THP_ORDER
#define THP_ORDER 1
#endif
#if THP_ORDER < 1 || (1 << THP_ORDER) > NR_PAGES
#error THP_ORDER must be at least 1, and NR_PAGES must hold one THP of (1 << THP_ORDER) pages
#endif
#ifndef THP_PTE_INDEX
#define THP_PTE_INDEX 1
#endif
#if THP_PTE_INDEX < 0 || THP_PTE_INDEX > (1 << THP_ORDER) - 1
#error THP_PTE_INDEX must be 0 to (1 << THP_ORDER) - 1 (a subpage of the THP)
#endif

/*
 * thp_fault(): do_huge_pmd_anonymous_page() followed by a PMD split into
 * PTEs (6.1), for one PTE: allocate a THP (count 1: the caller's reference,
 * which it keeps), take the mapping's reference and map subpage
 * THP_PTE_INDEX in user_pte. Returns the head, or NULL.
 */
struct page *thp_fault(void)
{
	struct page *page = __alloc_pages(THP_ORDER, true);

	if (!page)
		return NULL;
	get_page(page);				/* the PTE's reference */
	WRITE_ONCE(user_pte, page + THP_PTE_INDEX);
	return page;
}

/*
 * unmap_page() (try_to_migrate() under the page table lock, 6.1): if the PTE
 * maps a subpage of @head, replace it by a migration entry and drop the
 * mapping's reference. Returns the subpage index that was mapped, or -1.
 */
static int unmap_page(struct page *head)
{
	struct page *pte;
	int idx = -1;

	ATOMIC {
		pte = user_pte;
		if (pte) {
			idx = pte - head;
			if (idx >= 0 && idx < (1 << head->compound_order))
				user_pte = NULL;	/* a migration entry: not present */
			else
				idx = -1;
		}
	}
	if (idx >= 0)
		put_page(head);			/* the mapping's reference */
	return idx;
}

/*
 * remap_page() (remove_migration_ptes(), 6.1): turn the migration entry back
 * into a PTE to subpage @idx of @page (the old head: after a split its
 * subpages are independent pages), taking the mapping's reference on what is
 * the page's head now.
 */
static void remap_page(struct page *page, int idx)
{
	if (idx < 0)
		return;
	get_page(page + idx);
	WRITE_ONCE(user_pte, page + idx);
}

/*
 * __split_huge_page_tail() (6.1): tail @i of the frozen @head becomes an
 * independent order-0 page: its compound_head link is cleared first, then its
 * count is unfrozen to 1 (the reference split_huge_page() drops at the end).
 */
static void __split_huge_page_tail(struct page *head, int i)
{
	struct page *tail = head + i;

	WRITE_ONCE(tail->first_page, NULL);	/* clear_compound_head() */
	page_ref_unfreeze(tail, 1);
	grant_ref(tail);
}

/*
 * split_huge_page() (split_huge_page_to_list() and __split_huge_page(), 6.1)
 * on @page, any subpage of a THP whose caller holds one reference on the THP
 * (the page lock is not modelled: the caller is the only splitter). After the
 * split the caller's reference is on @page, now an order-0 page; every other
 * subpage is put (freed unless mapped). Returns 0, or -EBUSY (-16) if somebody
 * else held a reference when the head was to be frozen.
 */
int split_huge_page(struct page *page)
{
	struct page *head = compound_head(page);
	int nr = 1 << head->compound_order;
	int idx;
	int i;

	idx = unmap_page(head);
	if (!page_ref_freeze(head, 1)) {	/* the caller's reference only */
		TRACE(split_huge_page_busy);	/* an extra reference: give up */
		remap_page(head, idx);
		return -16;
	}
	for (i = nr - 1; i >= 1; i--)
		__split_huge_page_tail(head, i);
	ATOMIC {				/* the head becomes an order-0 page */
		head->flags &= ~(1 << PG_head);
		head->compound_order = 0;
		head->compound_dtor = NULL_COMPOUND_DTOR;
	}
	page_ref_unfreeze(head, 1);		/* as every tail: one reference */
	TRACE(split_huge_page_done);
	remap_page(head, idx);
	for (i = 0; i < nr; i++)		/* the caller's reference stays on @page: put the others */
		if (head + i != page)
			put_page(head + i);
	return 0;
}

/*
 * thp_user(): a task faults in a THP, splits it (as a partial munmap or
 * madvise would have the kernel do), then unmaps everything and frees it:
 * the PTE, the mapping's reference on what the PTE maps, and the caller's
 * reference on the head (which frees whatever is left of the THP).
 */
void thp_user(void)
{
	struct page *page = thp_fault();
	struct page *mapped;

	if (!page)
		return;
	split_huge_page(page);
	ATOMIC {				/* zap_pte_range() under the PTL */
		mapped = user_pte;
		user_pte = NULL;
	}
	if (mapped)
		put_page(mapped);		/* the mapping's reference */
	put_page(page);				/* the caller's reference */
}

#endif /* MM_HUGE_MEMORY_C */
