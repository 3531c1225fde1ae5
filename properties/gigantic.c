/*
 * gigantic.c - properties of the gigantic page path (KERNEL.md §3).
 */
#include "mm/gigantic.c"

/* A freeze in prep_compound_gigantic_page() failed and its undo path ran. */
REACHABLE(gigantic_prep_undo_ran)
{
	return ghost_gigantic_prep_failed;
}
