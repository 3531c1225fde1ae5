/*
 * huge_memory.c - properties about THP splitting (KERNEL.md §8).
 */
#include "mm/huge_memory.c"

/* split_huge_page() split the THP. */
REACHABLE(split_done)
{
	return TRACED(split_huge_page_done);
}

/* split_huge_page() found an extra reference when freezing the head and gave up (-EBUSY). */
REACHABLE(split_busy)
{
	return TRACED(split_huge_page_busy);
}
