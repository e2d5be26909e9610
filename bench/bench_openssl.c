/* OpenSSL's ECDSA P-256 verify rate, for bench_core and bench_gate. */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_openssl.h"


double
bench_openssl_speed(int secs, int cpu)
{
    char    cmd[256], line[512], *p, *last, *tok;
    FILE   *f;
    double  rate;

    snprintf(cmd, sizeof(cmd),
             "if command -v taskset >/dev/null 2>&1; then "
             "exec taskset -c %d openssl speed -seconds %d ecdsap256; "
             "else exec openssl speed -seconds %d ecdsap256; fi 2>/dev/null",
             cpu, secs, secs);

    f = popen(cmd, "r");
    if (f == NULL) {
        return -1;
    }

    rate = -1;

    while (fgets(line, sizeof(line), f) != NULL) {
        /* " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  13000.0" */
        if (strstr(line, "(nistp256)") == NULL) {
            continue;
        }

        last = NULL;
        for (tok = strtok_r(line, " \t\n", &p); tok != NULL;
             tok = strtok_r(NULL, " \t\n", &p))
        {
            last = tok;
        }

        if (last != NULL) {
            rate = strtod(last, NULL);
        }
    }

    if (pclose(f) != 0) {
        return -1;
    }

    return rate;
}
