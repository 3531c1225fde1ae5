/*
 * refcount_steps.pml - bench/refcount.c with hugemc's atomicity, so that
 * SPIN stores exactly the states hugemc stores (same N, M; same -DBUG).
 *
 * Each hugemc step (one shared access or one ATOMIC block, plus the local
 * code up to the next shared access) is one d_step; each label is a step
 * boundary of refcount.c. A step with several outcomes is an `if` of
 * d_steps whose guards read the state at the start of the step. Locals
 * hugemc resets at a boundary because they are dead there hold 0 (v
 * outside `cas`; got is never live at a boundary and does not exist here).
 * A step that ends in a runtime error has no successor in hugemc: here it
 * fails an assert and leaves the state unchanged, so it adds no state
 * (run pan with -c0 to go on past errors). Assumes N < REF_MAX: no other
 * error of refcount.c can occur then.
 *
 *   spin -DN=3 -DM=2 -a refcount_steps.pml
 *   gcc -O2 -DSAFETY -DBFS -DNOREDUCE -o pan pan.c && ./pan -m40000000 -w25
 */

#ifndef N
#define N 3
#endif
#ifndef M
#define M 2
#endif
#define REF_MAX 8	/* refcount.c: ref[] and held[] are __range(0, 8) */

byte ref[M] = 1;	/* mm_bench_init() has run in hugemc's initial state */
byte held[M];
bool frozen[M];

/* v = READ_ONCE(ref[i]); if 0: give up, next page; else go on to the cmpxchg */
inline load_step()
{
	if
	:: d_step { ref[i] == 0 -> i = (i + 1) % M }; goto load
	:: d_step { ref[i] != 0 -> v = ref[i] }; goto cas
	fi
}

active [N] proctype getter()	/* _pid 0..N-1 is refcount.c's id */
{
	byte i = _pid % M;	/* hugemc: undefined before the first step, which sets it */
	byte v;			/* live only at cas */

	load_step();		/* refcount.c's entry: a location of its own */
load:
	load_step();
cas:
#ifdef BUG
	if			/* blind store */
	:: d_step { v + 1 <= REF_MAX -> ref[i] = v + 1; held[i]++; v = 0 }
	:: d_step { v + 1 > REF_MAX -> assert(v + 1 <= REF_MAX) }; goto cas
	fi;
#else
	if			/* cmpxchg(v, v + 1); lost race: retry */
	:: d_step { ref[i] == v -> ref[i] = v + 1; held[i]++; v = 0 }
	:: d_step { ref[i] != v -> v = 0 }; goto load
	fi;
#endif
chk:
	if			/* assert(!READ_ONCE(frozen[i])) */
	:: d_step { !frozen[i] -> skip }
	:: d_step { frozen[i] -> assert(!frozen[i]) }; goto chk
	fi;
put:
	if			/* put_page, then got = false; v = 0; next page */
	:: d_step { ref[i] != 0 -> held[i]--; ref[i]--; i = (i + 1) % M }; goto load
	:: d_step { ref[i] == 0 -> assert(ref[i] != 0) }; goto put
	fi
}

/* freeze 1 -> 0; on failure next page */
inline freeze_step()
{
	if
	:: d_step { ref[j] == 1 -> ref[j] = 0; frozen[j] = true }; goto chk
	:: d_step { ref[j] != 1 -> j = (j + 1) % M }; goto frz
	fi
}

active proctype freezer()
{
	byte j = 0;		/* hugemc: undefined before the first step, which sets it */

	freeze_step();		/* refcount.c's entry: a location of its own */
frz:
	freeze_step();
chk:
	if			/* assert(READ_ONCE(held[j]) == 0) */
	:: d_step { held[j] == 0 -> skip }
	:: d_step { held[j] != 0 -> assert(held[j] == 0) }; goto chk
	fi;
	d_step { frozen[j] = false; ref[j] = 1; j = (j + 1) % M };	/* unfreeze, next page */
	goto frz
}
