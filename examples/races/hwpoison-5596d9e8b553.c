/*
 * __update_and_free_hugetlb_folio() before 5596d9e8b553 (6.6-6.8, after
 * 32c877191e02): the hwpoison marks are moved before the hugetlb destructor is
 * cleared under the lock. The library's update_and_free_page() has the fix.
 */
#include "mm/memory_failure.c"

static int update_and_free_page(struct page *page)
{
	hugetlb_vmemmap_restore(page);	/* cannot fail: VMEMMAP_RESTORE_CAN_FAIL = 0 */
	if (PageHWPoison(page))
		folio_clear_hugetlb_hwpoison(page);	/* too early: the page is still PageHuge() */
	spin_lock(&hugetlb_lock);
	WRITE_ONCE(page->compound_dtor, COMPOUND_PAGE_DTOR);	/* __clear_hugetlb_destructor() */
	spin_unlock(&hugetlb_lock);
	__free_pages(page, page->compound_order);
	return 0;
}
