/*
 * refcount.c - the refcount freeze benchmark in hugemc's C subset, with the
 * atomicity of bench/refcount.pml: N getters take speculative references on
 * M page counts (try-get as a load and a compare-and-swap that retries on a
 * lost race, then a put); one freezer freezes a count 1 -> 0, checks that
 * nobody holds a reference, and unfreezes it. -DBUG makes the getter's
 * increment a blind store after the check, which breaks the freeze.
 * Scale with the scenario defines N and M.
 */
#ifndef N
#define N 3
#endif
#ifndef M
#define M 2
#endif

int ref[M] __range(0, 8);	/* 1: the owner's reference; 0: frozen */
int held[M] __range(0, 8);	/* speculative references held */
bool frozen[M];			/* the freezer holds the page frozen */

void mm_bench_init(void)
{
	int k;

	for (k = 0; k < M; k++)
		ref[k] = 1;
}

void getter(int id)
{
	int i = id % M;
	int v;
	bool got;

	while (1) {
retry:
		v = READ_ONCE(ref[i]);			/* atomic_read */
		if (v == 0) {
			got = false;			/* frozen: give up */
		} else {
#ifdef BUG
			ATOMIC { ref[i] = v + 1; held[i]++; }	/* blind store */
			got = true;
#else
			ATOMIC {				/* cmpxchg(v, v + 1) */
				got = ref[i] == v;
				if (got) {
					ref[i] = v + 1;
					held[i]++;
				}
			}
			if (!got)
				goto retry;			/* lost race: retry */
#endif
		}
		if (got) {
			assert(!READ_ONCE(frozen[i]));	/* no reference on a frozen page */
			ATOMIC { held[i]--; ref[i]--; }		/* put_page */
		}
		got = false;
		v = 0;
		i = (i + 1) % M;
	}
}

void freezer(void)
{
	int j = 0;
	bool ok;

	while (1) {
		ATOMIC {				/* freeze 1 -> 0 */
			ok = ref[j] == 1;
			if (ok) {
				ref[j] = 0;
				frozen[j] = true;
			}
		}
		if (ok) {
			assert(READ_ONCE(held[j]) == 0);	/* exclusive */
			ATOMIC { frozen[j] = false; ref[j] = 1; }	/* unfreeze */
		}
		j = (j + 1) % M;
	}
}
