/*
 * hugetlb_vmemmap.c - HugeTLB Vmemmap Optimisation, HVO (KERNEL.md §4;
 * mm/hugetlb_vmemmap.c as of 6.1 and 6.2).
 *
 * Optimising a hugetlb page remaps the struct pages of its tails to one
 * shared, read-only frame. From 6.2 the head's own vmemmap page is replaced
 * too: a copy is made, then the copy is mapped in its place, so a store to the
 * head's struct page between the copy and the remap is lost. Selected by
 * VMEMMAP_OPTIMIZE: 0 off, 1 as 6.1 (tails only), 2 as 6.2 (default 0).
 * Restoring needs fresh pages for the vmemmap and can fail
 * (VMEMMAP_RESTORE_CAN_FAIL, default 1).
 *
 * With HVO_MARK_BEFORE_OPTIMIZE (mm/hugetlb.c; d8f5f7e445f0, 2023) the
 * optimisation warns when handed a page that is not (yet) hugetlb, as the
 * fix added: VM_WARN_ON_ONCE(!PageHuge(head)).
 */
#ifndef MM_HUGETLB_VMEMMAP_C
#define MM_HUGETLB_VMEMMAP_C

#include "mm/page_ref.h"

#ifndef VMEMMAP_OPTIMIZE
#define VMEMMAP_OPTIMIZE 0
#endif
#if VMEMMAP_OPTIMIZE < 0 || VMEMMAP_OPTIMIZE > 2
#error VMEMMAP_OPTIMIZE must be 0 to 2
#endif
#ifndef VMEMMAP_RESTORE_CAN_FAIL
#define VMEMMAP_RESTORE_CAN_FAIL 1
#endif
#if VMEMMAP_RESTORE_CAN_FAIL < 0 || VMEMMAP_RESTORE_CAN_FAIL > 1
#error VMEMMAP_RESTORE_CAN_FAIL must be 0 or 1
#endif

bool PageHuge(struct page *page);	/* mm/hugetlb.c */

/*
 * hugetlb_vmemmap_optimize() (6.1 mm/hugetlb_vmemmap.c; 6.2 for the head's
 * page; d8f5f7e445f0 for the warning): remap the tails read-only (and, from
 * 6.2, replace the head's page)
 */
void hugetlb_vmemmap_optimize(struct page *head)
{
	int i;
	int copy;

#if HVO_MARK_BEFORE_OPTIMIZE
	VM_WARN_ON_ONCE(!PageHuge(head));
#endif
	ATOMIC {
		for (i = 1; i < (1 << head->compound_order); i++)
			head[i].vmemmap_ro = true;
		set_bit(PG_vmemmap_optimized, &head->flags);
	}
#if VMEMMAP_OPTIMIZE >= 2
	/* copy the head's vmemmap page (the part that matters: its refcount) ... */
	copy = atomic_read(&head->_refcount);
	/* ... and map the copy in its place: what was stored meanwhile is gone */
	atomic_set(&head->_refcount, copy);
#endif
}

/* hugetlb_vmemmap_restore(): fresh, writable struct pages for the tails again (may fail: -ENOMEM) */
int hugetlb_vmemmap_restore(struct page *head)
{
	int i;

	if (!test_bit(PG_vmemmap_optimized, &head->flags))
		return 0;
#if VMEMMAP_RESTORE_CAN_FAIL
	if (nondet_bool())
		return -12;	/* no memory for the vmemmap pages */
#endif
	ATOMIC {
		for (i = 1; i < (1 << head->compound_order); i++)
			head[i].vmemmap_ro = false;
		clear_bit(PG_vmemmap_optimized, &head->flags);
	}
	return 0;
}

#endif /* MM_HUGETLB_VMEMMAP_C */
