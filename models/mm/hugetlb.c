/*
 * hugetlb.c - fresh hugetlb pages from the buddy allocator, and the pool
 * (KERNEL.md §3; mm/hugetlb.c as of 6.1 unless a variant says otherwise).
 *
 * alloc_buddy_huge_page() as the 2022 patch "hugetlb: freeze allocated pages
 * before creating hugetlb pages" had it (merged for 6.1), selected by
 * FREEZE_PATCH:
 *   0     before the patch (6.0): no freeze; the fresh page keeps its count of
 *         1 through prep and joins the pool through put_page();
 *   1, 2  versions 1 and 2 posted to linux-mm: the head is frozen without
 *         checking that the allocation succeeded (NULL dereference);
 *   3     the merged version: NULL is checked first (default);
 *   4     the frozen-page allocator (2025): the buddy allocator hands out the
 *         block with its count already 0; no freeze, no retry.
 *
 * DISSOLVE_FREED_CHECK (default 1): dissolve_free_huge_page() only dissolves a
 * page marked freed (2021, "mm: hugetlb: fix a race between freeing and dissolving
 * the page"); 0 is the code before that fix.
 *
 * HUGETLB_MUTANT (default 0) plants a bug in the merged version's retry path:
 *   1  the page whose freeze failed is forgotten instead of __free_pages();
 *   2  it is given straight back to the buddy allocator, despite the other
 *      holder's reference;
 *   3  the freeze is replaced by set_page_count(page, 0).
 *
 * Surplus pages (KERNEL.md §8): gather_surplus_pages() and
 * alloc_surplus_huge_page() for a reservation of @delta pages, selected by
 * GATHER_SURPLUS:
 *   0  the 2021 code (before b65a4edae11e; the code 25182f05ffed fixed from
 *      memory_failure's side): the fresh surplus page has count 1; under the
 *      lock gather drops it with put_page_testzero() and only checks the
 *      result with VM_BUG_ON_PAGE, then enqueues; extras are put_page()d;
 *   1  5.15-6.0 (b65a4edae11e): count 1; under the lock SetHPageTemporary,
 *      then put_page_testzero(); a page whose count does not reach 0 is given
 *      up (the other holder's last put frees it to buddy: it is Temporary) and
 *      the allocation is retried once; extras are put_page()d;
 *   2  6.1, after the freeze patch (default): the page is frozen (count 0);
 *      enqueue needs count 0; extras go to free_huge_page().
 * HUGETLB_OVERCOMMIT (default 1): initial nr_overcommit_huge_pages.
 *
 * Vmemmap optimisation order (KERNEL.md §4, §9):
 * HVO_MARK_BEFORE_OPTIMIZE (default 0): prep_new_huge_page() sets the hugetlb
 *      destructor before optimising the vmemmap (d8f5f7e445f0, 2023); 0 is
 *      6.1's order, optimise first (a window where the page looks like an
 *      ordinary compound page with read-only tails).
 * HVO_CLEAR_DTOR_AFTER_RESTORE (default 0): remove_hugetlb_page() keeps the
 *      hugetlb destructor of a vmemmap-optimised page, and
 *      update_and_free_page() clears it under the lock only once
 *      hugetlb_vmemmap_restore() succeeded (32c877191e02, 2023); 0 is 6.1:
 *      the destructor is reset under the lock in remove_hugetlb_page(), before
 *      the restore.
 *
 * ISOLATE_HUGETLB_LOCKED (default 1): isolate_hugetlb() as fixed by
 *      0eb2df2b5629 (2021): every check under hugetlb_lock, PageHeadHuge()
 *      before the try-get; 0 is the code before it (isolate_huge_page():
 *      VM_BUG_ON_PAGE(!PageHead) before the lock, page_huge_active() with
 *      VM_BUG_ON_PAGE(!PageHuge), on a page the caller found PageHuge without
 *      the lock).
 *
 * Tracepoints: see docs/models.md (hugetlb_* names).
 */
#ifndef MM_HUGETLB_C
#define MM_HUGETLB_C

#include "mm/buddy.c"
#include "mm/hugetlb_vmemmap.c"
#include "mm/hwpoison.h"

#ifndef FREEZE_PATCH
#define FREEZE_PATCH 3
#endif
#ifndef HUGETLB_ORDER
#define HUGETLB_ORDER 1
#endif
#ifndef HUGETLB_MUTANT
#define HUGETLB_MUTANT 0
#endif
#if HUGETLB_MUTANT < 0 || HUGETLB_MUTANT > 3
#error HUGETLB_MUTANT must be 0 to 3
#endif
#ifndef DISSOLVE_FREED_CHECK
#define DISSOLVE_FREED_CHECK 1
#endif
#if DISSOLVE_FREED_CHECK < 0 || DISSOLVE_FREED_CHECK > 1
#error DISSOLVE_FREED_CHECK must be 0 or 1
#endif
#if FREEZE_PATCH < 0 || FREEZE_PATCH > 4
#error FREEZE_PATCH must be 0 (no freeze), 1, 2, 3 (the patch's versions) or 4 (alloc_frozen_pages)
#endif
#if HUGETLB_ORDER < 1
#error HUGETLB_ORDER must be at least 1 (a hugetlb page of one page cannot be demoted)
#endif
#if NR_PAGES < (1 << HUGETLB_ORDER)
#error NR_PAGES must hold at least one hugetlb page of (1 << HUGETLB_ORDER) pages
#endif
#ifndef GATHER_SURPLUS
#define GATHER_SURPLUS 2
#endif
#if GATHER_SURPLUS < 0 || GATHER_SURPLUS > 2
#error GATHER_SURPLUS must be 0 to 2
#endif
#ifndef HUGETLB_OVERCOMMIT
#define HUGETLB_OVERCOMMIT 1
#endif
#if HUGETLB_OVERCOMMIT < 0 || HUGETLB_OVERCOMMIT > NR_PAGES
#error HUGETLB_OVERCOMMIT must be 0 to NR_PAGES
#endif
#ifndef HVO_MARK_BEFORE_OPTIMIZE
#define HVO_MARK_BEFORE_OPTIMIZE 0
#endif
#if HVO_MARK_BEFORE_OPTIMIZE < 0 || HVO_MARK_BEFORE_OPTIMIZE > 1
#error HVO_MARK_BEFORE_OPTIMIZE must be 0 or 1
#endif
#ifndef HVO_CLEAR_DTOR_AFTER_RESTORE
#define HVO_CLEAR_DTOR_AFTER_RESTORE 0
#endif
#if HVO_CLEAR_DTOR_AFTER_RESTORE < 0 || HVO_CLEAR_DTOR_AFTER_RESTORE > 1
#error HVO_CLEAR_DTOR_AFTER_RESTORE must be 0 or 1
#endif
#ifndef ISOLATE_HUGETLB_LOCKED
#define ISOLATE_HUGETLB_LOCKED 1
#endif
#if ISOLATE_HUGETLB_LOCKED < 0 || ISOLATE_HUGETLB_LOCKED > 1
#error ISOLATE_HUGETLB_LOCKED must be 0 or 1
#endif

spinlock_t hugetlb_lock __range(0, 16);
int nr_huge_pages __range(0, NR_PAGES);
int free_huge_pages __range(0, NR_PAGES);
int surplus_huge_pages __range(0, NR_PAGES);
int nr_overcommit_huge_pages __range(0, NR_PAGES) = HUGETLB_OVERCOMMIT;

/* ghost: how the allocation went */
int ghost_freeze_failures __range(0, 8);	/* freezes of a fresh head that failed */
bool ghost_alloc_gave_up;			/* both attempts lost the race */
bool ghost_pool_entered;			/* some page was put on a hugetlb free list */
bool ghost_restore_failed;			/* a vmemmap restore failed: the page went back to the pool */

/* PageHeadHuge(): a compound head with the hugetlb destructor */
bool PageHeadHuge(struct page *page)
{
	return PageHead(page) && READ_ONCE(page->compound_dtor) == HUGETLB_PAGE_DTOR;
}

/*
 * PageHuge() (6.1): any page of a compound page whose head has the hugetlb
 * destructor, a tail too (its head's destructor, read through the tail's
 * head pointer as it is then, without checking that head again).
 */
bool PageHuge(struct page *page)
{
	struct page *head;

	if (PageHead(page))
		return READ_ONCE(page->compound_dtor) == HUGETLB_PAGE_DTOR;
	head = READ_ONCE(page->first_page);
	return head && READ_ONCE(head->compound_dtor) == HUGETLB_PAGE_DTOR;
}

/* ghost: every page of the compound page at @head is now at @where */
static void ghost_move_block(struct page *head, int where)
{
	int i;

	GHOST {
		for (i = 0; i < (1 << head->compound_order); i++)
			head[i].ghost_where = where;
	}
}

/*
 * alloc_buddy_huge_page(): a fresh compound page with its head frozen
 * (count 0), or NULL. If a speculative reference got in between allocation
 * and freeze, free the page (the other holder's final put frees the compound
 * block) and retry once; a second failure warns and gives up.
 */
struct page *alloc_buddy_huge_page(int order)
{
	bool retry = true;
	struct page *page;

retry:
#if FREEZE_PATCH == 4
	page = alloc_frozen_pages(order, true);
	return page;
#endif
	page = __alloc_pages(order, true);
#if FREEZE_PATCH == 0
	return page;
#endif
#if HUGETLB_MUTANT == 3
	if (page) {
		set_page_count(page, 0);	/* mutant: a blind store instead of a freeze */
		page->ghost_frozen = true;
	}
	if (false) {
#elif FREEZE_PATCH >= 3
	if (page && !page_ref_freeze(page, 1)) {
#else
	if (!page_ref_freeze(page, 1)) {
#endif
		ghost_freeze_failures++;
		TRACE(hugetlb_freeze_failed);
#if HUGETLB_MUTANT == 1
		/* mutant: the page is forgotten, its reference never dropped */
#elif HUGETLB_MUTANT == 2
		free_the_page(page, order);	/* mutant: freed despite the other holder */
#else
		__free_pages(page, order);
#endif
		if (retry) {		/* retry once */
			retry = false;
			goto retry;
		}
		ghost_alloc_gave_up = true;
		TRACE(hugetlb_alloc_gave_up);
		pr_warn("HugeTLB head page unexpected inflated ref count\n");
		return NULL;
	}
	return page;
}

/*
 * prep_new_huge_page() (6.1 __prep_new_huge_page() + __prep_account_new_huge_page();
 * __prep_new_hugetlb_folio() after d8f5f7e445f0 for HVO_MARK_BEFORE_OPTIMIZE):
 * the vmemmap optimisation and the hugetlb destructor (PageHuge() from then
 * on), then count the page under hugetlb_lock. 6.1 optimises first: in
 * between, the page looks like an ordinary compound page whose tail struct
 * pages are read-only, and code that sees an ordinary compound page may
 * write to its tails (KERNEL.md §4).
 */
void prep_new_huge_page(struct page *page)
{
#if HVO_MARK_BEFORE_OPTIMIZE
	WRITE_ONCE(page->compound_dtor, HUGETLB_PAGE_DTOR);
#if VMEMMAP_OPTIMIZE
	hugetlb_vmemmap_optimize(page);
#endif
#else
#if VMEMMAP_OPTIMIZE
	hugetlb_vmemmap_optimize(page);
#endif
	WRITE_ONCE(page->compound_dtor, HUGETLB_PAGE_DTOR);
#endif
	spin_lock(&hugetlb_lock);
	nr_huge_pages++;
	spin_unlock(&hugetlb_lock);
}

/*
 * enqueue_huge_page() (6.1): onto the free list, marked freed; hugetlb_lock
 * held; the count must be 0. Ghost: a page handed over by its freezer (a
 * fresh frozen page) gives its frozen reference to the pool; a page that
 * arrives through its last put_page() holds no reference any more. A page
 * enqueued with references (possible without CONFIG_DEBUG_VM) keeps them, so
 * hugetlb_free_pages_unreferenced sees it.
 */
static void enqueue_huge_page(struct page *page)
{
	VM_BUG_ON_PAGE(page_count(page), page);
	free_huge_pages++;
	set_bit(PG_hugetlb_freed, &page->flags);
	ghost_move_block(page, WHERE_HUGETLB_FREE);
	GHOST {
		ghost_pool_entered = true;
		if (page->ghost_frozen) {
			page->ghost_frozen = false;
			page->ghost_refs--;
		}
	}
}

/*
 * ghost: set_page_refcounted() on a page leaving the pool gives its taker a
 * reference; on a frozen page, the freezer's reference becomes that one.
 */
static void ghost_refcounted(struct page *page)
{
	GHOST {
		if (page->ghost_frozen)
			page->ghost_frozen = false;
		else
			page->ghost_refs++;
	}
}

/*
 * __remove_hugetlb_page() (6.1; 32c877191e02 for HVO_CLEAR_DTOR_AFTER_RESTORE;
 * KERNEL.md §8): take a page out of the pool; hugetlb_lock held. Off the free
 * list (if it was on it: the free counter); the surplus counter if asked; the
 * destructor goes back to the ordinary compound one, so that a late reference
 * holder frees it to buddy (after 32c877191e02, only if the vmemmap is not
 * optimised: otherwise it stays hugetlb until update_and_free_page() restored
 * it); unless demoting, the count goes from 0 to 1, the reference
 * update_and_free_page() drops; nr_huge_pages--. (All under the lock; the
 * counter is decremented right after the free counters, which no lock-free
 * reader can tell apart from the kernel's order.)
 */
static void __remove_hugetlb_page(struct page *page, bool adjust_surplus, bool demote)
{
	if (test_bit(PG_hugetlb_freed, &page->flags)) {
		clear_bit(PG_hugetlb_freed, &page->flags);
		free_huge_pages--;
	}
	nr_huge_pages--;
	if (adjust_surplus)
		surplus_huge_pages--;
#if HVO_CLEAR_DTOR_AFTER_RESTORE
	if (!test_bit(PG_vmemmap_optimized, &page->flags))
		WRITE_ONCE(page->compound_dtor, COMPOUND_PAGE_DTOR);
	else
		TRACE(hugetlb_remove_kept_dtor);	/* still PageHuge() until restored */
#else
	WRITE_ONCE(page->compound_dtor, COMPOUND_PAGE_DTOR);
#endif
	if (!demote) {
		set_page_refcounted(page);
		ghost_refcounted(page);
	}
	ghost_move_block(page, WHERE_OWNED);
}

/* remove_hugetlb_page() (6.1): __remove_hugetlb_page(), not demoting */
static void remove_hugetlb_page(struct page *page, bool adjust_surplus)
{
	__remove_hugetlb_page(page, adjust_surplus, false);
}

/* remove_hugetlb_page_for_demote() (6.1): the count stays 0 */
static void remove_hugetlb_page_for_demote(struct page *page)
{
	__remove_hugetlb_page(page, false, true);
}

/*
 * add_hugetlb_page() (6.1): put a removed page back into the pool;
 * hugetlb_lock held. It should have no users: drop our reference and, if
 * somebody else got one meanwhile, leave the page to their final put (the
 * hugetlb destructor).
 */
static void add_hugetlb_page(struct page *page, bool adjust_surplus)
{
	nr_huge_pages++;
	if (adjust_surplus)
		surplus_huge_pages++;
	WRITE_ONCE(page->compound_dtor, HUGETLB_PAGE_DTOR);
	if (!put_page_testzero(page)) {
		TRACE(hugetlb_add_left_to_holder);
		return;
	}
	enqueue_huge_page(page);
}

/*
 * update_and_free_page() (6.1 __update_and_free_page(); 32c877191e02's
 * __update_and_free_hugetlb_folio() for HVO_CLEAR_DTOR_AFTER_RESTORE): give a
 * removed page back to the buddy allocator: restore its vmemmap (if that
 * fails, the page goes back to the pool as a surplus page); after
 * 32c877191e02, clear the hugetlb destructor under the lock only now; move a
 * head's hwpoison mark to the raw error pages (mm/hwpoison.h); drop the
 * reference: __free_pages() frees the block. (6.1 defers the work of a
 * destructor-side free of an optimised page to a workqueue; here the caller
 * does it.)
 */
static int update_and_free_page(struct page *page)
{
	int order;
	bool poisoned;

	if (hugetlb_vmemmap_restore(page)) {
		TRACE(hugetlb_vmemmap_restore_failed);
		spin_lock(&hugetlb_lock);
		add_hugetlb_page(page, true);
		spin_unlock(&hugetlb_lock);
		GHOST { ghost_restore_failed = true; }
		return -12;
	}
#if HVO_CLEAR_DTOR_AFTER_RESTORE
	if (READ_ONCE(page->compound_dtor) == HUGETLB_PAGE_DTOR) {
		spin_lock(&hugetlb_lock);
		WRITE_ONCE(page->compound_dtor, COMPOUND_PAGE_DTOR);
		spin_unlock(&hugetlb_lock);
	}
#endif
	/*
	 * The order and the head's hwpoison mark in one step: nobody but the
	 * owner writes compound_order, so reading both at once hides nothing.
	 */
	ATOMIC {
		order = page->compound_order;
		poisoned = PageHWPoison(page);
	}
	if (poisoned) {
		TRACE(hugetlb_free_poisoned);
		hugetlb_clear_page_hwpoison(page);
	}
	TRACE(hugetlb_update_and_free);
	__free_pages(page, order);
	return 0;
}

/*
 * free_huge_page() (6.1): the hugetlb destructor, also called directly on
 * fresh frozen pages. The count must be 0. Under hugetlb_lock: clear
 * Migratable; a Temporary page is removed and freed to buddy; so is any page
 * while the pool has surplus pages (the surplus counter drops); otherwise the
 * page goes on the free list. (Clearing Migratable and reading the Temporary
 * mark and the surplus counter, all protected by hugetlb_lock, are one step.)
 */
void free_huge_page(struct page *page)
{
	bool temporary;
	bool surplus;

	VM_BUG_ON_PAGE(page_count(page), page);
	spin_lock(&hugetlb_lock);
	ATOMIC {
		clear_bit(PG_hugetlb_migratable, &page->flags);
		temporary = test_bit(PG_hugetlb_temporary, &page->flags);
		surplus = surplus_huge_pages > 0;
	}
	if (temporary) {
		TRACE(hugetlb_free_temporary);
		remove_hugetlb_page(page, false);
		spin_unlock(&hugetlb_lock);
		update_and_free_page(page);
	} else if (surplus) {
		TRACE(hugetlb_free_surplus);
		remove_hugetlb_page(page, true);
		spin_unlock(&hugetlb_lock);
		update_and_free_page(page);
	} else {
		enqueue_huge_page(page);
		spin_unlock(&hugetlb_lock);
	}
}

/*
 * dequeue_huge_page() (6.1 dequeue_huge_page_node_exact()): alloc_huge_page()'s
 * take from the free list: under the lock, the first freed hugetlb head that
 * is not PageHWPoison and is of order HUGETLB_ORDER (demoted chunks are on
 * the smaller hstate's lists) loses its freed mark and gets count 1.
 */
struct page *dequeue_huge_page(void)
{
	struct page *page = NULL;
	unsigned long flags;
	int pfn;

	spin_lock(&hugetlb_lock);
	for (pfn = 0; pfn < NR_PAGES; pfn += 1 << HUGETLB_ORDER) {
		if (!PageHeadHuge(&pages[pfn]))
			continue;
		flags = READ_ONCE(pages[pfn].flags);
		if (!(flags & (1 << PG_hugetlb_freed)))
			continue;
		if (flags & (1 << PG_hwpoison)) {
			TRACE(hugetlb_dequeue_skipped_hwpoison);
			continue;
		}
		if (READ_ONCE(pages[pfn].compound_order) != HUGETLB_ORDER)
			continue;	/* a demoted chunk: the smaller hstate's free list */
		page = &pages[pfn];
		break;
	}
	if (page) {
		clear_bit(PG_hugetlb_freed, &page->flags);
		free_huge_pages--;
		set_page_refcounted(page);
		ghost_refcounted(page);
		ghost_move_block(page, WHERE_OWNED);
	}
	spin_unlock(&hugetlb_lock);
	return page;
}

/*
 * __alloc_fresh_huge_page() (6.1 alloc_fresh_huge_page()): a fresh, prepped
 * hugetlb page, frozen since the freeze patch (count 1 before it), not yet in
 * the pool; or NULL.
 */
struct page *__alloc_fresh_huge_page(void)
{
	struct page *page = alloc_buddy_huge_page(HUGETLB_ORDER);

	if (!page)
		return NULL;
	prep_new_huge_page(page);
	return page;
}

/*
 * alloc_fresh_huge_page() (6.1 alloc_pool_huge_page()): add one fresh page to
 * the pool. With the freeze (6.1) the frozen page is handed to
 * free_huge_page() directly; before it (6.0) the page, still at count 1,
 * joins the pool through put_page(), or, if a speculative reference is held,
 * when that holder drops it.
 */
void alloc_fresh_huge_page(void)
{
	struct page *page = __alloc_fresh_huge_page();

	if (!page)
		return;
#if FREEZE_PATCH == 0
	put_page(page);
#else
	free_huge_page(page);
#endif
}

/*
 * alloc_surplus_huge_page() (6.1; 5.10-6.0 for GATHER_SURPLUS 0 and 1): a
 * fresh page counted as surplus, unless the pool is at its overcommit limit.
 * The limit is checked again under the lock after the allocation; if it was
 * reached meanwhile, the page is marked Temporary and freed (it goes back to
 * buddy): with free_huge_page() since the freeze patch, put_page() before.
 * Returns the page (frozen since the freeze patch, count 1 before) or NULL.
 */
struct page *alloc_surplus_huge_page(void)
{
	struct page *page = NULL;

	spin_lock(&hugetlb_lock);
	if (surplus_huge_pages >= nr_overcommit_huge_pages) {
		TRACE(hugetlb_surplus_at_limit);
		goto out_unlock;
	}
	spin_unlock(&hugetlb_lock);

	page = __alloc_fresh_huge_page();
	if (!page)
		return NULL;

	spin_lock(&hugetlb_lock);
	if (surplus_huge_pages >= nr_overcommit_huge_pages) {
		TRACE(hugetlb_surplus_limit_raced);
		set_bit(PG_hugetlb_temporary, &page->flags);
		spin_unlock(&hugetlb_lock);
#if GATHER_SURPLUS == 2
		free_huge_page(page);
#else
		put_page(page);
#endif
		return NULL;
	}
	surplus_huge_pages++;
out_unlock:
	spin_unlock(&hugetlb_lock);
	return page;
}

/*
 * gather_surplus_pages() (6.1; GATHER_SURPLUS 0: 5.10-5.14, 1: 5.15-6.0, see
 * the file header): make sure @delta pages are free, allocating surplus pages
 * without the lock and enqueueing the needed ones under it; the extras are
 * freed (to buddy: they are surplus). Reservations are not modelled: @delta
 * is compared with free_huge_pages. Returns 0 or -ENOMEM. (The kernel's
 * caller holds hugetlb_lock on entry and exit; here gather takes it itself.)
 */
int gather_surplus_pages(int delta)
{
	int surplus_list[NR_PAGES];	/* pfns of the pages allocated; -1: off the list */
	int nr = 0;
	int needed, allocated = 0, i, ret = -12;
	bool alloc_ok = true;
	struct page *page;
#if GATHER_SURPLUS == 0
	bool zeroed;
#endif
#if GATHER_SURPLUS == 1
	bool retried = false;
#endif

	spin_lock(&hugetlb_lock);
	needed = delta - free_huge_pages;
	if (needed <= 0) {
		spin_unlock(&hugetlb_lock);
		return 0;
	}
retry:
	spin_unlock(&hugetlb_lock);
	for (i = 0; i < needed; i++) {
		page = alloc_surplus_huge_page();
		if (!page) {
			alloc_ok = false;
			break;
		}
		surplus_list[nr++] = page_to_pfn(page);
	}
	allocated += i;
	spin_lock(&hugetlb_lock);
	needed = delta - (free_huge_pages + allocated);
	if (needed > 0) {
		if (alloc_ok)
			goto retry;
		TRACE(hugetlb_gather_surplus_failed);
		goto free;
	}
	needed += allocated;	/* the pages to enqueue */
	for (i = 0; i < nr && needed > 0; i++) {
		if (surplus_list[i] < 0)
			continue;
		page = &pages[surplus_list[i]];
		surplus_list[i] = -1;
		allocated--;
#if GATHER_SURPLUS == 0
		/* the pool now manages the page: drop the buddy allocator's reference */
		zeroed = put_page_testzero(page);
		VM_BUG_ON_PAGE(!zeroed, page);
		enqueue_huge_page(page);
		needed--;
#elif GATHER_SURPLUS == 1
		set_bit(PG_hugetlb_temporary, &page->flags);
		if (!put_page_testzero(page)) {
			/* a speculative holder: its last put frees the Temporary page to buddy */
			TRACE(hugetlb_surplus_gave_up);
			surplus_huge_pages--;
			continue;
		}
		clear_bit(PG_hugetlb_temporary, &page->flags);
		enqueue_huge_page(page);
		needed--;
#else
		enqueue_huge_page(page);	/* frozen: count 0 */
		needed--;
#endif
	}
#if GATHER_SURPLUS == 1
	if (needed > 0) {	/* pages were given up: retry the allocation once */
		if (!retried) {
			retried = true;
			alloc_ok = true;
			needed = delta - (free_huge_pages + allocated);
			TRACE(hugetlb_surplus_retry);
			if (needed > 0)
				goto retry;
		} else {
			TRACE(hugetlb_surplus_retry_gave_up);
			goto free;
		}
	}
#endif
	ret = 0;
free:
	spin_unlock(&hugetlb_lock);
	for (i = 0; i < nr; i++) {
		if (surplus_list[i] < 0)
			continue;
		TRACE(hugetlb_surplus_extra_freed);
#if GATHER_SURPLUS == 2
		free_huge_page(&pages[surplus_list[i]]);
#else
		put_page(&pages[surplus_list[i]]);
#endif
	}
	return ret;
}

/*
 * dissolve_free_huge_page() (6.1): turn a free hugetlb page back into buddy
 * pages (memory offlining, memory errors). Under hugetlb_lock, a hugetlb page
 * with count 0 is free; since the 2021 fix it must also be marked freed: a
 * page at count 0 not yet marked is still on its way into the free list (its
 * destructor is running), so dissolve drops the lock and tries again.
 */
int dissolve_free_huge_page(struct page *page)
{
	int rc = -16;	/* -EBUSY */
	struct page *head;

retry:
	if (!PageHuge(page))
		return 0;
	spin_lock(&hugetlb_lock);
	if (!PageHuge(page)) {
		rc = 0;
		goto out;
	}
	if (!page_count(page)) {
		head = compound_head(page);
#if DISSOLVE_FREED_CHECK
		if (!test_bit(PG_hugetlb_freed, &head->flags)) {
			TRACE(hugetlb_dissolve_not_freed_yet);
			spin_unlock(&hugetlb_lock);
			cond_resched();
			goto retry;
		}
#endif
		remove_hugetlb_page(head, false);
		spin_unlock(&hugetlb_lock);
		/*
		 * 6.1 restores the vmemmap here: a page that cannot be freed goes
		 * back to the pool as a pool page, not a surplus one (the kernel
		 * also raises max_huge_pages, not modelled)
		 */
		rc = hugetlb_vmemmap_restore(head);
		if (rc) {
			TRACE(hugetlb_vmemmap_restore_failed);
			spin_lock(&hugetlb_lock);
			add_hugetlb_page(head, false);
			spin_unlock(&hugetlb_lock);
			GHOST { ghost_restore_failed = true; }
			return rc;
		}
		rc = update_and_free_page(head);
		if (!rc)
			TRACE(hugetlb_dissolved);
		return rc;
	}
	TRACE(hugetlb_dissolve_busy);
out:
	spin_unlock(&hugetlb_lock);
	return rc;
}

/*
 * demote_free_huge_page() (6.1 demote_free_huge_page() with
 * demote_pool_huge_page()'s choice; KERNEL.md §8): split the first free,
 * non-HWPoison page of order HUGETLB_ORDER into order-(HUGETLB_ORDER - 1)
 * hugetlb pages. Under the lock, remove it (count stays 0), unlock, restore
 * its vmemmap (on failure: lock, count 1, back into the pool), destroy the
 * big compound page, and for each smaller chunk prep the compound page,
 * prep_new_huge_page() and free_huge_page() (count 0 throughout). The smaller
 * pages join the same counters (one hstate in this model; a page's order tells
 * them apart; dequeue_huge_page() looks only at blocks of HUGETLB_ORDER).
 * With HUGETLB_ORDER 1 the chunks are order-0 "huge" pages, each its own
 * head. Returns 0, -ENOMEM, or -EBUSY when there was nothing to demote.
 */
int demote_free_huge_page(void)
{
	struct page *page = NULL;
	unsigned long flags;
	int pfn, i, order;

	spin_lock(&hugetlb_lock);
	for (pfn = 0; pfn < NR_PAGES; pfn += 1 << HUGETLB_ORDER) {
		if (!PageHeadHuge(&pages[pfn]))
			continue;
		flags = READ_ONCE(pages[pfn].flags);
		if (!(flags & (1 << PG_hugetlb_freed)) || (flags & (1 << PG_hwpoison)))
			continue;
		page = &pages[pfn];
		break;
	}
	if (!page) {
		spin_unlock(&hugetlb_lock);
		return -16;
	}
	remove_hugetlb_page_for_demote(page);
	spin_unlock(&hugetlb_lock);

	if (hugetlb_vmemmap_restore(page)) {
		TRACE(hugetlb_demote_restore_failed);
		spin_lock(&hugetlb_lock);
		set_page_refcounted(page);
		ghost_refcounted(page);
		add_hugetlb_page(page, false);
		spin_unlock(&hugetlb_lock);
		return -12;
	}
	/* destroy_compound_hugetlb_page_for_demote(): back to independent pages, count 0 */
	order = page->compound_order - 1;
	ATOMIC {
		for (i = 1; i < (1 << page->compound_order); i++)
			page[i].first_page = NULL;
		page->compound_order = 0;
		page->compound_dtor = NULL_COMPOUND_DTOR;
		page->flags = 0;
	}
	for (i = 0; i < (1 << (order + 1)); i += 1 << order) {
		/* prep_compound_page() of a chunk; frozen chunks: the ghost marks them so */
		ATOMIC {
			if (order > 0) {
				prep_compound_page(&page[i], order);
			} else {	/* an order-0 "huge" page: a head of one page */
				page[i].flags = 1 << PG_head;
				page[i].compound_order = 0;
				page[i].compound_dtor = COMPOUND_PAGE_DTOR;
			}
			page[i].ghost_where = WHERE_OWNED;
		}
		prep_new_huge_page(&page[i]);
		free_huge_page(&page[i]);
	}
	TRACE(hugetlb_demoted);
	return 0;
}

/*
 * isolate_hugetlb() (6.1; isolate_huge_page() as fixed by 0eb2df2b5629):
 * migration's isolation of an in-use hugetlb page: every check under the
 * lock: a hugetlb head (PageHeadHuge), marked migratable, and a try-get.
 * Before 0eb2df2b5629 (ISOLATE_HUGETLB_LOCKED 0), isolate_huge_page()
 * asserted PageHead before taking the lock and page_huge_active() asserted
 * PageHuge, both on a page its caller had found PageHuge without the lock
 * (the second assert was removed by the same series, ecbf4724e606).
 */
#if ISOLATE_HUGETLB_LOCKED
bool isolate_hugetlb(struct page *page)
{
	bool ret = true;

	spin_lock(&hugetlb_lock);
	if (!PageHeadHuge(page)) {
		TRACE(hugetlb_isolate_not_hugetlb);	/* freed or dissolved since the caller looked */
		ret = false;
		goto unlock;
	}
	if (!test_bit(PG_hugetlb_migratable, &page->flags) || !get_page_unless_zero(page)) {
		TRACE(hugetlb_isolate_refused);
		ret = false;
		goto unlock;
	}
	clear_bit(PG_hugetlb_migratable, &page->flags);	/* now on the caller's list */
unlock:
	spin_unlock(&hugetlb_lock);
	return ret;
}
#else
/* page_huge_active() before ecbf4724e606 (2021): asserts PageHuge, then HPageMigratable */
static bool page_huge_active(struct page *page)
{
	VM_BUG_ON_PAGE(!PageHuge(page), page);
	return PageHead(page) && test_bit(PG_hugetlb_migratable, &page->flags);
}

/* isolate_huge_page() before 0eb2df2b5629 (5.10) */
bool isolate_huge_page(struct page *page)
{
	bool ret = true;

	VM_BUG_ON_PAGE(!PageHead(page), page);
	spin_lock(&hugetlb_lock);
	if (!page_huge_active(page) || !get_page_unless_zero(page)) {
		TRACE(hugetlb_isolate_refused);
		ret = false;
		goto unlock;
	}
	clear_bit(PG_hugetlb_migratable, &page->flags);	/* now on the caller's list */
unlock:
	spin_unlock(&hugetlb_lock);
	return ret;
}

/* isolate_hugetlb(): the 6.1 name */
bool isolate_hugetlb(struct page *page)
{
	return isolate_huge_page(page);
}
#endif

/* putback_active_hugepage() (6.1): give an isolated page back, dropping the isolation reference */
void putback_active_hugepage(struct page *page)
{
	spin_lock(&hugetlb_lock);
	set_bit(PG_hugetlb_migratable, &page->flags);
	spin_unlock(&hugetlb_lock);
	put_page(page);
}

/*
 * hugetlb_init_pool(): scenario init: the first block is a free hugetlb page,
 * vmemmap-optimised if VMEMMAP_OPTIMIZE (no locks: init is atomic).
 */
void hugetlb_init_pool(void)
{
	int i;

	mm_init();
	pages[0].flags = (1 << PG_head) | (1 << PG_hugetlb_freed);
	if (VMEMMAP_OPTIMIZE)
		pages[0].flags |= 1 << PG_vmemmap_optimized;
	pages[0].compound_order = HUGETLB_ORDER;
	pages[0].compound_dtor = HUGETLB_PAGE_DTOR;
	for (i = 0; i < (1 << HUGETLB_ORDER); i++) {
		if (i) {
			pages[i].flags = 0;
			pages[i].first_page = &pages[0];
			pages[i].vmemmap_ro = VMEMMAP_OPTIMIZE != 0;
		}
		pages[i].ghost_where = WHERE_HUGETLB_FREE;
	}
	nr_huge_pages = 1;
	free_huge_pages = 1;
}

/*
 * hugetlb_init_in_use(@surplus): scenario init: the first block is a hugetlb
 * page in use (count 1, migratable: mapped by a task the scenario stands
 * for; a thread's put_page(&pages[0]) is that task's last unmap), counted as
 * a surplus page if @surplus (then freeing it returns it to buddy).
 */
void hugetlb_init_in_use(bool surplus)
{
	int i;

	hugetlb_init_pool();
	pages[0].flags = (pages[0].flags & ~(1 << PG_hugetlb_freed)) | (1 << PG_hugetlb_migratable);
	pages[0]._refcount = 1;
	pages[0].ghost_refs = 1;
	for (i = 0; i < (1 << HUGETLB_ORDER); i++)
		pages[i].ghost_where = WHERE_OWNED;
	free_huge_pages = 0;
	surplus_huge_pages = surplus;
}

#endif /* MM_HUGETLB_C */
