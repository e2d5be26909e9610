# The real-browser end-to-end test (tests/browser/e2e.mjs): Debian's
# chromium driven by playwright-core (pinned in tests/browser/package.json
# and package-lock.json, installed by `npm ci` into tests/browser/
# node_modules when missing or older than the lock), with the DevTools
# protocol's virtual authenticators, against the demo (scripts/demo.sh)
# started on private ports with a fresh store, and stopped afterwards even
# when the test fails.
#
#   make test-browser [BROWSER_PORT=8190] [BROWSER_APP_PORT=8191]
#                     [BROWSER_REDIS_PORT=6394]
#
# Screenshots of every step: $(BUILD)/browser-test/screenshots/; the
# demo's logs: $(BUILD)/browser-test/demo/logs/.

BROWSER_PORT       ?= 8190
BROWSER_APP_PORT   ?= 8191
BROWSER_REDIS_PORT ?= 6394
BROWSER_DIR        := $(abspath $(BUILD))/browser-test
BROWSER_MODULES    := tests/browser/node_modules/.package-lock.json
BROWSER_DEMO_ENV    = DEMO_DIR=$(BROWSER_DIR)/demo DEMO_PORT=$(BROWSER_PORT) \
                      DEMO_APP_PORT=$(BROWSER_APP_PORT) \
                      DEMO_REDIS_PORT=$(BROWSER_REDIS_PORT) DEMO_MAKE=no \
                      DEMO_USERS="demo hana ken" BUILD=$(BUILD)

.PHONY: test-browser

$(BROWSER_MODULES): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

test-browser: $(MODULE_SO) $(BROWSER_MODULES)
	$(BROWSER_DEMO_ENV) sh scripts/demo.sh stop >/dev/null
	rm -rf $(BROWSER_DIR)/demo/redis $(BROWSER_DIR)/screenshots
	$(BROWSER_DEMO_ENV) sh scripts/demo.sh >/dev/null; \
	status=$$?; \
	if [ $$status -eq 0 ]; then \
	    DEMO_URL=http://localhost:$(BROWSER_PORT)/ OUT=$(BROWSER_DIR) \
	    DEMO_ADMIN_TOKEN_FILE=$(BROWSER_DIR)/demo/conf/admin.tokens \
	        node tests/browser/e2e.mjs; \
	    status=$$?; \
	fi; \
	$(BROWSER_DEMO_ENV) sh scripts/demo.sh stop >/dev/null; \
	[ $$status -eq 0 ] || tail -n 20 $(BROWSER_DIR)/demo/logs/error.log; \
	exit $$status
