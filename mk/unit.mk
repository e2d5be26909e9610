# unit: softauth (the software authenticator), the core's unit tests, the
# WebAuthn L3 spec vectors and the webauthn-verify command-line tests.
#
#   make softauth        $(BUILD)/libsoftauth.a and $(BUILD)/wa-softauth
#   make test-unit       build and run everything below
#   make test-unit-asan  the same with the core, softauth, the tests and
#                        webauthn-verify built with ASan + UBSan into
#                        $(BUILD)/asan-unit/
#
# Every test program prints "ok - NAME" / "not ok - NAME (...)" lines;
# tests/run-unit.sh runs them all and closes with "N passed, N failed".
#
# The spec vectors come from shared/ beside the repository; override with
# make test-unit WA_VECTORS=/path/to/webauthn-l3-spec.json

SOFTAUTH_DIR   := tests/softauth
SOFTAUTH_SRCS  := $(SOFTAUTH_DIR)/softauth.c
SOFTAUTH_HDRS  := $(SOFTAUTH_DIR)/softauth.h
UNIT_DIR       := tests/unit
UNIT_HDRS      := $(UNIT_DIR)/harness.h $(SOFTAUTH_HDRS) include/wa.h
UNIT_TESTS     := $(patsubst $(UNIT_DIR)/%.c,%,$(sort $(wildcard $(UNIT_DIR)/test_*.c)))
UNIT_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all \
                  -fno-omit-frame-pointer
ASAN_BUILD     := $(BUILD)/asan-unit
# The spec's test vectors: the founders' shared copy when the checkout has
# one beside it, else the copy kept in the repository (same file, so a
# clone elsewhere still runs every test).
WA_VECTORS     ?= $(firstword $(wildcard ../shared/vectors/webauthn-l3-spec.json) \
                   tests/vectors/webauthn-l3-spec.json)
UNIT_INCLUDES  := -Iinclude -I$(SOFTAUTH_DIR) -I$(UNIT_DIR)

# Written by another engineer: linked into test_negative when present.
NEG_ATTEST_SRC := $(wildcard $(UNIT_DIR)/neg_attest_formats.c)
NEG_ATTEST_DEF := $(if $(NEG_ATTEST_SRC),-DWA_HAVE_ATTEST_FORMATS=1)

# $(call unit_build,DIR,EXTRA_CFLAGS,LIBWA): every rule of one build flavour.
define unit_build

$(1)/softauth/%.o: $(SOFTAUTH_DIR)/%.c $(SOFTAUTH_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(WARN) $$(UNIT_INCLUDES) -c -o $$@ $$<

$(1)/libsoftauth.a: $(1)/softauth/softauth.o
	rm -f $$@
	ar rcs $$@ $$^

$(1)/wa-softauth: $(1)/softauth/wa-softauth.o $(1)/libsoftauth.a
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ -lssl -lcrypto -lcbor -ljansson

$(1)/unit/%.o: $(UNIT_DIR)/%.c $(UNIT_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(WARN) $$(UNIT_INCLUDES) $$(NEG_ATTEST_DEF) -c -o $$@ $$<

$(1)/unit/neg_attest_formats.o: $(UNIT_DIR)/neg_attest_formats.c $(UNIT_HDRS) $$(CORE_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(WARN) $$(UNIT_INCLUDES) -I$$(CORE_DIR) -c -o $$@ $$<

$(1)/unit/test_negative: $(1)/unit/test_negative.o $(1)/unit/harness.o \
        $(if $(NEG_ATTEST_SRC),$(1)/unit/neg_attest_formats.o) \
        $(1)/libsoftauth.a $(3)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(CORE_LIBS)

$(1)/unit/test_%: $(1)/unit/test_%.o $(1)/unit/harness.o $(1)/libsoftauth.a $(3)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(CORE_LIBS)

$(1)/vectors/%.o: tests/vectors/%.c $(UNIT_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(WARN) $$(UNIT_INCLUDES) -c -o $$@ $$<

$(1)/vectors/test_vectors: $(1)/vectors/test_vectors.o $(1)/unit/harness.o \
        $(1)/libsoftauth.a $(3)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(CORE_LIBS)

$(1)/unit-bins: $(addprefix $(1)/unit/,$(UNIT_TESTS)) \
        $(1)/vectors/test_vectors $(1)/wa-softauth

endef

$(eval $(call unit_build,$(BUILD),,$(LIBWA)))
$(eval $(call unit_build,$(ASAN_BUILD),$(UNIT_SAN),$(ASAN_BUILD)/libwa.a))

# The core again, instrumented.
ASAN_CORE_OBJS := $(patsubst $(CORE_DIR)/%.c,$(ASAN_BUILD)/core/%.o,$(CORE_SRCS))

$(ASAN_BUILD)/core/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(UNIT_SAN) $(WARN) -fPIC $(INCLUDES) -c -o $@ $<

$(ASAN_BUILD)/libwa.a: $(ASAN_CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

$(ASAN_BUILD)/tools/%.o: tools/%.c include/wa.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) $(UNIT_SAN) -c -o $@ $<

$(ASAN_BUILD)/webauthn-verify: $(ASAN_BUILD)/tools/webauthn-verify.o $(ASAN_BUILD)/libwa.a
	$(CC) $(CFLAGS) $(UNIT_SAN) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

UNIT_BINS      = $(addprefix $(BUILD)/unit/,$(UNIT_TESTS)) \
                 $(BUILD)/vectors/test_vectors $(BUILD)/wa-softauth $(WA_VERIFY)
ASAN_BINS      = $(addprefix $(ASAN_BUILD)/unit/,$(UNIT_TESTS)) \
                 $(ASAN_BUILD)/vectors/test_vectors $(ASAN_BUILD)/wa-softauth \
                 $(ASAN_BUILD)/webauthn-verify

.PHONY: softauth test-unit test-unit-asan
softauth: $(BUILD)/libsoftauth.a $(BUILD)/wa-softauth

test-unit: $(UNIT_BINS)
	sh tests/run-unit.sh $(BUILD) $(WA_VECTORS) $(UNIT_TESTS)

test-unit-asan: $(ASAN_BINS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	sh tests/run-unit.sh $(ASAN_BUILD) $(WA_VECTORS) $(UNIT_TESTS)
