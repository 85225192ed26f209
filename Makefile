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

.PHONY: demo test lint deps test-deps install build sample clean bench qgis-check

## demo: install what is missing, build, and run the Tianjin plan on the sample district
demo: build
	$(BIN) run examples/tianjin-plan.toml

## test: the whole test suite (unit, integration, CLI, doc tests)
test: deps test-deps
	$(CARGO) test --all-targets
	$(CARGO) test --doc

## lint: formatting and clippy, as CI checks them
lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

build: deps
	$(CARGO) build --bins

## bench: micro benchmarks, the scale series raced against GeoPandas, the street network raced
## against pandana, siting against spopt, Tianjin's districts against GeoPandas, a city's maps
## (slow: not in CI)
# The peer (benches/peer/) is installed into a virtual environment outside the repository
# by benches/scale.sh; see BENCHMARKS.md for what it measures and the figures.
bench: deps
	$(CARGO) bench --bench micro
	benches/scale.sh
	benches/network.sh
	benches/siting.sh
	benches/districts.sh
	benches/maps.sh

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
