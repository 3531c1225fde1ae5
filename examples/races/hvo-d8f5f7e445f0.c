/*
 * hvo-d8f5f7e445f0: a tail writer, "code that sees an ordinary compound page
 * and writes to its tails" (KERNEL.md §4), e.g. memory_failure() setting
 * PG_hwpoison on the raw page. Its check and its write are one step here (as
 * if under a lock the allocator also took), so that only the window
 * d8f5f7e445f0 closes is left; memory_failure()'s real, separate check and
 * write are hvo-d8f5f7e445f0-residual.toml.
 */
#include "mm/memory_failure.c"

void tail_writer(int pfn)
{
	struct page *p = pfn_to_page(pfn);
	struct page *head;

	ATOMIC {
		head = compound_head(p);
		if (p != head && !PageHuge(head))
			SetPageHWPoison(p);
		else if (p != head && !test_bit(PG_vmemmap_optimized, &head->flags))
			TRACE(tail_writer_saw_hugetlb_before_hvo);
	}
}

/* The writer found the page marked hugetlb while prep had not optimised it yet, and kept off. */
REACHABLE(writer_kept_off_page_being_prepped)
{
	return TRACED(tail_writer_saw_hugetlb_before_hvo);
}
