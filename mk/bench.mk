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

BENCH_SECONDS ?= 5
BENCH_CPU     ?= 1
BENCH_POOL    ?= 2000
BENCH_ROUNDS  ?= 5
BENCH_CFLAGS  ?= -O2 -g
BENCH_DIR     := $(BUILD)/bench

.PHONY: bench-core bench-gate

BENCH_GATE_SECONDS    ?= 10
BENCH_GATE_ROUNDS     ?= 5
BENCH_GATE_CONNS      ?= 32
BENCH_GATE_REQUESTS   ?= 1000000
BENCH_GATE_PORT       ?= 8091
BENCH_GATE_REDIS_PORT ?= 6391

$(BENCH_DIR)/bench_core: bench/bench_core.c $(LIBWA) include/wa.h mk/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(WARN) -Iinclude -o $@ $< $(LIBWA) $(CORE_LIBS)

bench-core: $(BENCH_DIR)/bench_core
	$(BENCH_DIR)/bench_core -s $(BENCH_SECONDS) -c $(BENCH_CPU) \
	    -n $(BENCH_POOL) -r $(BENCH_ROUNDS)

$(BENCH_DIR)/bench_gate: bench/bench_gate.c $(BUILD)/libsoftauth.a \
                         $(SOFTAUTH_HDRS) mk/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(WARN) -I$(SOFTAUTH_DIR) -o $@ $< \
	    $(BUILD)/libsoftauth.a -lssl -lcrypto -lcbor -ljansson

bench-gate: $(MODULE_SO) $(BENCH_DIR)/bench_gate
	BUILD=$(BUILD) BENCH_GATE_SECONDS=$(BENCH_GATE_SECONDS) \
	BENCH_GATE_ROUNDS=$(BENCH_GATE_ROUNDS) \
	BENCH_GATE_CONNS=$(BENCH_GATE_CONNS) \
	BENCH_GATE_REQUESTS=$(BENCH_GATE_REQUESTS) \
	BENCH_GATE_PORT=$(BENCH_GATE_PORT) \
	BENCH_GATE_REDIS_PORT=$(BENCH_GATE_REDIS_PORT) \
	BENCH_GATE_NGINX=$(NGX_BINARY) \
	    sh scripts/bench-gate.sh
