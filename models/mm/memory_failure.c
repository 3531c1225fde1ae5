/*
 * memory_failure.c - memory_failure() (KERNEL.md §5, §8 "Hardware poison",
 * §9; mm/memory-failure.c as of 6.1 unless a define selects an older
 * version): mark the page poisoned, take a reference through
 * get_hwpoison_page() / get_huge_page_for_hwpoison(), and for a hugetlb page
 * record the raw error page on the folio's list (mm/hwpoison.h).
 *
 * Entry point: memory_failure(pfn) (a thread: "memory_failure(1)").
 *   hugetlb page (6.1): try_memory_failure_hugetlb() -> get_huge_page_for_hwpoison():
 *     under hugetlb_lock, compound_head(), PageHuge(), then freed (no
 *     reference: res 0), migratable (try-get: res 1), else -EBUSY (retried
 *     once with MF_NO_RETRY, which poisons anyway); the head is marked and
 *     the raw page recorded in the same lock section;
 *   other pages: TestSetPageHWPoison(p) on the raw page, then
 *     get_hwpoison_page(): try-get the head and re-check the head.
 * What memory_failure() does once it holds (or knows it needs no) reference
 * -- dissolving a free page, unmapping and killing, keeping the poisoned page
 * forever -- is not modelled: it drops any reference it took and returns (the
 * page stays marked). get_any_page()'s up-to-3 retries are not modelled.
 *
 * Defines (KERNEL.md §9):
 *   MF_GET_HWPOISON_HUGE (default 1): 25182f05ffed "mm,hwpoison: fix race with
 *     hugetlb page allocation" (5.13). 0: __get_hwpoison_page() try-gets the
 *     head of any page without a lock, even a fresh surplus hugetlb page not
 *     yet on a free list. 1: a hugetlb head is handled by
 *     get_hwpoison_huge_page() (under hugetlb_lock; HPageFreed: no reference;
 *     HPageMigratable: try-get; else -EBUSY), other pages only when
 *     HWPoisonHandlable() (no page of the models is on an LRU or movable, so
 *     only a free buddy page is).
 *   MF_HUGETLB_LOCKED (default 1): 405ce051236c "mm/hwpoison: fix race between
 *     hugetlb free/demotion and memory_failure_hugetlb()" (5.19/6.0). 0:
 *     memory_failure() tests PageHuge() and memory_failure_hugetlb() computes
 *     head = compound_head(p) without hugetlb_lock, then TestSetPageHWPoison(head)
 *     and get_hwpoison_page(p), and drops the reference with put_page(head):
 *     a concurrent free or demotion makes it mark and put the wrong page (no
 *     raw error list: it came after, in 6.1). 1: the 6.1 code described above.
 *   MF_RAW_ALLOC_CAN_FAIL (default 0, mm/hwpoison.h).
 *
 * Tracepoints: see docs/models.md ("memory_failure.c and hwpoison.h").
 */
#ifndef MM_MEMORY_FAILURE_C
#define MM_MEMORY_FAILURE_C

#include "mm/hugetlb.c"
#include "mm/speculative.c"
#include "mm/hwpoison.h"

#ifndef MF_GET_HWPOISON_HUGE
#define MF_GET_HWPOISON_HUGE 1
#endif
#if MF_GET_HWPOISON_HUGE < 0 || MF_GET_HWPOISON_HUGE > 1
#error MF_GET_HWPOISON_HUGE must be 0 or 1
#endif
#ifndef MF_HUGETLB_LOCKED
#define MF_HUGETLB_LOCKED 1
#endif
#if MF_HUGETLB_LOCKED < 0 || MF_HUGETLB_LOCKED > 1
#error MF_HUGETLB_LOCKED must be 0 or 1
#endif

#define EBUSY 16
#define EIO 5

/*
 * ghost: memory_failure() set PG_hwpoison on a page that neither is the
 * error page nor, at that moment, its compound head.
 */
bool ghost_mf_wrong_page;

/* ghost: record whether marking @target for the error at @p marks the right page */
static inline void mf_ghost_check_target(struct page *target, struct page *p)
{
	GHOST { ghost_mf_wrong_page |= target != p && compound_head(p) != target; }
}

/* mf_put_page(): memory_failure() drops its reference (speculative bookkeeping in the same step) */
static void mf_put_page(struct page *head)
{
	put_page_speculative(head);
}

/*
 * mf_put_stale_head(): put_page(head) on the head memory_failure_hugetlb()
 * computed before taking its reference (before 405ce051236c): the reference
 * was taken on compound_head(p) at a later time, maybe another page.
 */
static void mf_put_stale_head(struct page *head)
{
	bool last = put_page_testzero(head);

	GHOST { head->ghost_spec -= head->ghost_spec > 0; }
	if (last)
		destroy_page(head);
}

/*
 * HWPoisonHandlable() (6.1): a page memory_failure() may take a reference on:
 * on an LRU, movable, or a free buddy page. The models have no LRU or movable
 * pages, so only a free buddy page is.
 */
static bool HWPoisonHandlable(struct page *page)
{
	return PageBuddy(page);
}

/*
 * get_hwpoison_huge_page() (mm/hugetlb.c, 25182f05ffed, 5.13-6.0; kept in
 * 6.1 for the normal path): under hugetlb_lock, for a hugetlb head only:
 * freed -> 0 (no reference), migratable -> try-get (1 or 0), else -EBUSY.
 * The kernel says through a bool * whether the page was hugetlb; here
 * MF_NOT_HUGETLB is returned for a page that is not.
 */
#define MF_NOT_HUGETLB 2
static int get_hwpoison_huge_page(struct page *head)
{
	int ret = MF_NOT_HUGETLB;

	spin_lock(&hugetlb_lock);
	if (PageHeadHuge(head)) {
		if (test_bit(PG_hugetlb_freed, &head->flags)) {
			ret = 0;
		} else if (test_bit(PG_hugetlb_migratable, &head->flags)) {
			ret = get_page_unless_zero(head);
			if (ret)
				head->ghost_spec++;
		} else {
			TRACE(mf_hugetlb_busy);
			ret = -EBUSY;
		}
	}
	spin_unlock(&hugetlb_lock);
	return ret;
}

/*
 * mf_get_head_ref(): __get_hwpoison_page() on @page whose head was read as
 * @head (before and after 25182f05ffed): a hugetlb @head per
 * MF_GET_HWPOISON_HUGE, else try-get @head and re-check that @page still
 * belongs to it (else put: "cannot catch tail"). Returns 1 with a reference
 * on @head, 0, or -EBUSY. (The hugetlb path does not re-check: @head may no
 * longer be @page's head, as in 6.1.)
 */
static int mf_get_head_ref(struct page *page, struct page *head)
{
	int ret;

#if MF_GET_HWPOISON_HUGE
	ret = get_hwpoison_huge_page(head);
	if (ret != MF_NOT_HUGETLB)
		return ret;
	if (!HWPoisonHandlable(head)) {
		TRACE(mf_unhandlable);
		return -EBUSY;
	}
#endif
	if (get_page_unless_zero(head)) {
		head->ghost_spec++;
		TRACE(mf_get_page);
		if (head == compound_head(page))
			return 1;
		TRACE(mf_cannot_catch_tail);
		mf_put_page(head);
	}
	return 0;
}

/* __get_hwpoison_page(): mf_get_head_ref() on compound_head(page); 1 with a reference on that head, 0, or -EBUSY */
static int __get_hwpoison_page(struct page *page)
{
	return mf_get_head_ref(page, compound_head(page));
}

/* get_hwpoison_page() (get_any_page() without its retries): 1 with a reference on the head, 0, or < 0 */
static int get_hwpoison_page(struct page *p)
{
	return __get_hwpoison_page(p);
}

#if MF_HUGETLB_LOCKED
/*
 * __get_huge_page_for_hwpoison() (6.1, mm/hugetlb.c; 405ce051236c):
 * hugetlb_lock held. Everything about the page is decided here: its head, that
 * it is hugetlb, its state, the reference, and the marks. Returns 2 (not
 * hugetlb: the normal path), 0 (free, no reference), 1 (reference taken),
 * -EBUSY (in transition) or -EHWPOISON (already poisoned).
 */
static mf_ret_t __get_huge_page_for_hwpoison(struct page *page, bool no_retry)
{
	struct page *head = compound_head(page);
	mf_ret_t ret = 2;
	bool count_increased = false;

	if (!PageHeadHuge(head))
		goto out;
	if (test_bit(PG_hugetlb_freed, &head->flags)) {
		ret = 0;
	} else if (test_bit(PG_hugetlb_migratable, &head->flags)) {
		ret = get_page_unless_zero(head);
		if (ret) {
			head->ghost_spec++;
			count_increased = true;
		}
	} else {
		ret = -EBUSY;
		TRACE(mf_hugetlb_busy);
		if (!no_retry)
			goto out;
	}
	mf_ghost_check_target(head, page);
	if (hugetlb_set_page_hwpoison(head, page)) {
		ret = -EHWPOISON;
		goto out;
	}
	return ret;
out:
	if (count_increased)
		mf_put_page(head);
	return ret;
}

/* get_huge_page_for_hwpoison() (6.1): __get_huge_page_for_hwpoison() under hugetlb_lock */
static mf_ret_t get_huge_page_for_hwpoison(struct page *page, bool no_retry)
{
	mf_ret_t ret;

	spin_lock(&hugetlb_lock);
	ret = __get_huge_page_for_hwpoison(page, no_retry);
	spin_unlock(&hugetlb_lock);
	return ret;
}

/*
 * try_memory_failure_hugetlb() (6.1, 405ce051236c): MF_NOT_HUGETLB when the
 * page is not hugetlb (the normal path takes over; the kernel says so through
 * an int *). A free page (res 0) would
 * be dissolved, an in-use one unmapped (not modelled). With a reference, the
 * page is re-checked after lock_page(): if it is no longer a hugetlb page
 * with the same head, MF_MSG_DIFFERENT_PAGE_SIZE.
 */
static mf_ret_t try_memory_failure_hugetlb(int pfn)
{
	struct page *p = pfn_to_page(pfn);
	struct page *head;
	bool no_retry = false;
	mf_ret_t res;

retry:
	res = get_huge_page_for_hwpoison(p, no_retry);
	if (res == 2) {
		TRACE(mf_hugetlb_fallback);
		return MF_NOT_HUGETLB;
	} else if (res == -EHWPOISON) {
		TRACE(mf_already_poisoned);
		return res;
	} else if (res == -EBUSY) {
		if (!no_retry) {
			no_retry = true;
			TRACE(mf_hugetlb_retry);
			goto retry;
		}
		TRACE(mf_hugetlb_ignored);
		return res;
	}
	head = compound_head(p);
	if (res == 0) {
		TRACE(mf_hugetlb_free);	/* MF_MSG_FREE_HUGE: __page_handle_poison() */
		return 0;
	}
	TRACE(mf_hugetlb_got_ref);
	/* lock_page(head) */
	if (!PageHuge(compound_head(p)) || compound_head(p) != head) {
		TRACE(mf_different_page_size);	/* MF_MSG_DIFFERENT_PAGE_SIZE */
		mf_put_page(head);
		return -EBUSY;
	}
	mf_put_page(head);	/* hwpoison_user_mappings() etc.: not modelled */
	return 0;
}
#else
/*
 * memory_failure_hugetlb() before 405ce051236c (5.13-5.18): head computed
 * once, without hugetlb_lock; the page may be freed or demoted before the
 * head is marked and before the reference is taken (on compound_head(p) at
 * that later time) and dropped (on the stale head).
 */
static mf_ret_t memory_failure_hugetlb(int pfn)
{
	struct page *p = pfn_to_page(pfn);
	struct page *head = compound_head(p);
	bool poisoned;
	mf_ret_t res;

	poisoned = TestSetPageHWPoison(head);
	mf_ghost_check_target(head, p);	/* in the step of the mark */
	if (poisoned) {
		TRACE(mf_already_poisoned);
		return -EHWPOISON;
	}
	res = get_hwpoison_page(p);
	if (res == 0) {
		TRACE(mf_hugetlb_free);	/* MF_MSG_FREE_HUGE: __page_handle_poison() */
		return 0;
	} else if (res < 0) {
		TRACE(mf_hugetlb_ignored);
		return -EBUSY;
	}
	TRACE(mf_hugetlb_got_ref);
	/* lock_page(head); the rest of the handling is not modelled: put_page(head) */
	mf_put_stale_head(head);
	return 0;
}
#endif

/*
 * memory_failure() (6.1; with MF_HUGETLB_LOCKED 0, 5.13-5.18): the hugetlb
 * path first; otherwise mark the raw page, get a reference on its head,
 * re-check the head (MF_MSG_DIFFERENT_COMPOUND), and drop the reference.
 */
void memory_failure(int pfn)
{
	struct page *p = pfn_to_page(pfn);
	struct page *hpage;
	mf_ret_t res;
#if MF_HUGETLB_LOCKED
	if (try_memory_failure_hugetlb(pfn) != MF_NOT_HUGETLB)
		return;
#else
	if (PageHuge(compound_head(p))) {
		memory_failure_hugetlb(pfn);
		return;
	}
#endif
	if (TestSetPageHWPoison(p)) {
		TRACE(mf_already_poisoned);
		return;
	}
	TRACE(mf_poisoned_raw);
	hpage = compound_head(p);
	res = mf_get_head_ref(p, hpage);	/* get_hwpoison_page(p), on the head just read */
	if (res <= 0) {
		TRACE(mf_no_ref);	/* free buddy page, or a page it cannot handle */
		return;
	}
	if (compound_head(p) != hpage)
		TRACE(mf_different_compound);	/* MF_MSG_DIFFERENT_COMPOUND */
	mf_put_page(hpage);	/* the reference taken, on the page it was taken on */
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
