/*
 * hugemc.h - the prelude every model, property and scenario is compiled with.
 *
 * Types and macros of the C subset. The builtins themselves (atomic_*,
 * set_bit, spin_lock, READ_ONCE, nondet_*, assert, BUG_ON, WARN_ON,
 * pr_* ...) are known to the front end and need no declaration here.
 * See docs/language.md.
 */
#ifndef __HUGEMC_H
#define __HUGEMC_H

typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

/* An atomic counter is an int slot; atomic_*() take its address. */
typedef int atomic_t;
typedef long atomic_long_t;
/* A spinlock holds 0 when free, else 1 + the holder's thread number. */
typedef int spinlock_t;

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long s64;
typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned int gfp_t;

/*
 * Domains. Every integer slot has a finite domain; a store outside it is an
 * error. Annotate a declaration after its declarator:
 *     atomic_t _refcount __range(-1, 3);
 *     typedef int order_t __range(0, 9);
 * (__range is read by the front end; it is not a macro.)
 */

/*
 * Atomic blocks: the body runs as one indivisible step.
 *     ATOMIC { ...find and take a free block... }
 */
#define ATOMIC if (__hugemc_atomic__)

/*
 * Ghost code: bookkeeping for properties. It runs inside the step it is in
 * (never a step of its own), may read anything, and may write only ghost
 * state (names starting with ghost_).
 *     GHOST { ghost_dtor_by_reader |= last && head->compound_dtor == HUGETLB_PAGE_DTOR; }
 */
#define GHOST if (__hugemc_ghost__)

/*
 * Properties: side-effect-free predicates over the state.
 *     INVARIANT(name) { ... return cond; }   holds in every reachable state
 *     REACHABLE(name) { ... }                true in some reachable state
 *     FINAL(name)     { ... }                holds when every thread has returned
 * The comment right above a property is its description.
 */
#define INVARIANT(name) bool __hugemc_invariant__##name(void)
#define REACHABLE(name) bool __hugemc_reachable__##name(void)
#define FINAL(name) bool __hugemc_final__##name(void)

/*
 * Observing what happened (see docs/language.md, "Observing a run"):
 *     TRACE(hugetlb_freeze_failed);      in model code: a tracepoint (no step of its own)
 *     TRACED(hugetlb_freeze_failed)      in a property: true once some thread passed it
 *     LOCAL(alloc, page)                 in a property: thread alloc's local 'page'
 *     LOCAL(alloc, alloc_buddy_huge_page.page)   the same, naming the function
 */
#define TRACE(name) __hugemc_trace(name)
#define TRACED(name) __hugemc_traced(name)
#define LOCAL(thread, var) __hugemc_local(thread, var)

/*
 * CONFIG_DEBUG_VM (a scenario define, default 1): with 0, VM_BUG_ON*() and
 * VM_WARN_ON*() compile to nothing, as in a production kernel. BUG_ON() stays.
 */
#ifndef CONFIG_DEBUG_VM
#define CONFIG_DEBUG_VM 1
#endif

#define likely(x) (x)
#define unlikely(x) (x)
#define __always_inline inline
#define noinline
#define __init
#define __must_check

#endif /* __HUGEMC_H */
