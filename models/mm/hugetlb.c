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
 */
#ifndef MM_HUGETLB_C
#define MM_HUGETLB_C

#include "mm/buddy.c"
#include "mm/hugetlb_vmemmap.c"

#ifndef FREEZE_PATCH
#define FREEZE_PATCH 3
#endif
#ifndef HUGETLB_ORDER
#define HUGETLB_ORDER 1
#endif
#ifndef HUGETLB_MUTANT
#define HUGETLB_MUTANT 0
#endif
#ifndef DISSOLVE_FREED_CHECK
#define DISSOLVE_FREED_CHECK 1
#endif

spinlock_t hugetlb_lock __range(0, 16);
int nr_huge_pages __range(0, NR_PAGES);
int free_huge_pages __range(0, NR_PAGES);

/* ghost: how the allocation went */
int ghost_freeze_failures __range(0, 8);	/* freezes of a fresh head that failed */
bool ghost_alloc_gave_up;			/* both attempts lost the race */
bool ghost_pool_entered;			/* some page was put on a hugetlb free list */
bool ghost_restore_failed;			/* a vmemmap restore failed: the page went back to the pool */

/* PageHuge(): a compound head with the hugetlb destructor */
static inline bool PageHuge(struct page *page)
{
	return PageHead(page) && READ_ONCE(page->compound_dtor) == HUGETLB_PAGE_DTOR;
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
		pr_warn("HugeTLB head page unexpected inflated ref count\n");
		return NULL;
	}
	return page;
}

/*
 * prep_new_huge_page(): vmemmap optimisation, then the hugetlb destructor
 * (PageHuge() from now on), then count the page, in 6.1's order. (From 2023
 * the hugetlb mark is set before optimising, KERNEL.md §4, because code that
 * sees an ordinary compound page may write to its tails; no thread of the
 * shipped scenarios writes to the tails of a compound page, so that window is
 * not exercised here.)
 */
void prep_new_huge_page(struct page *page)
{
#if VMEMMAP_OPTIMIZE
	hugetlb_vmemmap_optimize(page);
#endif
	WRITE_ONCE(page->compound_dtor, HUGETLB_PAGE_DTOR);
	spin_lock(&hugetlb_lock);
	nr_huge_pages++;
	spin_unlock(&hugetlb_lock);
}

/* enqueue_huge_page(): onto the free list, marked freed; hugetlb_lock held */
static void enqueue_huge_page(struct page *page)
{
	VM_BUG_ON_PAGE(page_count(page), page);
	free_huge_pages++;
	set_bit(PG_hugetlb_freed, &page->flags);
	ghost_move_block(page, WHERE_HUGETLB_FREE);
	ghost_pool_entered = true;
	page->ghost_frozen = false;	/* the pool owns it now, at count 0 */
	page->ghost_refs = 0;
}

/*
 * free_huge_page(): the hugetlb destructor, also called directly on fresh
 * frozen pages. The count must be 0; the page goes on the free list.
 * (Surplus and temporary pages, which go back to buddy, are not modelled.)
 */
void free_huge_page(struct page *page)
{
	VM_BUG_ON_PAGE(page_count(page), page);
	spin_lock(&hugetlb_lock);
	clear_bit(PG_hugetlb_migratable, &page->flags);
	enqueue_huge_page(page);
	spin_unlock(&hugetlb_lock);
}

/*
 * dequeue_huge_page(): alloc_huge_page()'s take from the free list: under the
 * lock, the first freed hugetlb head loses its freed mark and gets count 1.
 */
struct page *dequeue_huge_page(void)
{
	struct page *page = NULL;
	int pfn;

	spin_lock(&hugetlb_lock);
	for (pfn = 0; pfn < NR_PAGES; pfn += 1 << HUGETLB_ORDER) {
		if (PageHuge(&pages[pfn]) && test_bit(PG_hugetlb_freed, &pages[pfn].flags)) {
			page = &pages[pfn];
			break;
		}
	}
	if (page) {
		clear_bit(PG_hugetlb_freed, &page->flags);
		free_huge_pages--;
		set_page_refcounted(page);
		grant_ref(page);
		ghost_move_block(page, WHERE_OWNED);
	}
	spin_unlock(&hugetlb_lock);
	return page;
}

/*
 * alloc_fresh_huge_page(): add one fresh page to the pool. With the freeze
 * (6.1) the frozen page is handed to free_huge_page() directly; before it
 * (6.0) the page, still at count 1, joins the pool through put_page(), or,
 * if a speculative reference is held, when that holder drops it.
 */
void alloc_fresh_huge_page(void)
{
	struct page *page = alloc_buddy_huge_page(HUGETLB_ORDER);

	if (!page)
		return;
	prep_new_huge_page(page);
#if FREEZE_PATCH == 0
	put_page(page);
#else
	free_huge_page(page);
#endif
}

/*
 * remove_hugetlb_page(): take a page out of the pool; hugetlb_lock held. A
 * page that was on the free list leaves it; the destructor goes back to the
 * ordinary compound one, so a late reference holder frees it to buddy; and
 * the frozen count becomes 1 again, the reference update_and_free_page()
 * drops (6.1, __remove_hugetlb_page()).
 */
static void remove_hugetlb_page(struct page *page)
{
	if (test_bit(PG_hugetlb_freed, &page->flags)) {
		clear_bit(PG_hugetlb_freed, &page->flags);
		free_huge_pages--;
	}
	nr_huge_pages--;
	WRITE_ONCE(page->compound_dtor, COMPOUND_PAGE_DTOR);
	set_page_refcounted(page);
	grant_ref(page);
	ghost_move_block(page, WHERE_OWNED);
}

/*
 * add_hugetlb_page(): put a removed page back into the pool; hugetlb_lock
 * held. It should have no users: drop our reference and, if somebody else
 * got one meanwhile, leave the page to their final put (the destructor).
 */
static void add_hugetlb_page(struct page *page)
{
	nr_huge_pages++;
	WRITE_ONCE(page->compound_dtor, HUGETLB_PAGE_DTOR);
	if (!put_page_testzero(page))
		return;
	enqueue_huge_page(page);
}

/*
 * update_and_free_page(): give a removed page back to the buddy allocator:
 * restore its vmemmap (if that fails, the page goes back to the pool), then
 * drop the reference: __free_pages() frees the block.
 */
static int update_and_free_page(struct page *page)
{
	if (hugetlb_vmemmap_restore(page)) {
		spin_lock(&hugetlb_lock);
		add_hugetlb_page(page);
		spin_unlock(&hugetlb_lock);
		GHOST { ghost_restore_failed = true; }
		return -12;
	}
	__free_pages(page, page->compound_order);
	return 0;
}

/*
 * dissolve_free_huge_page(): turn a free hugetlb page back into buddy pages
 * (memory offlining, memory errors). Under hugetlb_lock, a hugetlb page with
 * count 0 is free; since the 2021 fix it must also be marked freed: a page
 * at count 0 not yet marked is still on its way into the free list (its
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
			spin_unlock(&hugetlb_lock);
			cond_resched();
			goto retry;
		}
#endif
		remove_hugetlb_page(head);
		spin_unlock(&hugetlb_lock);
		return update_and_free_page(head);
	}
out:
	spin_unlock(&hugetlb_lock);
	return rc;
}

/*
 * isolate_hugetlb(): migration's isolation of an in-use hugetlb page: under
 * the lock, only a hugetlb head marked migratable, and only with a try-get.
 */
bool isolate_hugetlb(struct page *page)
{
	bool ret = true;

	spin_lock(&hugetlb_lock);
	if (!PageHuge(page) || !test_bit(PG_hugetlb_migratable, &page->flags) || !get_page_unless_zero(page)) {
		ret = false;
		goto unlock;
	}
	clear_bit(PG_hugetlb_migratable, &page->flags);	/* now on the caller's list */
unlock:
	spin_unlock(&hugetlb_lock);
	return ret;
}

/* putback_active_hugepage(): give an isolated page back, dropping the isolation reference */
void putback_active_hugepage(struct page *page)
{
	spin_lock(&hugetlb_lock);
	set_bit(PG_hugetlb_migratable, &page->flags);
	spin_unlock(&hugetlb_lock);
	put_page(page);
}

/* hugetlb_init_pool(): scenario init: the first block is a free hugetlb page (no locks: init is atomic) */
void hugetlb_init_pool(void)
{
	int i;

	mm_init();
	pages[0].flags = (1 << PG_head) | (1 << PG_hugetlb_freed);
	pages[0].compound_order = HUGETLB_ORDER;
	pages[0].compound_dtor = HUGETLB_PAGE_DTOR;
	for (i = 0; i < (1 << HUGETLB_ORDER); i++) {
		if (i)
			pages[i].flags = 0;
		if (i)
			pages[i].first_page = &pages[0];
		pages[i].ghost_where = WHERE_HUGETLB_FREE;
	}
	nr_huge_pages = 1;
	free_huge_pages = 1;
}

#endif /* MM_HUGETLB_C */
