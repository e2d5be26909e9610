/*
 * What both benchmarks compare with: OpenSSL's own ECDSA P-256 verify
 * rate on one CPU.
 */

#ifndef BENCH_OPENSSL_H
#define BENCH_OPENSSL_H

/*
 * Runs "openssl speed -seconds secs ecdsap256" pinned to cpu (taskset,
 * when there is one) and returns its verify/s, per CPU second as openssl
 * counts it; -1 when it could not be run or read.
 */
double bench_openssl_speed(int secs, int cpu);

#endif /* BENCH_OPENSSL_H */
