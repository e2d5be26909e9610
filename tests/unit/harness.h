/*
 * A tiny TAP-like harness shared by the unit tests and the spec vectors.
 *
 * Every check prints one line, "ok - NAME" or "not ok - NAME (...)";
 * tests/run-unit.sh counts them across programs.  t_done() prints the
 * program's own totals as a comment and returns the exit status.
 */

#ifndef WA_TEST_HARNESS_H
#define WA_TEST_HARNESS_H

#include <wa.h>

extern int  t_passed;
extern int  t_failed;

/* A boolean check; fmt (may be NULL) explains a failure. */
int t_ok(int cond, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A reason-code check: "not ok - NAME (got X, want Y; at STEP)".  With
 * WA_TEST_VERBOSE set in the environment, refusals that match also print
 * the step ("#   CODE at STEP") to show where each case was stopped. */
int t_rc(const char *name, wa_rc_t got, wa_rc_t want, const wa_err_t *err);

/* "# PROGRAM: passed N, failed N"; 0 when nothing failed, else 1. */
int t_done(const char *program);

#endif /* WA_TEST_HARNESS_H */
