/*
 * The unit-test harness: see harness.h.
 */

#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int  t_passed;
int  t_failed;


int
t_ok(int cond, const char *name, const char *fmt, ...)
{
    va_list  ap;

    if (cond) {
        t_passed++;
        printf("ok - %s\n", name);
        return 1;
    }
    t_failed++;
    printf("not ok - %s", name);
    if (fmt) {
        printf(" (");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf(")");
    }
    printf("\n");
    fflush(stdout);
    return 0;
}


int
t_rc(const char *name, wa_rc_t got, wa_rc_t want, const wa_err_t *err)
{
    if (got == want) {
        t_ok(1, name, NULL);
        if (want != WA_OK && err && err->detail
            && getenv("WA_TEST_VERBOSE") != NULL)
        {
            printf("#   %s at %s\n", wa_rc_code(got), err->detail);
        }
        return 1;
    }
    return t_ok(0, name, "got %s, want %s%s%s", wa_rc_code(got),
                wa_rc_code(want),
                err && err->detail ? "; at " : "",
                err && err->detail ? err->detail : "");
}


int
t_done(const char *program)
{
    printf("# %s: passed %d, failed %d\n", program, t_passed, t_failed);
    fflush(stdout);
    return t_failed ? 1 : 0;
}
