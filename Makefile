# lifecircle: the two commands a fresh machine needs are `make demo` and `make test`.
#
# The proj crate builds the PROJ C++ library from source (bundled_proj), which needs
# cmake, a C++ compiler, sqlite3 and the SQLite headers. Maps label communities in Chinese,
# so they need a CJK font: Debian's fonts-noto-cjk (Noto Sans CJK SC); the tests also
# use DejaVu Sans (fonts-dejavu-core) as a font without Chinese glyphs. `make deps` installs
# whichever are missing with apt-get (Debian/Ubuntu; as root or through sudo).
# The tests also open results.gpkg with GDAL (gdal-bin: ogrinfo) and the report in headless
# Chromium (chromium); `make test-deps` installs those.

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
BIN := $(TARGET_DIR)/debug/lifecircle
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint deps test-deps install build sample clean bench qgis-check qgis-test qgis-deps qgis-plugin qgis-screenshots

## demo: install what is missing, build, and run the Tianjin plan on the sample district
demo: build
	$(BIN) run examples/tianjin-plan.toml

## test: the whole test suite (unit, integration, CLI, doc tests), then the QGIS checks
test: deps test-deps
	$(CARGO) test --all-targets
	$(CARGO) test --doc
	$(MAKE) --no-print-directory qgis-test

## qgis-test: the run's QGIS project opened in QGIS itself, headless (from the .qgs and from
## results.gpkg, in English and Chinese: layers, themes, each layout exported to PDF and
## rasterised), and the Processing plugin run through processing.run against the CLI.
## Installs Debian's python3-qgis and poppler-utils if missing. Pictures to look at land in
## $(QGIS_TEST_OUT)/png.
QGIS_TEST_OUT ?= out/qgis-test
qgis-test: build qgis-deps
	rm -rf $(QGIS_TEST_OUT) && mkdir -p $(QGIS_TEST_OUT)/work
	$(BIN) run examples/tianjin-plan.toml --out $(QGIS_TEST_OUT)/en --no-maps --no-report --quiet
	$(BIN) run examples/tianjin-plan.toml --out $(QGIS_TEST_OUT)/zh --lang zh --no-maps --no-report --quiet
	QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_project.py $(QGIS_TEST_OUT)/en $(QGIS_TEST_OUT)/png
	QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_project.py $(QGIS_TEST_OUT)/zh $(QGIS_TEST_OUT)/png
	QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_processing.py $(BIN) . $(QGIS_TEST_OUT)/work

## qgis-screenshots: QGIS desktop (Debian's qgis, installed if missing) under Xvfb with the
## sample's project open: each theme, the layout designer, the plugin's dialog, into
## out/qgis-screenshots/ (docs/qgis/ keeps a set). Not part of `make test`.
qgis-screenshots: build
	@command -v qgis >/dev/null 2>&1 || $(MAKE) --no-print-directory install PACKAGES="qgis xvfb" WHY="for make qgis-screenshots"
	rm -rf out/qgis-screenshots && mkdir -p out/qgis-screenshots/home
	$(BIN) run examples/tianjin-plan.toml --out out/qgis-screenshots/run --no-maps --no-report --quiet
	HOME=$(CURDIR)/out/qgis-screenshots/home LIFECIRCLE_SHOTS=$(CURDIR)/out/qgis-screenshots \
	  LIFECIRCLE_REPO=$(CURDIR) LIFECIRCLE_EXECUTABLE=$(BIN) \
	  xvfb-run -a -s "-screen 0 1400x900x24" qgis --noversioncheck --nologo --noplugins \
	  --project "$$(ls out/qgis-screenshots/run/*.qgs)" --code tests/qgis/screenshots.py

qgis-deps:
	@missing=""; \
	PYTHONPATH=/usr/share/qgis/python/plugins /usr/bin/python3 -c "import qgis.core, processing" 2>/dev/null || missing="$$missing python3-qgis qgis-providers"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	$(MAKE) --no-print-directory install PACKAGES="$$missing" WHY="for the QGIS checks"

## qgis-plugin: the QGIS plugin as a zip to install (Plugins > Manage and Install Plugins >
## Install from ZIP): out/lifecircle-qgis-<version>.zip
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
qgis-plugin:
	@grep -q "^version=$(VERSION)$$" qgis/lifecircle/metadata.txt || \
	  { echo "make: qgis/lifecircle/metadata.txt's version is not $(VERSION) (Cargo.toml)"; exit 1; }
	mkdir -p out && rm -f out/lifecircle-qgis-$(VERSION).zip
	cd qgis && python3 -c "import sys, zipfile, pathlib; \
	  z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED); \
	  [z.write(p, p.as_posix()) for p in sorted(pathlib.Path('lifecircle').rglob('*')) \
	   if p.is_file() and '__pycache__' not in p.parts]; z.close()" ../out/lifecircle-qgis-$(VERSION).zip
	@echo "make: wrote out/lifecircle-qgis-$(VERSION).zip"

## lint: formatting and clippy, as CI checks them
lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

build: deps
	$(CARGO) build --bins

## bench: micro benchmarks, the scale series raced against GeoPandas, the street network raced
## against pandana, siting against spopt, Tianjin's districts against GeoPandas, a city's maps,
## 1M communities as 8 tiles against one run (slow: not in CI)
# The peer (benches/peer/) is installed into a virtual environment outside the repository
# by benches/scale.sh; see BENCHMARKS.md for what it measures and the figures.
bench: deps
	$(CARGO) bench --bench micro
	benches/scale.sh
	benches/network.sh
	benches/siting.sh
	benches/districts.sh
	benches/maps.sh
	benches/tiles.sh

## qgis-check: open the demo's results.gpkg and GeoJSON layers in QGIS (Debian's python3-qgis,
## installed if missing), check every layer opens styled as designed, and render PNGs to look at
## (QGIS_PNG-gpkg.png, -geojson.png, -gpkg-<category>.png). Not part of `make test`.
QGIS_OUT ?= out/qgis-check
QGIS_PNG ?= $(QGIS_OUT)/qgis
qgis-check: build
	@/usr/bin/python3 -c "import qgis.core" 2>/dev/null || \
	  $(MAKE) --no-print-directory install PACKAGES="python3-qgis qgis-providers" WHY="for make qgis-check"
	$(BIN) run examples/tianjin-plan.toml --out $(QGIS_OUT) --no-maps --no-report --quiet
	QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_gpkg.py $(QGIS_OUT) $(QGIS_PNG)

## sample: regenerate data/teda from examples/make_sample_district.rs
sample:
	$(CARGO) run --example make_sample_district -- data/teda

## deps: install the system packages the bundled PROJ build needs, if missing
deps:
	@missing=""; \
	command -v cmake >/dev/null 2>&1 || missing="$$missing cmake"; \
	command -v g++ >/dev/null 2>&1 || missing="$$missing g++"; \
	command -v sqlite3 >/dev/null 2>&1 || missing="$$missing sqlite3"; \
	[ -f /usr/include/sqlite3.h ] || missing="$$missing libsqlite3-dev"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk fontconfig"; \
	fc-list 2>/dev/null | grep -q "DejaVu Sans" || missing="$$missing fonts-dejavu-core"; \
	$(MAKE) --no-print-directory install PACKAGES="$$missing" WHY="to build PROJ and draw maps"
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "make deps: cargo not found: install Rust from https://rustup.rs"; exit 1; }

## test-deps: GDAL's ogrinfo and Chromium, which the tests use to check the GeoPackage and the
## report, and GNU time, which measures a reader's peak memory
test-deps:
	@missing=""; \
	command -v ogrinfo >/dev/null 2>&1 || missing="$$missing gdal-bin"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	$(MAKE) --no-print-directory install PACKAGES="$$missing" WHY="for the tests"

# install PACKAGES="..." WHY="...": apt-get install the packages named, if any.
install:
	@if [ -n "$(strip $(PACKAGES))" ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing $(strip $(PACKAGES)) ($(WHY))"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(PACKAGES) >/dev/null || exit 1; \
	  else \
	    echo "make: please install $(strip $(PACKAGES)) ($(WHY))"; exit 1; \
	  fi; \
	fi

clean:
	$(CARGO) clean
	rm -rf out
