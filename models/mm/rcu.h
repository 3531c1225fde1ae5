/*
 * rcu.h - RCU read sections and grace periods (KERNEL.md §8 "RCU";
 * include/linux/rcupdate.h, kernel/rcu/tree.c as of 6.1, reduced to what a
 * race needs: synchronize_rcu() returns only after every reader that was
 * inside a read section when it started has left it).
 *
 * The model has no thread ids, so a reader names its CPU: rcu_read_lock(cpu)
 * and rcu_read_unlock(cpu) are the kernel's rcu_read_lock()/rcu_read_unlock()
 * run on CPU @cpu (0 .. RCU_NR_CPUS-1; give each reading thread its own).
 * Each CPU has a sequence counter rcu_cpu_seq[cpu], odd while it is inside a
 * read section; entering and leaving are one step each (a store that a
 * grace period can observe). Read sections do not nest on one CPU (a
 * VM_BUG_ON says so).
 *
 * synchronize_rcu() snapshots every counter in one step, then waits (an
 * assume(), so it blocks instead of spinning) until each CPU that was odd in
 * the snapshot has moved on. A reader that starts after the snapshot is not
 * waited for, exactly as in the kernel. (The counter runs modulo 4: a reader
 * that leaves and re-enters twice before the waiter looks again makes the
 * waiter wait for it too; that only removes interleavings, never adds any.)
 *
 * Scenario define: RCU_NR_CPUS (default 2).
 */
#ifndef MM_RCU_H
#define MM_RCU_H

#ifndef RCU_NR_CPUS
#define RCU_NR_CPUS 2
#endif
#if RCU_NR_CPUS < 1
#error RCU_NR_CPUS must be at least 1
#endif

/* per CPU: odd while that CPU is inside an RCU read section */
int rcu_cpu_seq[RCU_NR_CPUS] __range(0, 3);

/* rcu_read_lock() (6.1) on CPU @cpu: enter a read section */
static inline void rcu_read_lock(int cpu)
{
	ATOMIC {
		VM_BUG_ON(rcu_cpu_seq[cpu] & 1);	/* read sections do not nest here */
		rcu_cpu_seq[cpu] = (rcu_cpu_seq[cpu] + 1) & 3;
	}
}

/* rcu_read_unlock() (6.1) on CPU @cpu: leave the read section */
static inline void rcu_read_unlock(int cpu)
{
	ATOMIC {
		VM_BUG_ON(!(rcu_cpu_seq[cpu] & 1));	/* not inside a read section */
		rcu_cpu_seq[cpu] = (rcu_cpu_seq[cpu] + 1) & 3;
	}
}

/*
 * synchronize_rcu() (6.1): wait for a grace period: every reader inside a
 * read section when this starts has left it when this returns. One step for
 * the snapshot, then one (blocking) step per CPU that was reading.
 */
void synchronize_rcu(void)
{
	int snap[RCU_NR_CPUS];
	int cpu;
	bool waited = false;

	ATOMIC {
		for (cpu = 0; cpu < RCU_NR_CPUS; cpu++) {
			snap[cpu] = rcu_cpu_seq[cpu];
			if (snap[cpu] & 1)
				waited = true;
		}
	}
	if (waited)
		TRACE(rcu_sync_waited);		/* a reader was inside: the grace period waits for it */
	for (cpu = 0; cpu < RCU_NR_CPUS; cpu++)
		if (snap[cpu] & 1)
			assume(READ_ONCE(rcu_cpu_seq[cpu]) != snap[cpu]);
}

#endif /* MM_RCU_H */
