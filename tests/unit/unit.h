/*
 * unit.h: the smallest test harness that does the job.
 *
 *	static void test_something(void) { CHECK(1 + 1 == 2); }
 *	int main(void) { RUN(test_something); return unit_done(); }
 *
 * Prints "ok - NAME" / "not ok - NAME" / "skip - NAME: why" per test and a
 * summary comment; tests/run.sh counts those lines across every suite.
 */
#ifndef VTUNDFIX_UNIT_H
#define VTUNDFIX_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_checks_failed;
static int unit_passed, unit_failed, unit_skipped;
static const char *unit_skip_reason;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		unit_checks_failed++;					\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (g_ == NULL || strcmp(g_, w_) != 0) {			\
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n",	\
		    __FILE__, __LINE__, g_ ? g_ : "(null)", w_);	\
		unit_checks_failed++;					\
	}								\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_) {							\
		fprintf(stderr, "%s:%d: %s is %lld, want %lld\n",	\
		    __FILE__, __LINE__, #got, g_, w_);			\
		unit_checks_failed++;					\
	}								\
} while (0)

/* Mark the running test skipped (never counted as passed). */
#define SKIP(why) do { unit_skip_reason = (why); return; } while (0)

static inline void
unit_run(const char *name, void (*fn)(void))
{
	int before = unit_checks_failed;

	unit_skip_reason = NULL;
	fn();
	fflush(stderr);
	if (unit_checks_failed != before) {
		printf("not ok - %s\n", name);
		unit_failed++;
	} else if (unit_skip_reason != NULL) {
		printf("skip - %s: %s\n", name, unit_skip_reason);
		unit_skipped++;
	} else {
		printf("ok - %s\n", name);
		unit_passed++;
	}
	fflush(stdout);
}

#define RUN(fn) unit_run(#fn, fn)

static inline int
unit_done(void)
{
	printf("# %d ok, %d not ok, %d skipped\n", unit_passed, unit_failed,
	    unit_skipped);
	return unit_failed ? 1 : 0;
}

#endif
