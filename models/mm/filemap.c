/*
 * filemap.c - a page-cache slot, its owner, and the lockless lookup
 * (KERNEL.md §5; mm/filemap.c, mapping_get_entry()/filemap_get_entry() as of 6.1).
 *
 * The slot stands for one xarray entry of an address_space. The lookup loads
 * it without a reference, try-gets the page, and reloads the slot: if the
 * page is no longer there it drops the (stale) reference with a normal put,
 * which may be the last one.
 */
#ifndef MM_FILEMAP_C
#define MM_FILEMAP_C

#include "mm/speculative.c"

struct page *cache_slot;	/* one page-cache entry */

/*
 * pagecache_owner(): a user of __free_pages() on a high-order, non-compound
 * block (the kind of caller e320d3012d25 was about): allocate an order-1
 * block without __GFP_COMP, publish its first page in the cache, remove it
 * again, and free the block.
 */
void pagecache_owner(void)
{
	struct page *page = __alloc_pages(1, false);

	if (!page)
		return;
	WRITE_ONCE(cache_slot, page);
	WRITE_ONCE(cache_slot, NULL);
	__free_pages(page, 1);
}

/* pagecache_lookup(): the lockless page-cache lookup with its reload */
void pagecache_lookup(void)
{
	struct page *page;

repeat:
	page = READ_ONCE(cache_slot);
	if (!page)
		return;
	if (!get_page_unless_zero(page)) {
		TRACE(pagecache_lookup_tryget_failed);	/* count 0: being freed; look again */
		goto repeat;
	}
	page->ghost_spec++;
	if (page != READ_ONCE(cache_slot)) {
		/* the page was removed meanwhile: drop the stale reference */
		TRACE(pagecache_lookup_slot_changed);
		put_page_speculative(page);
		goto repeat;
	}
	/* found: the caller would use it; here it is dropped again */
	put_page_speculative(page);
}

#endif /* MM_FILEMAP_C */
