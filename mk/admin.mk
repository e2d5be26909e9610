# The tests of tools/webauthn-admin (tests/admin/test-admin.sh) against a
# private Redis of their own, started and stopped by scripts/with-redis.sh.
#
#   make test-admin [TEST_ADMIN_REDIS_PORT=6411]
#
# The port is not TEST_NGINX_REDIS_PORT's default (6399), so that this
# suite and the nginx suites can run side by side; the Redis there is
# flushed, and a port where something already answers is refused.

TEST_ADMIN_REDIS_PORT ?= 6411

.PHONY: test-admin

test-admin: $(WA_ADMIN)
	TEST_NGINX_REDIS_PORT=$(TEST_ADMIN_REDIS_PORT) BUILD=$(BUILD) \
	WA_ADMIN=$(WA_ADMIN) \
	    sh scripts/with-redis.sh sh tests/admin/test-admin.sh
