# The wa core as a static library, position-independent so that tests,
# tools, fuzzers and benchmarks link the same objects the module uses.

CORE_OBJS := $(patsubst $(CORE_DIR)/%.c,$(BUILD)/core/%.o,$(CORE_SRCS))
LIBWA     := $(BUILD)/libwa.a

$(BUILD)/core/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC $(INCLUDES) -c -o $@ $<

$(LIBWA): $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

.PHONY: core
core: $(LIBWA)
