# Benchmarks of the wa core.  See docs/benchmarks.md.
#
#   make bench-core [BENCH_SECONDS=5] [BENCH_CPU=1] [BENCH_POOL=2000]
#                   [BENCH_ROUNDS=5]
#
# ES256 assertion verifications per second through build/libwa.a (built
# -O2 as the module uses it), pinned to one CPU, and `openssl speed
# ecdsap256` on the same CPU, alternating in BENCH_ROUNDS rounds that
# together last BENCH_SECONDS each; the last line is "ratio: N.NN".

BENCH_SECONDS ?= 5
BENCH_CPU     ?= 1
BENCH_POOL    ?= 2000
BENCH_ROUNDS  ?= 5
BENCH_CFLAGS  ?= -O2 -g
BENCH_DIR     := $(BUILD)/bench

.PHONY: bench-core

$(BENCH_DIR)/bench_core: bench/bench_core.c $(LIBWA) include/wa.h mk/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(WARN) -Iinclude -o $@ $< $(LIBWA) $(CORE_LIBS)

bench-core: $(BENCH_DIR)/bench_core
	$(BENCH_DIR)/bench_core -s $(BENCH_SECONDS) -c $(BENCH_CPU) \
	    -n $(BENCH_POOL) -r $(BENCH_ROUNDS)
