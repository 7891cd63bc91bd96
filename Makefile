# Every target sets itself up first (venv from requirements.lock, spaCy pipeline, model), so a fresh
# clone needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help setup lint chaos staff-user review-export review-eval bench-inbox train model run shell test test-unit test-data test-stories test-nlu test-e2e test-browser eval-nlu eval-safety eval-real eval-steps docs-figures bench run-production loadtest soak report prune handoff-redeliver clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup:  ## Create .venv (Python 3.8-3.10, pinned deps) and the spaCy pipeline; no-op when up to date
	@bash scripts/setup.sh

lint: setup  ## ruff (lint + format check) and mypy (pyproject.toml); hadolint and systemd-analyze on deploy/
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && bash scripts/lint_deploy.sh

model: setup  ## Train a model only if none exists for the current data/config
	@bash scripts/model.sh >/dev/null

train: setup  ## Train the model again, even if one exists for the current data
	@FORCE_TRAIN=1 bash scripts/model.sh

run: model  ## Start action server, Rasa (REST on :5005) and the demo page (:8080); Ctrl-C stops all
	@bash scripts/run.sh

shell: model  ## Chat in the terminal (starts the action server in the background)
	@bash scripts/shell.sh

test: model  ## Run every test: unit, data validation, stories, NLU holdout, end to end, browser
	@bash scripts/test.sh $(PYTEST_ARGS)

test-unit: setup  ## Content schema, grounding, actions with tracker fixtures, safety net
	@source scripts/env.sh && $(PY) -m pytest -q tests --ignore=tests/integration --ignore=tests/e2e --ignore=tests/browser --ignore=tests/production -m "not reliability" $(PYTEST_ARGS)

test-data: setup  ## rasa data validate, failing on any warning
	@bash scripts/validate_data.sh

test-stories: model  ## Test stories (tests/stories); any failed story fails
	@bash scripts/test_stories.sh

eval-nlu: model  ## Held-out NLU report: accuracy, per-intent F1, out-of-scope precision/recall -> results/nlu.json
	@source scripts/env.sh && $(PY) -m scripts.eval_nlu --model "$$(bash scripts/model.sh)"

eval-real: model  ## Real people's messages over REST (tests/real_users): right/wrong/did-you-mean/declined, safety -> results/real_users.json
	@source scripts/env.sh && $(PY) -m scripts.eval_real --model "$$(bash scripts/model.sh)" $(EVAL_REAL_ARGS)

docs-figures: setup  ## Write the measured figures in docs/ from results/*.json (tests check they match)
	@source scripts/env.sh && $(PY) -m scripts.docs_figures

eval-steps: model  ## What each NLU step does to the dev set's real messages (moves between outcomes) -> results/nlu_steps.json
	@source scripts/env.sh && $(PY) -m scripts.eval_steps --model "$$(bash scripts/model.sh)"

eval-safety: setup  ## Safety recall / false-alarm report -> results/safety.json
	@source scripts/env.sh && $(PY) -m scripts.eval_safety

run-production: model  ## Production profile: PostgreSQL tracker store, Redis lock store, 2+2 workers (docs/production.md)
	@bash scripts/run_production.sh

loadtest: setup  ## Load test a running deployment: URL=... C=10 DURATION=60 REQUESTS=2000 (loopback only unless ALLOW_REMOTE=1)
	@source scripts/env.sh && $(PY) -m scripts.loadtest --url '$(or $(URL),http://127.0.0.1:5005/webhooks/rest/webhook)' \
	  -c $(or $(C),10) -d $(or $(DURATION),60) -n $(or $(REQUESTS),2000) $(if $(ALLOW_REMOTE),--allow-remote) $(if $(JSON),--json '$(JSON)')

soak: model  ## Soak test on loopback: USERS=20 conversations for MINUTES=30 -> results/soak.json (errors, latency drift, memory)
	@source scripts/env.sh && $(PY) -m scripts.soak --minutes $(or $(MINUTES),30) --users $(or $(USERS),20)

bench: model  ## Latency, throughput, cold start, training time and memory -> results/bench.json
	@source scripts/env.sh && $(PY) -m scripts.bench --model "$$(bash scripts/model.sh)"

report: setup  ## Deflection report (HTML + JSON) for FROM=YYYY-MM-DD TO=YYYY-MM-DD (default: last 30 days) -> reports/
	@source scripts/env.sh && $(PY) -m scripts.report $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) $(if $(DB_URL),--db-url '$(DB_URL)') $(if $(OUT),--out-dir $(OUT))

prune: setup  ## Retention: delete conversations, hand-offs and feedback older than DAYS days (default: RETENTION_DAYS)
	@source scripts/env.sh && $(PY) -m scripts.prune $(if $(DAYS),--days $(DAYS)) $(if $(DB_URL),--db-url '$(DB_URL)') $(if $(DRY_RUN),--dry-run)

handoff-redeliver: setup  ## Retry hand-off requests the webhook did not accept (HANDOFF_WEBHOOK_URL)
	@source scripts/env.sh && $(PY) -m scripts.handoff_redeliver $(if $(DB_URL),--db-url '$(DB_URL)')

staff-user: setup  ## Create a staff user for the review inbox (/staff/): STAFF=alice (asks for the password)
	@source scripts/env.sh && $(PY) -m scripts.staff_user '$(STAFF)' $(if $(DB_URL),--db-url '$(DB_URL)')

review-export: setup  ## Staff labels -> data/nlu/reviewed.yml, then rasa data validate (fails unless clean; one group in five held back)
	@source scripts/env.sh && $(PY) -m scripts.review_export $(if $(DB_URL),--db-url '$(DB_URL)') $(if $(ALL),--all)

review-eval: model  ## The model make run serves (or OLD=models/....tar.gz) vs the new one on the held-back labels -> results/review_eval.json
	@source scripts/env.sh && $(PY) -m scripts.review_eval $(if $(OLD),--old '$(OLD)') --new "$$(bash scripts/model.sh)" $(if $(DB_URL),--db-url '$(DB_URL)')

bench-inbox: setup  ## Review inbox on N=100000 seeded conversations, SQLite and a throwaway PostgreSQL: sync, opening it over HTTP -> results/inbox.json
	@source scripts/env.sh && $(PY) -m scripts.bench_inbox -n $(or $(N),100000) --postgres

chaos: model  ## Kill a random server every 30 s while 20 users talk, both profiles, 10 min each -> results/chaos.json
	@source scripts/env.sh && $(PY) -m scripts.chaos --minutes $(or $(MINUTES),10) --users $(or $(USERS),20) --kill-every $(or $(EVERY),30) $(if $(PROFILE),--profile $(PROFILE))

clean:  ## Remove the venv, models and local databases
	rm -rf .venv models rasa_tracker.db test-artifacts .pytest_cache
