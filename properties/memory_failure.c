/*
 * memory_failure.c - properties of memory_failure()'s hugetlb handling.
 */
#include "mm/memory_failure.c"

/* memory_failure() found the hugetlb page free and handled it without a reference. */
REACHABLE(mf_found_free_hugetlb)
{
	return ghost_mf_found_free_hugetlb;
}

/* memory_failure() took a reference on an in-use, migratable hugetlb page. */
REACHABLE(mf_got_hugetlb)
{
	return ghost_mf_got_hugetlb;
}
