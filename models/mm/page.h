/*
 * page.h - struct page as the models see it (KERNEL.md §1, 6.0-6.1 era).
 *
 * The reference count, the flags the protocols test, the compound-page links,
 * and ghost state for the properties. Fields named ghost_* are bookkeeping:
 * hugemc never makes a step for them, so they ride along in the step of the
 * operation they shadow and add no interleavings. Real code never branches
 * on them.
 *
 * Scenario defines: NR_PAGES (pages in the machine), REF_MAX (largest count
 * the domains allow).
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#ifndef NR_PAGES
#define NR_PAGES 4
#endif
#if NR_PAGES < 1
#error NR_PAGES must be at least 1
#endif
#ifndef REF_MAX
#define REF_MAX 4
#endif
#if REF_MAX < 1
#error REF_MAX must be at least 1
#endif

/* page flag bits */
enum pageflags {
	PG_buddy,		/* free in the buddy allocator (really a page type) */
	PG_head,		/* first page of a compound page */
	PG_hugetlb,		/* hugetlb destructor set: PageHuge() */
	PG_hugetlb_freed,	/* HPageFreed: on a hugetlb free list */
	PG_hugetlb_migratable,	/* HPageMigratable */
	PG_vmemmap_optimized,	/* HPageVmemmapOptimized */
	PG_hwpoison,		/* PageHWPoison: memory error on this (raw) page */
	PG_hugetlb_temporary,	/* HPageTemporary: goes back to buddy when freed */
	PG_hugetlb_raw_hwp_unreliable,	/* HPageRawHwpUnreliable: the raw error list could not be kept */
	__NR_PAGEFLAGS		/* the number of flags: the flags word's domain grows with it */
};

/* what runs when a compound head's count drops to zero */
enum compound_dtor_id {
	NULL_COMPOUND_DTOR,
	COMPOUND_PAGE_DTOR,
	HUGETLB_PAGE_DTOR,
};

/* ghost: where a page is */
enum page_where {
	WHERE_BUDDY,		/* free in the buddy allocator */
	WHERE_OWNED,		/* allocated: somebody owns it */
	WHERE_HUGETLB_FREE,	/* on a hugetlb free list */
};

struct page {
	atomic_t _refcount __range(-1, REF_MAX);
	unsigned long flags __range(0, (1 << __NR_PAGEFLAGS) - 1) __flags(pageflags);
	struct page *first_page;	/* compound_head of a tail; NULL otherwise */
	int compound_order __range(0, 4);
	enum compound_dtor_id compound_dtor;
	bool vmemmap_ro;		/* this struct page is mapped read-only (HVO tail) */
	/*
	 * raw_hwp (meaningful on a hugetlb head): the folio's list of raw error
	 * pages (6.1's raw_hwp_page llist, kept in a tail's private field), as a
	 * bitmask of offsets from the head: bit i is page head+i. Written by
	 * memory_failure() and emptied by the freeing path (mm/hwpoison.h).
	 */
	unsigned raw_hwp __range(0, (1 << NR_PAGES) - 1);
	/* ghost state */
	int ghost_refs __range(-REF_MAX, REF_MAX);	/* references taken and not dropped */
	int ghost_spec __range(0, REF_MAX);		/* of which speculative */
	bool ghost_frozen;				/* frozen by page_ref_freeze() */
	enum page_where ghost_where;
};

struct page pages[NR_PAGES];

/* ghost: something wrote to a read-only (optimised) struct page: it would fault */
bool ghost_ro_write;
/* ghost: a page in the buddy allocator was freed again */
bool ghost_double_free;
/* ghost: a page was touched after it went back to the buddy allocator */
bool ghost_use_after_free;

static inline struct page *pfn_to_page(int pfn)
{
	return &pages[pfn];
}

static inline int page_to_pfn(struct page *page)
{
	return page - pages;
}

static inline bool PageBuddy(struct page *page)
{
	return test_bit(PG_buddy, &page->flags);
}

static inline bool PageHead(struct page *page)
{
	return test_bit(PG_head, &page->flags);
}

static inline bool PageTail(struct page *page)
{
	return READ_ONCE(page->first_page) != NULL;
}

/* compound_head(): the head of a tail page, else the page itself */
static inline struct page *compound_head(struct page *page)
{
	struct page *head = READ_ONCE(page->first_page);

	if (head)
		return head;
	return page;
}

#endif /* MM_PAGE_H */
