# Every target bootstraps .venv itself: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: demo test bench bench-retention bench-search bench-alerts bench-hotlist bench-hotlist-import bench-ocr bench-cli train-ocr lint serve clean broker bench-integrations bench-scale

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make demo: the main job on the embedded store (SQLite + ./alpr-data), then serve the API
demo: $(STAMP)
	$(BIN)/alpr demo $(ARGS)

# Browser tests drive Debian's Chromium; install it when the machine lacks it.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium chromium-driver >/dev/null; }

# MQTT tests (Frigate in, alerts out) use a real Mosquitto on 127.0.0.1:1883: install and
# start it when the machine lacks it.
MOSQUITTO := /usr/sbin/mosquitto
$(MOSQUITTO):
	$(SUDO) apt-get install -y -q mosquitto >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q mosquitto >/dev/null; }

broker: $(MOSQUITTO)
	@$(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 1883), 1)" 2>/dev/null \
	  || $(SUDO) service mosquitto start >/dev/null 2>&1 || $(MOSQUITTO) -d -p 1883

## make test: the whole suite on SQLite and on PostgreSQL (browser tests included), then lint and type checks
test: $(STAMP) $(CHROMIUM) broker
	$(BIN)/pytest $(ARGS)
	$(BIN)/ruff check $(wildcard src tests bench training)
	$(BIN)/mypy

## make bench: benchmarks that print tables (never run by the tests)
bench: $(STAMP)
	$(BIN)/python -m bench.ingest $(ARGS)
	$(BIN)/python -m bench.hotlist
	$(BIN)/python -m bench.alerts
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.retention

## make bench-hotlist: hot-list matching cost per read against 1,000,000 entries
bench-hotlist: $(STAMP)
	$(BIN)/python -m bench.hotlist $(ARGS)

## make bench-hotlist-import: importing a 1,000,000-record CLEW file (time, memory; /health and ingest meanwhile)
bench-hotlist-import: $(STAMP)
	$(BIN)/python -m bench.hotlist_import $(ARGS)

## make bench-retention: purging a day of 1M reads (partition drop) vs a plain DELETE
bench-retention: $(STAMP)
	$(BIN)/python -m bench.retention $(ARGS)

## make bench-search: search latency with purpose and audit, next to raw SQL
bench-search: $(STAMP)
	$(BIN)/python -m bench.search $(ARGS)

## make bench-cli: CLI start-up time, next to the old eager start
bench-cli: $(STAMP)
	$(BIN)/python -m bench.cli $(ARGS)

## make bench-alerts: read POSTed → alert on the SSE stream, through a real server
bench-alerts: $(STAMP)
	$(BIN)/python -m bench.alerts

## make bench-integrations: reads/s through each foreign adapter next to the native batch API
bench-integrations: $(STAMP)
	$(BIN)/python -m bench.integrations $(ARGS)
## make bench-scale: reads/s for 1, 2, 4 `alpr worker` processes via NATS JetStream, next to raw COPY
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale $(ARGS)

## make bench-ocr: recognition accuracy and speed on ../shared/data (docs/recognition.md)
bench-ocr: $(STAMP)
	$(BIN)/python -m bench.recognition $(ARGS)

# Fonts the synthetic plates are drawn in (alpr.recognition.synth); Debian packages.
PLATE_FONTS := fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-croscore \
	fonts-roboto-unhinted fonts-open-sans

## make train-ocr: retrain the plate reader (CPU is enough; see docs/recognition.md)
train-ocr: $(STAMP)
	dpkg -s $(PLATE_FONTS) >/dev/null 2>&1 || $(SUDO) apt-get install -y -q $(PLATE_FONTS) \
	  >/dev/null 2>&1 || { $(SUDO) apt-get update -q >/dev/null && \
	  $(SUDO) apt-get install -y -q $(PLATE_FONTS) >/dev/null; }
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	$(BIN)/python training/train_ocr.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check $(wildcard src tests bench training)
	$(BIN)/ruff format --check $(wildcard src tests bench training)
	$(BIN)/mypy

serve: $(STAMP)
	$(BIN)/alpr serve $(ARGS)

clean:
	rm -rf $(VENV) alpr-data .pytest_cache .mypy_cache .ruff_cache
