/*
 * lost-update.c - the smallest race: a plain increment is a load step and a
 * store step, so two threads can both load the old value and one increment
 * is lost. The atomic increment is one step and loses nothing.
 */
int hits __range(0, 2);
atomic_t atomic_hits __range(0, 2);

void count_plain(void)
{
	hits++;
}

void count_atomic(void)
{
	atomic_inc(&atomic_hits);
}

/* Both plain increments landed. */
FINAL(no_lost_update)
{
	return hits == 2;
}

/* Both atomic increments landed. */
FINAL(no_lost_atomic_update)
{
	return atomic_read(&atomic_hits) == 2;
}
