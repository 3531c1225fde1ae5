/*
 * hwpoison.h - the hardware-poison marks of struct page and a hugetlb folio's
 * list of raw error pages (KERNEL.md §8 "Hardware poison"; PageHWPoison() of
 * include/linux/page-flags.h and the raw_hwp_page list of mm/memory-failure.c,
 * which came with 161df60e9e89 "mm, hwpoison, hugetlb: support saving
 * mechanism of raw error pages" in 6.1; the 6.3+ folio names are aliases).
 *
 * For a hugetlb page, memory_failure() sets PG_hwpoison on the *head* and
 * records the raw error page on the folio's list (page->raw_hwp of the head:
 * a bitmask of offsets, bit i = page head+i). The freeing path must process
 * the list before the page goes back to buddy: it moves the mark from the
 * head to every raw error page (folio_clear_hugetlb_hwpoison()), so that the
 * healthy subpages become reusable and the bad ones stay marked. A page in
 * buddy whose raw_hwp is not empty is a lost error record (the property
 * raw_hwp_not_leaked in properties/memory_failure.c).
 *
 * A free path in hugetlb.c calls, as __update_and_free_page() does (6.1) and
 * __update_and_free_hugetlb_folio() (6.3+), after restoring the vmemmap:
 *
 *	if (PageHWPoison(page))
 *		folio_clear_hugetlb_hwpoison(page);
 *
 * Every write of a PG_hwpoison bit is a write to that struct page: on a
 * read-only HVO tail (vmemmap_ro) it sets ghost_ro_write, as page_ref.h does.
 *
 * Define: MF_RAW_ALLOC_CAN_FAIL (default 0): the kmalloc(GFP_ATOMIC) of a raw
 * error record may fail; the folio is then marked HPageRawHwpUnreliable and
 * its list freed (it will not be dissolved or unpoisoned).
 *
 * Includes only page.h and page_ref.h, so hugetlb.c may include it.
 */
#ifndef MM_HWPOISON_H
#define MM_HWPOISON_H

#include "mm/page.h"
#include "mm/page_ref.h"

#ifndef MF_RAW_ALLOC_CAN_FAIL
#define MF_RAW_ALLOC_CAN_FAIL 0
#endif
#if MF_RAW_ALLOC_CAN_FAIL < 0 || MF_RAW_ALLOC_CAN_FAIL > 1
#error MF_RAW_ALLOC_CAN_FAIL must be 0 or 1
#endif

#define EHWPOISON 133

/*
 * mf_ret_t: what the memory-failure paths return: 0, 1, MF_NOT_HUGETLB (2),
 * -EIO, -EBUSY or -EHWPOISON (below the default int domain of -128..127)
 */
typedef int mf_ret_t __range(-EHWPOISON, 2);

/* PageHWPoison(): a memory error was recorded on this struct page (one load) */
static inline bool PageHWPoison(struct page *page)
{
	return test_bit(PG_hwpoison, &page->flags);
}

/* TestSetPageHWPoison(): atomic test-and-set (lock bts: a write even when already set) */
static inline bool TestSetPageHWPoison(struct page *page)
{
	bool old = test_and_set_bit(PG_hwpoison, &page->flags);

	GHOST { ghost_ro_write |= page->vmemmap_ro; }
	return old;
}

/* SetPageHWPoison(): atomic set_bit, a write to this struct page */
static inline void SetPageHWPoison(struct page *page)
{
	set_bit(PG_hwpoison, &page->flags);
	GHOST { ghost_ro_write |= page->vmemmap_ro; }
}

/* ClearPageHWPoison(): atomic clear_bit, a write to this struct page */
static inline void ClearPageHWPoison(struct page *page)
{
	clear_bit(PG_hwpoison, &page->flags);
	GHOST { ghost_ro_write |= page->vmemmap_ro; }
}

/* HPageRawHwpUnreliable(): the folio's raw error list could not be kept */
static inline bool HPageRawHwpUnreliable(struct page *head)
{
	return test_bit(PG_hugetlb_raw_hwp_unreliable, &head->flags);
}

/*
 * __free_raw_hwp_pages() (6.1, mm/memory-failure.c; __folio_free_raw_hwp()
 * from 6.3): walk the folio's raw error list (one load of the list), with
 * @move_flag mark each raw page PG_hwpoison, then llist_del_all() (one store).
 * Not atomic against a concurrent llist_add(): the callers rely on
 * hugetlb_lock or on the folio no longer being hugetlb. Returns the number of
 * records.
 */
static int __free_raw_hwp_pages(struct page *head, bool move_flag)
{
	unsigned raw = READ_ONCE(head->raw_hwp);
	int count = 0;
	int i;

	for (i = 0; i < NR_PAGES; i++) {
		if (!(raw & (1 << i)))
			continue;
		if (move_flag) {
			SetPageHWPoison(&head[i]);
			TRACE(hwp_raw_moved);
		}
		count++;
	}
	WRITE_ONCE(head->raw_hwp, 0);
	return count;
}

/*
 * free_raw_hwp_pages() (6.1; folio_free_raw_hwp() from 6.3): nothing for an
 * optimised folio when moving flags (its tail struct pages do not exist), nor
 * for an unreliable list; else __free_raw_hwp_pages().
 */
static int free_raw_hwp_pages(struct page *head, bool move_flag)
{
	if (move_flag && test_bit(PG_vmemmap_optimized, &head->flags)) {
		TRACE(hwp_raw_kept_optimized);
		return 0;
	}
	if (HPageRawHwpUnreliable(head))
		return 0;
	return __free_raw_hwp_pages(head, move_flag);
}

/*
 * hugetlb_set_page_hwpoison() (6.1, mm/memory-failure.c;
 * folio_set_hugetlb_hwpoison() from 6.3): called with hugetlb_lock held (from
 * 6.1; see memory_failure.c). Mark the head PG_hwpoison and add @page to the
 * folio's raw error list, unless the list is unreliable or already holds it.
 * Returns 0, or -EHWPOISON when the head was already poisoned or @page is
 * already recorded.
 */
mf_ret_t hugetlb_set_page_hwpoison(struct page *head, struct page *page)
{
	mf_ret_t ret = TestSetPageHWPoison(head) ? -EHWPOISON : 0;
	unsigned raw;

	if (HPageRawHwpUnreliable(head)) {
		TRACE(mf_raw_hwp_unreliable);
		return -EHWPOISON;
	}
	raw = READ_ONCE(head->raw_hwp);
	if (raw & (1 << (page - head))) {
		TRACE(mf_raw_hwp_already);
		return -EHWPOISON;
	}
	if (MF_RAW_ALLOC_CAN_FAIL && nondet_bool()) {
		/* kmalloc(GFP_ATOMIC) failed: give the list up */
		TRACE(mf_raw_hwp_alloc_failed);
		set_bit(PG_hugetlb_raw_hwp_unreliable, &head->flags);
		__free_raw_hwp_pages(head, false);
		return ret;
	}
	set_bit(page - head, &head->raw_hwp);	/* llist_add() */
	TRACE(mf_raw_hwp_recorded);
	return ret;
}

/*
 * hugetlb_clear_page_hwpoison() (6.1; folio_clear_hugetlb_hwpoison() from
 * 6.3): the freeing path's bookkeeping: unless the list is unreliable, clear
 * the head's mark and move it to each raw error page, emptying the list.
 */
void hugetlb_clear_page_hwpoison(struct page *head)
{
	if (HPageRawHwpUnreliable(head))
		return;
	ClearPageHWPoison(head);
	free_raw_hwp_pages(head, true);
}

/* folio_clear_hugetlb_hwpoison(): the 6.3+ name of hugetlb_clear_page_hwpoison() */
void folio_clear_hugetlb_hwpoison(struct page *folio)
{
	hugetlb_clear_page_hwpoison(folio);
}

#endif /* MM_HWPOISON_H */
