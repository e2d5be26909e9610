# Benchmarks.  See docs/benchmarks.md.
#
#   make bench-core [BENCH_SECONDS=5] [BENCH_CPU=1] [BENCH_POOL=2000]
#                   [BENCH_ROUNDS=5]
#
# ES256 assertion verifications per second through build/libwa.a (built
# -O2 as the module uses it), pinned to one CPU, and `openssl speed
# ecdsap256` on the same CPU, alternating in BENCH_ROUNDS rounds that
# together last BENCH_SECONDS each; the last line is "ratio: N.NN".
#
#   make bench-gate [BENCH_GATE_SECONDS=10] [BENCH_GATE_ROUNDS=5]
#                   [BENCH_GATE_CONNS=32] [BENCH_GATE_REQUESTS=1000000]
#                   [BENCH_GATE_PORT=8091] [BENCH_GATE_REDIS_PORT=6391]
#                   [BENCH_GATE_METRICS=1]  (with a webauthn_zone: counted)
#                   [BENCH_GATE_SESSION_CACHE=off|N]  (webauthn_session_cache)
#
# The module in the Debian nginx, end to end (scripts/bench-gate.sh): one
# worker pinned to CPU 0; a private Redis and the load generator
# build/bench/bench_gate (-O2, linking build/libsoftauth.a) on CPU 1.
# Closed-loop keep-alive load: plain `return 200`, a passkey-gated GET
# with a session cookie, and the whole login ceremony (login_options, a
# fresh ES256 assertion signed by the generator, login), alternating in
# BENCH_GATE_ROUNDS rounds with `openssl speed ecdsap256` on CPU 0; then
# the worker's VmRSS around BENCH_GATE_REQUESTS gated requests.  Prints
# rates and p50/p99, and ends with "gate ratio: N.NN" (gated / plain),
# "ceremony ratio: N.NN" (ceremonies / openssl verify/s) and
# "rss growth: N KiB".
#
#   make bench-rollback [BENCH_ROLLBACK_USERS=1000000]
#                       [BENCH_ROLLBACK_REDIS_PORT=6392]
#                       [BENCH_ROLLBACK_BATCH=32] [BENCH_ROLLBACK_SCAN=0]
#
# tools/webauthn-admin rollback over BENCH_ROLLBACK_USERS users, every one
# of them changed after the time given (the worst case), in a private
# Redis pinned to CPU 0, the tool on CPU 1 (scripts/bench-rollback.sh);
# the users, and the index of changed users, are written by
# build/bench/bench_rollback through `redis-cli --pipe` first (not
# timed).  BENCH_ROLLBACK_SCAN=1: the tool's --scan (every key, not the
# index).  Meanwhile the same helper PINGs
# the Redis every millisecond from another connection.  Ends with
# "rollback users/s: N" and "max other-client latency: N ms".

BENCH_SECONDS ?= 5
BENCH_CPU     ?= 1
BENCH_POOL    ?= 2000
BENCH_ROUNDS  ?= 5
BENCH_CFLAGS  ?= -O2 -g
BENCH_DIR     := $(BUILD)/bench

.PHONY: bench-core bench-gate bench-rollback

BENCH_GATE_SECONDS    ?= 10
BENCH_GATE_ROUNDS     ?= 5
BENCH_GATE_CONNS      ?= 32
BENCH_GATE_REQUESTS   ?= 1000000
BENCH_GATE_METRICS    ?= 0
BENCH_GATE_SESSION_CACHE ?=
BENCH_GATE_PORT       ?= 8091
BENCH_GATE_REDIS_PORT ?= 6391

BENCH_OPENSSL := bench/bench_openssl.c bench/bench_openssl.h

$(BENCH_DIR)/bench_core: bench/bench_core.c $(BENCH_OPENSSL) $(LIBWA) \
                         include/wa.h mk/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(WARN) -Iinclude -o $@ $< bench/bench_openssl.c \
	    $(LIBWA) $(CORE_LIBS)

bench-core: $(BENCH_DIR)/bench_core
	$(BENCH_DIR)/bench_core -s $(BENCH_SECONDS) -c $(BENCH_CPU) \
	    -n $(BENCH_POOL) -r $(BENCH_ROUNDS)

$(BENCH_DIR)/bench_gate: bench/bench_gate.c $(BENCH_OPENSSL) \
                         $(BUILD)/libsoftauth.a $(SOFTAUTH_HDRS) mk/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(WARN) -I$(SOFTAUTH_DIR) -o $@ $< \
	    bench/bench_openssl.c $(BUILD)/libsoftauth.a -lssl -lcrypto -lcbor \
	    -ljansson

bench-gate: $(MODULE_SO) $(BENCH_DIR)/bench_gate
	BUILD=$(BUILD) BENCH_GATE_SECONDS=$(BENCH_GATE_SECONDS) \
	BENCH_GATE_ROUNDS=$(BENCH_GATE_ROUNDS) \
	BENCH_GATE_CONNS=$(BENCH_GATE_CONNS) \
	BENCH_GATE_REQUESTS=$(BENCH_GATE_REQUESTS) \
	BENCH_GATE_PORT=$(BENCH_GATE_PORT) \
	BENCH_GATE_REDIS_PORT=$(BENCH_GATE_REDIS_PORT) \
	BENCH_GATE_NGINX=$(NGX_BINARY) \
	BENCH_GATE_METRICS=$(BENCH_GATE_METRICS) \
	BENCH_GATE_SESSION_CACHE=$(BENCH_GATE_SESSION_CACHE) \
	    sh scripts/bench-gate.sh

BENCH_ROLLBACK_USERS      ?= 1000000
BENCH_ROLLBACK_REDIS_PORT ?= 6392
BENCH_ROLLBACK_BATCH      ?= 32
BENCH_ROLLBACK_SCAN       ?= 0

$(BENCH_DIR)/bench_rollback: bench/bench_rollback.c mk/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(WARN) -o $@ $< -lhiredis

bench-rollback: $(WA_ADMIN) $(BENCH_DIR)/bench_rollback
	BUILD=$(BUILD) BENCH_ROLLBACK_USERS=$(BENCH_ROLLBACK_USERS) \
	BENCH_ROLLBACK_REDIS_PORT=$(BENCH_ROLLBACK_REDIS_PORT) \
	BENCH_ROLLBACK_BATCH=$(BENCH_ROLLBACK_BATCH) \
	BENCH_ROLLBACK_SCAN=$(BENCH_ROLLBACK_SCAN) \
	    sh scripts/bench-rollback.sh
