# The README's two commands.  Both install what is missing first (apt-get,
# as root), then build and run; scripts/test.sh runs every suite and ends
# with one summary line.

.PHONY: test test-all demo

test: deps
	$(MAKE) --no-print-directory test-all

# Every suite, even after one fails, so one run shows everything.
test-all:
	sh scripts/test.sh

demo: deps
	$(MAKE) --no-print-directory demo-run

# The example Prometheus rules (examples/prometheus, docs/observability.md):
# promtool checks them and runs their unit tests.  The metrics text itself
# is checked by the Test::Nginx suites (t/030-metrics.t, t/031-telemetry.t).
.PHONY: test-prometheus

test-prometheus:
	bash tests/prometheus/check-rules.sh
