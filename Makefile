# The two commands of the quick start: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
# Every build here checks its SQL against the committed .sqlx/ (offline), never against DATABASE_URL's
# database, which may not exist yet or not be migrated. scripts/sqlx.sh is the one place that goes live.
export SQLX_OFFLINE := true

.PHONY: run test test-faults lint sqlx-prepare db db-stop admin bench bench-analytics clean-test-dbs

## make run: start PostgreSQL (project-local unless DATABASE_URL is set), migrate, load the bank, serve.
run:
	@db_env="$$(scripts/db.sh)"; eval "$$db_env"; \
	$(CARGO) build --release --bin ai102; \
	echo ""; \
	echo "  ai102 is starting on http://$${BIND:-127.0.0.1:8080}"; \
	echo "  Create the first admin in another terminal with:"; \
	echo "    DATABASE_URL=$$DATABASE_URL target/release/ai102 user create --email you@example.com --role admin"; \
	echo ""; \
	export PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$${BIND:-127.0.0.1:8080}}"; \
	exec target/release/ai102 serve

## make test: formatting, lints and the whole test suite against a real PostgreSQL, headless Chromium and a real
## SMTP server (aiosmtpd, scripts/smtp.sh) and a real OpenID provider (oidc-provider from npm, scripts/oidc.sh), then
## schemathesis against the JSON API's OpenAPI document.
test:
	@db_env="$$(scripts/db.sh)"; eval "$$db_env"; \
	scripts/browser.sh; \
	scripts/smtp.sh >/dev/null; \
	scripts/oidc.sh; \
	$(MAKE) --no-print-directory clean-test-dbs; \
	$(CARGO) fmt --all -- --check; \
	$(CARGO) clippy --all-targets -- -D warnings; \
	$(CARGO) test --all-targets --no-fail-fast; \
	CARGO=$(CARGO) scripts/schemathesis.sh; \
	$(MAKE) --no-print-directory clean-test-dbs

## make test-faults: kill -9 under load, a PostgreSQL restart, skewed clocks, three instances behind nginx
## (tests/faults/run.sh; installs Debian's nginx and faketime when missing; about 2 minutes).
test-faults:
	@tests/faults/run.sh

## Drop the databases the integration tests created (each test makes its own, ai102_test_*, cloned from
## the migrated template ai102_tmpl_<hash of the migrations>, which goes too: the next run makes it again).
clean-test-dbs:
	@db_env="$$(scripts/db.sh)"; eval "$$db_env"; \
	command -v psql >/dev/null || exit 0; \
	for d in $$(psql "$$DATABASE_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'ai102\_test\_%' OR datname LIKE 'ai102\_tmpl\_%'"); do \
	  psql "$$DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$$d\" WITH (FORCE)" >/dev/null; \
	done

## make lint: formatting, clippy, and .sqlx/ up to date with the queries (against a freshly migrated scratch
## database; installs sqlx-cli into .tools/ when missing).
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	CARGO=$(CARGO) scripts/sqlx.sh check

## make sqlx-prepare: rewrite .sqlx/ after changing a query (commit it with the query).
sqlx-prepare:
	@CARGO=$(CARGO) scripts/sqlx.sh prepare

db:
	@scripts/db.sh

db-stop:
	@scripts/db.sh stop

## make bench: the benchmarks of docs/performance.md (ceilings and our figures in the same run).
bench:
	@bench/run.sh

## make bench-analytics: the analytics pages at 100,000 seeded attempts (docs/performance.md).
bench-analytics:
	@bench/analytics.sh
