# The nginx module, built as nginx builds its own dynamic modules: from an
# nginx source tree configured like the nginx binary that will load it.
#
#   make module               $(BUILD)/ngx_http_webauthn_module.so for the
#                             installed Debian nginx (nginx-dev)
#   make module-asan          $(BUILD)/asan/ngx_http_webauthn_module.so with
#                             AddressSanitizer and UBSan
#   make test-nginx           the t/ suite against the module
#   make test-nginx-asan      the t/ suite against the ASan module
#   make test-nginx-valgrind  the t/ suite with nginx under valgrind memcheck
#   make demo-run             scripts/demo.sh (needs make deps first)
#
# See docs/install.md for building against an upstream nginx tree.

# The nginx-dev tree: headers, auto/ and configure, plus conf_flags, a bash
# array of the configure flags of /usr/sbin/nginx.
NGX_SRC         ?= /usr/share/nginx/src
NGX_CONF_FLAGS  ?= $(NGX_SRC)/conf_flags
NGX_BINARY      ?= /usr/sbin/nginx

# Debian's hardening flags, as its own nginx modules are built with.
NGX_CC          ?= $(CC)
NGX_CC_OPT      ?= -g -O2 -fstack-protector-strong -Wformat \
                   -Werror=format-security -fPIC -Wdate-time \
                   -D_FORTIFY_SOURCE=2
NGX_LD_OPT      ?= -Wl,-z,relro -Wl,-z,now -fPIC

# gcc's sanitizers: the .so then needs gcc's libasan preloaded into nginx,
# which scripts/nginx-asan.sh does.
NGX_ASAN_CC     ?= gcc
NGX_ASAN_CC_OPT ?= -g -O1 -fPIC -fno-omit-frame-pointer \
                   -fsanitize=address,undefined
NGX_ASAN_LD_OPT ?= -fPIC -fsanitize=address,undefined

MODULE_NAME     := ngx_http_webauthn_module
MODULE_SO       := $(BUILD)/$(MODULE_NAME).so
MODULE_ASAN_SO  := $(BUILD)/asan/$(MODULE_NAME).so

# Everything the config script globs: a file added or removed means
# configure must run again, a file changed only means make.
MODULE_INPUTS   := $(sort $(wildcard \
                     ngx_http_webauthn_module/ngx_http_webauthn_*.c \
                     ngx_http_webauthn_module/*.h \
                     $(CORE_DIR)/*.c $(CORE_DIR)/*.h include/*.h))
MODULE_LIST     := $(BUILD)/.module-inputs

TEST_NGINX_BINARY ?= $(NGX_BINARY)
TEST_NGINX_ARGS   ?= t/

.PHONY: module module-asan test-nginx test-nginx-asan test-nginx-valgrind \
        demo-run module-inputs-check

module: $(MODULE_SO)

module-asan: $(MODULE_ASAN_SO)

# Rewritten only when the list of inputs changes, so that its timestamp
# tells whether configure has to run again.
$(MODULE_LIST): module-inputs-check
	@mkdir -p $(dir $@)
	@echo '$(MODULE_INPUTS)' | cmp -s - $@ \
	    || echo '$(MODULE_INPUTS)' > $@

# $(1) build directory, $(2) the prefix of the variables $(2)_CC,
# $(2)_CC_OPT and $(2)_LD_OPT: NGX or NGX_ASAN.
#
# configure writes its Makefile into the current directory, so it runs in a
# copy of the (small, headers only) nginx-dev tree.  Command line variables
# of this make (CFLAGS=..., CC=...) must not leak into nginx's own Makefile:
# MAKEOVERRIDES is cleared for these recipes.
define ngx_webauthn_configure
	rm -rf $(1)/nginx-src
	mkdir -p $(1)
	cp -R $(NGX_SRC) $(1)/nginx-src
	cd $(1)/nginx-src && bash -c \
	    'set -e; . "$(NGX_CONF_FLAGS)"; \
	     exec ./configure "$${NGX_CONF_FLAGS[@]}" --with-cc="$($(2)_CC)" \
	         --with-cc-opt="$($(2)_CC_OPT)" --with-ld-opt="$($(2)_LD_OPT)" \
	         --add-dynamic-module="$(CURDIR)"' \
	    > $(abspath $(1))/configure.log 2>&1 \
	    || { tail -n 30 $(abspath $(1))/configure.log; exit 1; }
endef

$(BUILD)/nginx-src/objs/Makefile: config mk/module.mk $(NGX_CONF_FLAGS) \
                                  $(MODULE_LIST)
	$(call ngx_webauthn_configure,$(BUILD),NGX)

$(BUILD)/asan/nginx-src/objs/Makefile: config mk/module.mk \
                                       $(NGX_CONF_FLAGS) $(MODULE_LIST)
	$(call ngx_webauthn_configure,$(BUILD)/asan,NGX_ASAN)

# The .so is replaced by a rename, never rewritten in place: an nginx that
# has it loaded keeps its mapping, and a reload loads the new one (cp over
# a mapped library changes the code under a running master).
$(MODULE_SO): MAKEOVERRIDES :=
$(MODULE_SO): $(BUILD)/nginx-src/objs/Makefile $(MODULE_INPUTS)
	$(MAKE) -C $(BUILD)/nginx-src -f objs/Makefile modules
	cp $(BUILD)/nginx-src/objs/$(MODULE_NAME).so $@.tmp
	mv -f $@.tmp $@

$(MODULE_ASAN_SO): MAKEOVERRIDES :=
$(MODULE_ASAN_SO): $(BUILD)/asan/nginx-src/objs/Makefile $(MODULE_INPUTS)
	$(MAKE) -C $(BUILD)/asan/nginx-src -f objs/Makefile modules
	cp $(BUILD)/asan/nginx-src/objs/$(MODULE_NAME).so $@.tmp
	mv -f $@.tmp $@

# The suite runs from a private server root under $(BUILD), on
# 127.0.0.1:$(TEST_NGINX_SERVER_PORT) (1984 unless set), with a private
# Redis on 127.0.0.1:$(TEST_NGINX_REDIS_PORT) (6399 unless set) that
# scripts/with-redis.sh starts and stops around prove; the ceremonies are
# driven by the software authenticator, $(BUILD)/wa-softauth.
TEST_NGINX_ENV = TEST_NGINX_SERVROOT=$(abspath $(BUILD))/servroot \
                 TEST_NGINX_WEBAUTHN_MODULE=$(abspath $(1))

test-nginx: $(MODULE_SO) softauth
	$(call TEST_NGINX_ENV,$(MODULE_SO)) \
	TEST_NGINX_BINARY=$(TEST_NGINX_BINARY) \
	    sh scripts/with-redis.sh sh scripts/prove-nginx.sh $(TEST_NGINX_ARGS)

# The sanitized module is loaded into the stock nginx with gcc's libasan
# preloaded; any ASan or UBSan report fails the test that caused it.
test-nginx-asan: $(MODULE_ASAN_SO) softauth
	$(call TEST_NGINX_ENV,$(MODULE_ASAN_SO)) \
	WEBAUTHN_NGINX=$(TEST_NGINX_BINARY) \
	TEST_NGINX_BINARY=$(CURDIR)/scripts/nginx-asan.sh \
	    sh scripts/with-redis.sh sh scripts/prove-nginx.sh $(TEST_NGINX_ARGS)

test-nginx-valgrind: $(MODULE_SO) softauth
	$(call TEST_NGINX_ENV,$(MODULE_SO)) \
	TEST_NGINX_BINARY=$(TEST_NGINX_BINARY) TEST_NGINX_USE_VALGRIND=1 \
	    sh scripts/with-redis.sh sh scripts/prove-nginx.sh $(TEST_NGINX_ARGS)

demo-run:
	sh scripts/demo.sh
