/*
 * memory_failure.c - memory_failure()'s reference handling (KERNEL.md §5;
 * mm/memory-failure.c, get_huge_page_for_hwpoison() and get_hwpoison_page()
 * as of 6.1): hugetlb pages only under hugetlb_lock, and only when freed (no
 * reference taken) or migratable (try-get); other pages try-get the head and
 * re-check the head.
 */
#ifndef MM_MEMORY_FAILURE_C
#define MM_MEMORY_FAILURE_C

#include "mm/hugetlb.c"
#include "mm/speculative.c"

bool ghost_mf_found_free_hugetlb;	/* memory_failure found a free hugetlb page */
bool ghost_mf_got_hugetlb;		/* memory_failure took a reference on a hugetlb page */

void memory_failure(int pfn)
{
	struct page *p = pfn_to_page(pfn);
	struct page *head;

	spin_lock(&hugetlb_lock);
	head = compound_head(p);
	if (PageHuge(head)) {
		if (test_bit(PG_hugetlb_freed, &head->flags)) {
			GHOST { ghost_mf_found_free_hugetlb = true; }	/* handled without a reference */
		} else if (test_bit(PG_hugetlb_migratable, &head->flags) && get_page_unless_zero(head)) {
			head->ghost_spec++;
			GHOST { ghost_mf_got_hugetlb = true; }
			spin_unlock(&hugetlb_lock);
			put_page_speculative(head);
			return;
		}
		spin_unlock(&hugetlb_lock);
		return;
	}
	spin_unlock(&hugetlb_lock);
	head = compound_head(p);
	if (!get_page_unless_zero(head))
		return;
	head->ghost_spec++;
	if (compound_head(p) != head) {
		put_page_speculative(head);	/* raced with a split or free: give up */
		return;
	}
	put_page_speculative(head);
}

/*
 * hugetlb_user(): a task faulting in a hugetlb page: take one from the pool
 * (count 1), mark it migratable and map it, then unmap it and drop the
 * reference, which runs the destructor (clearing migratable under the lock)
 * and returns it to the free list.
 */
void hugetlb_user(void)
{
	struct page *page = dequeue_huge_page();

	if (!page)
		return;
	set_bit(PG_hugetlb_migratable, &page->flags);
	WRITE_ONCE(user_pte, page);
	WRITE_ONCE(user_pte, NULL);
	put_page(page);	/* the last reference: the destructor clears migratable */
}

/* migrate_isolate(): migration isolating the page at @pfn and putting it back */
void migrate_isolate(int pfn)
{
	struct page *page = pfn_to_page(pfn);

	if (isolate_hugetlb(page))
		putback_active_hugepage(page);
}

#endif /* MM_MEMORY_FAILURE_C */
