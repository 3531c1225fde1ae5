/*
 * Scenario helpers for threads that each work on a page of their own.
 * (The freezer is examples/races/freezer.c.)
 */
#include "freezer.c"

/*
 * mm_init_pages_in_use(): mm_init(), then every page is an allocated order-0
 * page with count 1, the reference of some task that uses it, which a
 * scenario thread later freezes and drops.
 */
void mm_init_pages_in_use(void)
{
	int i;

	mm_init();
	for (i = 0; i < NR_PAGES; i++) {
		pages[i].flags = 0;
		pages[i]._refcount = 1;
		pages[i].ghost_refs = 1;
		pages[i].ghost_where = WHERE_OWNED;
	}
}
