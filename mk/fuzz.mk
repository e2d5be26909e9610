# libFuzzer targets for every parser and verification path of the wa core.
# See docs/fuzzing.md.
#
#   make fuzz                     build every target into $(BUILD)/fuzz/
#   make fuzz-smoke               run each for FUZZ_SECONDS over a copy of
#                                 the committed seeds; fail on any finding
#   make fuzz-long                run each for FUZZ_LONG_SECONDS over a
#                                 corpus kept in $(BUILD)/fuzz/corpus-long
#   make fuzz-run FUZZ_TARGET=cbor [FUZZ_SECONDS=60]   one target
#   make fuzz-merge               fold what fuzz-long found into the
#                                 committed seeds (coverage-minimal)
#   make fuzz-coverage            line coverage of the core by the corpus
#   make fuzz-seeds               regenerate seeds and fuzz_vectors.c
#
# Targets run one at a time, niced: the machine is shared.

FUZZ_CC           ?= clang
FUZZ_SAN          := -fsanitize=fuzzer,address,undefined \
                     -fno-sanitize-recover=undefined
FUZZ_CFLAGS       := $(FUZZ_SAN) -g -O1 -fno-omit-frame-pointer
FUZZ_DIR          := $(BUILD)/fuzz
FUZZ_SECONDS      ?= 10
FUZZ_LONG_SECONDS ?= 300
FUZZ_NICE         ?= nice -n 10
FUZZ_TARGET       ?=

# Every fuzz/fuzz_<name>.c is a target, except the shared pieces.
FUZZ_SHARED_SRCS  := fuzz/fuzz_common.c fuzz/fuzz_vectors.c
FUZZ_SRCS         := $(filter-out $(FUZZ_SHARED_SRCS),$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_NAMES        := $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS         := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_NAMES))
FUZZ_HDRS         := $(wildcard fuzz/*.h) $(CORE_HDRS) $(wildcard $(CORE_DIR)/*.h)

FUZZ_CORE_OBJS    := $(patsubst $(CORE_DIR)/%.c,$(FUZZ_DIR)/core/%.o,$(CORE_SRCS))
FUZZ_SHARED_OBJS  := $(patsubst fuzz/%.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SHARED_SRCS))

# jansson is no dependency of the core any more, but the json target
# checks the core's JSON reader against it.
FUZZ_LIBS         := $(CORE_LIBS) -ljansson

# The core is compiled as the module compiles it, minus -Werror: a
# warning only clang gives must not stop the fuzzers (the unit build is
# where warnings fail).  The harnesses themselves keep -Werror.
FUZZ_CORE_WARN    := $(filter-out -Werror,$(WARN))

.PHONY: fuzz fuzz-smoke fuzz-long fuzz-run fuzz-merge fuzz-coverage \
        fuzz-seeds fuzz-clean

fuzz: $(FUZZ_BINS)

$(FUZZ_DIR)/core/%.o: $(CORE_DIR)/%.c $(FUZZ_HDRS) mk/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CORE_WARN) $(INCLUDES) -c -o $@ $<

$(FUZZ_DIR)/obj/%.o: fuzz/%.c $(FUZZ_HDRS) mk/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) $(INCLUDES) -Ifuzz -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz_%.o $(FUZZ_SHARED_OBJS) $(FUZZ_CORE_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(FUZZ_LIBS)

# Keep the objects: they are shared by all targets.
.SECONDARY: $(FUZZ_CORE_OBJS) $(FUZZ_SHARED_OBJS) \
            $(patsubst %,$(FUZZ_DIR)/obj/fuzz_%.o,$(FUZZ_NAMES))

fuzz-smoke: fuzz
	FUZZ_NICE="$(FUZZ_NICE)" sh fuzz/run.sh smoke $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-long: fuzz
	FUZZ_NICE="$(FUZZ_NICE)" sh fuzz/run.sh long $(FUZZ_DIR) $(FUZZ_LONG_SECONDS) $(FUZZ_NAMES)

fuzz-run: fuzz
	@test -n "$(FUZZ_TARGET)" || { echo "usage: make fuzz-run FUZZ_TARGET=<one of: $(FUZZ_NAMES)>" >&2; exit 2; }
	FUZZ_NICE="$(FUZZ_NICE)" sh fuzz/run.sh long $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGET)

fuzz-merge: fuzz
	FUZZ_NICE="$(FUZZ_NICE)" sh fuzz/run.sh merge $(FUZZ_DIR) 0 $(or $(FUZZ_TARGET),$(FUZZ_NAMES))

fuzz-coverage:
	FUZZ_NICE="$(FUZZ_NICE)" FUZZ_DIR=$(FUZZ_DIR) sh fuzz/coverage.sh $(BUILD)/fuzz-cov $(FUZZ_NAMES)

fuzz-seeds:
	python3 fuzz/make-seeds.py

fuzz-clean:
	rm -rf $(FUZZ_DIR) $(BUILD)/fuzz-cov
