# tools: the command-line verifier for support engineers.
#
#   make tools      $(BUILD)/webauthn-verify, copied to tools/webauthn-verify
#
# It is built against the public API only (include/wa.h) and the same
# libwa.a the module links.

WA_VERIFY      := $(BUILD)/webauthn-verify
TOOLS_CFLAGS    = $(CFLAGS) $(WARN) -Iinclude

.PHONY: tools clean-tools
tools: $(WA_VERIFY) tools/webauthn-verify

$(BUILD)/tools/%.o: tools/%.c include/wa.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) -c -o $@ $<

$(WA_VERIFY): $(BUILD)/tools/webauthn-verify.o $(LIBWA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

tools/webauthn-verify: $(WA_VERIFY)
	cp $< $@

clean-tools:
	rm -f tools/webauthn-verify
