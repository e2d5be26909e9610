# tools: the command-line verifier for support engineers, and the bulk
# administration tool for operators.
#
#   make tools      $(BUILD)/webauthn-verify, copied to tools/webauthn-verify
#                   $(BUILD)/webauthn-admin, copied to tools/webauthn-admin
#
# Both are built against the public API only (include/wa.h) and the same
# libwa.a the module links; webauthn-admin also runs the module's Lua
# scripts (include/wa_store_lua.h) through hiredis.

WA_VERIFY      := $(BUILD)/webauthn-verify
WA_ADMIN       := $(BUILD)/webauthn-admin
TOOLS_CFLAGS    = $(CFLAGS) $(WARN) -Iinclude

.PHONY: tools clean-tools
tools: $(WA_VERIFY) tools/webauthn-verify $(WA_ADMIN) tools/webauthn-admin

$(BUILD)/tools/%.o: tools/%.c include/wa.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) -c -o $@ $<

$(WA_VERIFY): $(BUILD)/tools/webauthn-verify.o $(LIBWA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

tools/webauthn-verify: $(WA_VERIFY)
	cp $< $@

$(BUILD)/tools/webauthn-admin.o: include/wa_store_lua.h

$(WA_ADMIN): $(BUILD)/tools/webauthn-admin.o $(LIBWA)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lhiredis -ljansson

tools/webauthn-admin: $(WA_ADMIN)
	cp $< $@

clean-tools:
	rm -f tools/webauthn-verify tools/webauthn-admin
