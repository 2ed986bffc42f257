# The book in two commands (see README.md):
#   make book    set up .venv, fetch the data, execute every chapter with papermill, the PDF, the site
#   make test    set up (if not done), then unit tests + sync + nbval, PDF and site builds, their tests
# Other targets:
#   make site                         only the website, from the committed book/*.ipynb
#   make chapter CH=04_toy_task [PARAMS="-p profile paper"]
#                                     one chapter; with PARAMS the run goes to _build/runs/ so the
#                                     committed quick-profile notebook in book/ stays as it is
#   make test-slow                    end-to-end runs that reproduce headline numbers (minutes)
#   make lighthouse                   Lighthouse 12 (npm) on every chapter page of the built site
#   make pdf                          the whole book as one A4 PDF, _build/pdf/gradient-starvation-
#                                     book.pdf (about a minute: Sphinx's singlehtml edition printed
#                                     by Debian's Chromium); a later `make site` links to it
#   make test-pdf                     the PDF's checks (contents, figures, links, nothing cut)
#   make colab                        the Colab editions colab/*.ipynb from book/*.ipynb (commit
#                                     gsutils first: the editions install the commit they name)
#   make test-colab                   the Colab simulation of every chapter; records its run times
#                                     in results/timings.json (then commit, and `make colab`)
#   make timings                      results/timings.json from book/*.ipynb; re-glues the headers
#   make student                      student notebooks (solutions removed) and teacher notebooks,
#                                     for Jupyter and Colab, from book/*.ipynb into _build/student/
#                                     and _build/teacher/ (a README.md in each says how to use them)
#   make exercise-results             the committed runs results/exercise-*.json that the solutions
#                                     of chapters 5-9 read (quick profile, one change each; minutes)
#   make setup | data | fashion-mnist | assets | browser | poppler | colab-venv | lock | clean
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
LOCK := requirements/book.txt
TORCH := torch==2.14.1 torchvision==0.29.1
# Optional, e.g. TORCH_INDEX=https://download.pytorch.org/whl/cpu on a machine without GPU: the CPU
# wheels skip ~3 GB of CUDA libraries (most of the set-up time).
TORCH_INDEX ?=
CHAPTERS = $(sort $(wildcard chapters/*.md))
PYTEST_ARGS ?=
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Colab's package versions (requirements/colab.txt) with .venv's torch linked in: the Colab simulation.
COLAB_VENV := _build/colab-venv

.PHONY: help book site timings test test-slow test-colab colab student colab-venv chapter exercise-results setup data fashion-mnist assets browser poppler lock clean lighthouse pdf test-pdf

help:
	@sed -n '1,/^SHELL/p' Makefile | grep '^#' | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------- set-up
# The stamp is rebuilt when the pins or the package metadata change.
$(VENV)/.installed: $(LOCK) pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install --disable-pip-version-check -q -c $(LOCK) $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PIP) install --disable-pip-version-check -q -r $(LOCK)
	$(PIP) install --disable-pip-version-check -q -c $(LOCK) -e ".[robustness,sweep]"
	touch $@

setup: $(VENV)/.installed

data: setup fashion-mnist
	$(PY) -m gsutils fetch-data

# Debian's Fashion-MNIST for the robustness chapter's stand-in (/usr/share/datasets/fashion-mnist).
fashion-mnist:
	@if [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist; \
	fi

# Site scripts, fetched once into the ignored .vendor/ (nothing is fetched at page load).
.vendor/static/.complete: scripts/fetch_assets.sh scripts/subset_icons.py $(VENV)/.installed
	scripts/fetch_assets.sh $(PY)

assets: .vendor/static/.complete

# Rebuilt only when requirements/colab.txt or scripts/colab_venv.py changes (the script keeps a stamp).
colab-venv: setup
	$(PY) scripts/colab_venv.py $(COLAB_VENV)

# Debian's Chromium for the browser test (Playwright never downloads a browser here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	fi

# Debian's poppler-utils: pdftotext, with which the PDF's test finds text cut at a page's edge.
poppler:
	@if ! command -v pdftotext >/dev/null; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q poppler-utils; \
	fi

# ---------------------------------------------------------------- the book
book: setup data assets
	@for ch in $(CHAPTERS); do \
	  start=$$(date +%s); echo "== executing $$ch"; \
	  $(PY) -m gsutils execute $$ch; \
	  echo "   $$ch: $$(( $$(date +%s) - start )) s"; \
	done
	$(PY) -m gsutils timings
	$(MAKE) --no-print-directory pdf
	$(MAKE) --no-print-directory site

# The chapters' run times, from the executed notebooks (`make book` does this after executing them).
timings: setup
	$(PY) -m gsutils timings

# Fresh (-E via --all) so that every warning of every page is seen; -W: warnings are errors.
site: setup assets
	$(VENV)/bin/jupyter-book build . --all -W -n --keep-going

# The printed book (scripts/build_pdf.py): offline, from the committed book/*.ipynb like the site.
pdf: setup assets browser
	$(PY) scripts/build_pdf.py

# The Colab editions, made from the executed notebooks; they pin gsutils to HEAD, so commit gsutils/
# and pyproject.toml first (the generator refuses otherwise), then commit colab/.
colab: setup
	$(PY) -m gsutils.colab

# The course notebooks (gsutils/student.py); the Colab ones pin gsutils to HEAD, like `make colab`.
student: setup
	$(PY) -m gsutils.student

chapter: setup data
	@[ -n "$(CH)" ] || { echo "usage: make chapter CH=04_toy_task [PARAMS=\"-p profile paper\"]"; exit 2; }
	@if [ -z "$(PARAMS)" ]; then \
	  $(PY) -m gsutils execute chapters/$(CH).md && $(PY) -m gsutils timings; \
	else \
	  mkdir -p _build/runs; \
	  $(PY) -m gsutils execute chapters/$(CH).md $(PARAMS) --output _build/runs/$(CH).ipynb; \
	  echo "wrote _build/runs/$(CH).ipynb (book/ keeps the default-parameter run)"; \
	fi

# What each exercise's solution reads: the chapter's quick profile with the one change the exercise
# asks for (the solution cells say which file answers which exercise). Rerun after changing an experiment.
EXERCISE_RUN = $(PY) -m gsutils run --no-progress
exercise-results: setup data
	$(EXERCISE_RUN) colored_mnist --set methods=SD --set recipes.SD.method.warmup_steps=0 --out results/exercise-05-sd-no-warmup.json
	$(EXERCISE_RUN) colored_mnist --set methods=SD --set recipes.SD.n_per_env=10000 --out results/exercise-05-sd-all-digits.json
	$(EXERCISE_RUN) celeba --set methods=ERM,SD --set standin.border=2 --out results/exercise-06-border-2.json
	$(EXERCISE_RUN) celeba --set methods=SD --set recipes.SD.method.sd_gamma=0.44,0.44 --out results/exercise-06-sd-gamma-equal.json
	$(EXERCISE_RUN) celeba --set methods=SD --set recipes.SD.method.sd_gamma=0,2.5 --out results/exercise-06-sd-gamma-zero.json
	$(EXERCISE_RUN) robustness --set two_class.epochs=8 --set runs.fashion_mnist_small_cnn.sd_coef=0.1 --out results/exercise-07-longer-stronger.json
	$(EXERCISE_RUN) colored_mnist --set methods=ERM,SD --out results/exercise-09-colour-default.json
	$(EXERCISE_RUN) colored_mnist --set methods=ERM,SD --set train_flips=0.15,0.25 --out results/exercise-09-colour-weaker.json

# ---------------------------------------------------------------- tests
# Includes the Colab simulation of Colored MNIST and CelebA (tests/test_colab_run.py).
# The PDF is printed before the site is built, so that the site links to it (about a minute).
test: setup data assets browser poppler colab-venv
	$(PY) -m pytest -m "not browser and not site and not slow and not colab and not pdf" tests book $(NBVAL) $(PYTEST_ARGS)
	$(MAKE) --no-print-directory pdf
	$(MAKE) --no-print-directory site
	$(PY) -m pytest -m "site or browser or pdf" tests $(PYTEST_ARGS)

test-pdf: setup poppler
	$(PY) -m pytest -m pdf tests/test_pdf.py $(PYTEST_ARGS)

# End-to-end runs that reproduce headline numbers (minutes each; not part of `make test`).
test-slow: setup data
	$(PY) -m pytest -m slow tests $(PYTEST_ARGS)

# Desktop and mobile performance of every chapter page, served gzipped (README's table).
lighthouse: browser
	$(PY) benchmarks/lighthouse.py

# The Colab simulation of every chapter (tests/test_colab_run.py), Colored MNIST and CelebA again
# included: each run time goes into results/timings.json, and the chapter headers are re-glued
# (also when an edition fails: the others' times are kept).
test-colab: setup colab-venv
	GSUTILS_RECORD_TIMINGS=1 $(PY) -m pytest tests/test_colab_run.py -k fresh_colab_runtime $(PYTEST_ARGS) \
	  || status=$$?; $(PY) -m gsutils timings; exit $${status:-0}

# ---------------------------------------------------------------- maintenance
lock:
	scripts/lock.sh $(VENV)/bin/pip "$(TORCH)"

clean:
	rm -rf _build .vendor
