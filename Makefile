# ngx_http_webauthn_module: top-level build.
#
#   make            the nginx module (build/ngx_http_webauthn_module.so) and
#                   tools/webauthn-verify
#   make test       install what is missing, then run every test
#   make demo       install what is missing, then run the demo on 127.0.0.1
#
# Each piece keeps its rules in mk/*.mk; see docs/install.md.

BUILD      ?= build
CC         ?= cc
OPT        ?= -O2
CFLAGS     ?= $(OPT) -g
WARN       := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
              -Wpointer-arith -Wstrict-prototypes
CORE_DIR   := ngx_http_webauthn_module/core
CORE_SRCS  := $(sort $(wildcard $(CORE_DIR)/*.c))
CORE_HDRS  := include/wa.h $(wildcard $(CORE_DIR)/*.h)
CORE_LIBS  := -lssl -lcrypto -lcbor -ljansson
INCLUDES   := -Iinclude -I$(CORE_DIR)

.PHONY: all deps test demo clean
all: module tools

include mk/core.mk
include mk/module.mk
include mk/tools.mk
include mk/unit.mk
include mk/tests.mk
include mk/fuzz.mk
include mk/bench.mk
include mk/admin.mk
include mk/browser.mk

deps:
	sh scripts/deps.sh

clean:
	rm -rf $(BUILD)
