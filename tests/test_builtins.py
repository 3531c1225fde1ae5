"""Every builtin does what the kernel's does (single thread: values; races: atomicity)."""

from conftest import violated

SRC = """
atomic_t a __range(-4, 8);
unsigned long f __range(0, 15);
spinlock_t l __range(0, 4);
int p __range(-4, 8);

void values(void)
{
	int r;
	atomic_set(&a, 2);
	assert(atomic_read(&a) == 2);
	atomic_inc(&a); assert(atomic_read(&a) == 3);
	atomic_dec(&a); assert(atomic_read(&a) == 2);
	atomic_add(3, &a); assert(atomic_read(&a) == 5);
	atomic_sub(2, &a); assert(atomic_read(&a) == 3);
	assert(atomic_inc_return(&a) == 4);
	assert(atomic_dec_return(&a) == 3);
	assert(atomic_add_return(2, &a) == 5);
	assert(atomic_sub_return(4, &a) == 1);
	assert(atomic_fetch_add(1, &a) == 1 && atomic_read(&a) == 2);
	assert(atomic_fetch_sub(1, &a) == 2 && atomic_read(&a) == 1);
	assert(atomic_dec_and_test(&a) && atomic_read(&a) == 0);
	assert(!atomic_inc_and_test(&a));
	assert(!atomic_sub_and_test(2, &a) && atomic_read(&a) == -1);
	atomic_set(&a, 0);
	assert(!atomic_add_unless(&a, 1, 0) && atomic_read(&a) == 0);
	assert(!atomic_inc_not_zero(&a));
	atomic_set(&a, 1);
	assert(atomic_inc_not_zero(&a) && atomic_read(&a) == 2);
	assert(atomic_cmpxchg(&a, 1, 7) == 2 && atomic_read(&a) == 2);
	assert(atomic_cmpxchg(&a, 2, 7) == 2 && atomic_read(&a) == 7);
	assert(atomic_xchg(&a, 3) == 7 && atomic_read(&a) == 3);
	set_bit(1, &f); assert(f == 2 && test_bit(1, &f) && !test_bit(0, &f));
	assert(!test_and_set_bit(0, &f) && f == 3);
	assert(test_and_set_bit(0, &f));
	assert(test_and_clear_bit(1, &f) && f == 1);
	clear_bit(0, &f); assert(f == 0);
	__set_bit(3, &f); assert(f == 8);
	__clear_bit(3, &f); assert(f == 0);
	WRITE_ONCE(p, 5); assert(READ_ONCE(p) == 5);
	smp_store_release(&p, 6); assert(smp_load_acquire(&p) == 6);
	smp_mb(); smp_wmb(); smp_rmb(); barrier(); cond_resched(); cpu_relax(); might_sleep();
	assert(spin_trylock(&l) && l == 1);
	assert(!spin_trylock(&l));
	spin_unlock(&l);
	spin_lock_irq(&l); spin_unlock_irq(&l);
	spin_lock_irqsave(&l, r); spin_unlock_irqrestore(&l, r);
	r = nondet_bool(); assert(r == 0 || r == 1);
	r = nondet_int(-2, 2); assume(r > 1); assert(r == 2);
	VM_BUG_ON(r != 2); VM_WARN_ON(r != 2); VM_WARN_ON_ONCE(r != 2); WARN_ON_ONCE(r != 2);
	pr_info("r=%d f=%x\\n", r, 255); pr_err("e\\n"); pr_debug("d\\n"); pr_notice("n\\n");
	printk("p %u\\n", 3);
}

void trylock_race(void)
{
	if (spin_trylock(&l)) {
		p++;
		p--;
		spin_unlock(&l);
	}
}

INVARIANT(p_small) { return p <= 1; }
"""


def test_builtin_values(run_c):
    r = run_c(SRC, {"t": "values()"}, extra='properties = []')
    assert r.verdict == "holds", r.problems + [v.message for v in r.violations]
    assert not r.warnings


def test_trylock_excludes(run_c):
    r = run_c(SRC, {"t": ("trylock_race()", 3)}, extra='properties = ["p_small"]')
    assert r.verdict == "holds"


def test_printk_in_trace(run_c):
    src = """
    int g __range(0, 3);
    void t(void) { int v = 2; pr_warn("v=%d and %s\\n", v); g = 4; }
    """
    r = run_c(src, {"t": "t()"}, expect=["domain_overflow"])
    assert violated(r) == {"domain_overflow"}
    steps = r.violations[0].trace.steps
    assert any(m == "warn: v=2 and ?" for s in steps for m in s.messages)


def test_wrong_builtin_arity(tmp_path):
    from conftest import write_scenario
    from hugemc.check import check_scenario
    r = check_scenario(write_scenario(tmp_path, "atomic_t a;\nvoid t(void) { atomic_add(&a); }\n", {"t": "t()"}))
    assert r.verdict == "error" and "'atomic_add' takes 2 argument(s), 1 given" in r.error
