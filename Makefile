# The two commands a newcomer needs:  make app   and   make test
.PHONY: app test setup lint bench

app: setup
	.venv/bin/python -m streamlit run app.py

test:
	scripts/setup.sh --test
	.venv/bin/python -m pytest -n 2

setup:
	scripts/setup.sh

lint:
	.venv/bin/ruff check .

bench: setup
	for b in bench/bench_*.py; do .venv/bin/python $$b; done
