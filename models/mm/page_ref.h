/*
 * page_ref.h - reference count primitives (KERNEL.md §1; include/linux/page_ref.h
 * and mm.h as of 6.1).
 *
 * Three kinds of writers: unconditional RMWs by an owner (get_page, put_page),
 * conditional compare-and-swaps (get_page_unless_zero, page_ref_freeze) and
 * blind stores (set_page_count, set_page_refcounted, page_ref_unfreeze). The
 * ghost count ghost_refs follows every reference taken and dropped.
 *
 * Try-get forms (KERNEL.md §8 "Try-get forms"): get_page_unless_zero() is one
 * atomic read-modify-write; page_ref_add_unless() and folio_ref_try_add_rcu()
 * read the count first and then add with a compare-and-swap loop, two
 * separate steps. Scenario define PAGE_REF_ADD_UNLESS_BLIND (default 0): 1 is
 * a planted bug, the add after the read is a blind store of count + nr.
 */
#ifndef MM_PAGE_REF_H
#define MM_PAGE_REF_H

#include "mm/page.h"

/* page_ref_count(): this struct page's own counter */
static inline int page_ref_count(struct page *page)
{
	return atomic_read(&page->_refcount);
}

/* page_count(): the head's counter, also when given a tail */
static inline int page_count(struct page *page)
{
	return atomic_read(&compound_head(page)->_refcount);
}

/*
 * set_page_count(): blind store; wipes any concurrent increment. (The ghost
 * count is left alone: who holds references is not changed by a store, so
 * reference conservation catches a store that wipes somebody's increment.
 * Code that hands out a reference with a store says so with grant_ref().)
 */
static inline void set_page_count(struct page *page, int v)
{
	atomic_set(&page->_refcount, v);
	GHOST { ghost_ro_write |= page->vmemmap_ro; }
}

/* set_page_refcounted(): blind store of 1 */
static inline void set_page_refcounted(struct page *page)
{
	set_page_count(page, 1);
}

/* ghost: the caller now holds the page's only reference (allocation, dequeue) */
static inline void grant_ref(struct page *page)
{
	page->ghost_refs = 1;
}

/* get_page(): unconditional increment by someone who already holds a reference */
static inline void get_page(struct page *page)
{
	page = compound_head(page);
	atomic_inc(&page->_refcount);
	page->ghost_refs++;
	GHOST { ghost_ro_write |= page->vmemmap_ro; }
}

/* get_page_unless_zero(): try-get; fails (and writes nothing) on a count of 0 */
static inline bool get_page_unless_zero(struct page *page)
{
	bool got = atomic_inc_not_zero(&page->_refcount);

	if (got)
		page->ghost_refs++;
	GHOST { ghost_ro_write |= got && page->vmemmap_ro; }	/* a try-get that reads 0 writes nothing */
	return got;
}

#ifndef PAGE_REF_ADD_UNLESS_BLIND
#define PAGE_REF_ADD_UNLESS_BLIND 0
#endif
#if PAGE_REF_ADD_UNLESS_BLIND < 0 || PAGE_REF_ADD_UNLESS_BLIND > 1
#error PAGE_REF_ADD_UNLESS_BLIND must be 0 or 1
#endif

/*
 * page_ref_add_unless() (include/linux/page_ref.h, 6.1; atomic_add_unless()
 * as the generic fallback implements it): add @nr unless the count is @u, in
 * two kinds of steps: read the count; if it is @u fail without writing;
 * else compare-and-swap it from what was read to that + @nr; if the count
 * changed in between, start over from the value the CAS found. Between the
 * read and the CAS the page may be frozen, freed, or have its vmemmap
 * remapped. On x86 a locked cmpxchg writes its target even when the
 * comparison fails, so every CAS on a read-only struct page is a write to it
 * (ghost_ro_write). With PAGE_REF_ADD_UNLESS_BLIND the CAS is replaced by a
 * blind store of read + @nr (a planted bug: it wipes a concurrent freeze or
 * put).
 */
static inline bool page_ref_add_unless(struct page *page, int nr, int u)
{
	int c = atomic_read(&page->_refcount);
	int old;

	for (;;) {
		if (c == u) {
			TRACE(page_ref_add_unless_saw_zero);	/* the count is @u: fail, nothing written */
			return false;
		}
#if PAGE_REF_ADD_UNLESS_BLIND
		atomic_set(&page->_refcount, c + nr);	/* mutant: read, then blind store */
		page->ghost_refs += nr;
		GHOST { ghost_ro_write |= page->vmemmap_ro; }
		return true;
#else
		old = atomic_cmpxchg(&page->_refcount, c, c + nr);
		GHOST { ghost_ro_write |= page->vmemmap_ro; }	/* a locked cmpxchg always writes */
		if (old == c) {
			page->ghost_refs += nr;
			return true;
		}
		TRACE(page_ref_add_unless_cas_lost);	/* the count changed since the read: retry */
		c = old;
#endif
	}
}

/*
 * folio_ref_try_add_rcu() (include/linux/page_ref.h, 6.1, !CONFIG_TINY_RCU):
 * GUP-fast's try-get of @count references, the two-step page_ref_add_unless()
 * against 0. The caller is in an RCU read section (or has IRQs off).
 */
static inline bool folio_ref_try_add_rcu(struct page *page, int count)
{
	return page_ref_add_unless(page, count, 0);
}

/*
 * put_page_testzero(): drop a reference, true if it was the last one. Dropping
 * a reference on a count of 0 is a refcount underflow: a VM_BUG_ON in debug
 * kernels, an error here. (The check and the decrement are one step.)
 */
static inline bool put_page_testzero(struct page *page)
{
	bool zero;

	ATOMIC {
		VM_BUG_ON_PAGE(page_ref_count(page) == 0, page);
		zero = atomic_dec_and_test(&page->_refcount);
	}
	page->ghost_refs--;
	GHOST {
		ghost_ro_write |= page->vmemmap_ro;
		ghost_use_after_free |= page->ghost_where == WHERE_BUDDY;
	}
	return zero;
}

/* page_ref_freeze(): if the count is exactly @count, set it to 0 (frozen) */
static inline bool page_ref_freeze(struct page *page, int count)
{
	bool frozen = atomic_cmpxchg(&page->_refcount, count, 0) == count;

	if (frozen)
		page->ghost_frozen = true;
	GHOST { ghost_ro_write |= page->vmemmap_ro; }	/* a locked cmpxchg writes, failing or not */
	return frozen;
}

/* page_ref_unfreeze(): release-store @count into a frozen (zero) count */
static inline void page_ref_unfreeze(struct page *page, int count)
{
	VM_BUG_ON_PAGE(page_count(page) != 0, page);
	atomic_set(&page->_refcount, count);
	page->ghost_frozen = false;
}

#endif /* MM_PAGE_REF_H */
