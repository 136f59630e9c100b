# Two commands for a fresh clone (README.md):  make fig4   and   make test
# Each one creates .venv and installs the project first when needed.

VENV   ?= .venv
PY     := $(VENV)/bin/python
# Python 3.11 to 3.14 (NumPy 2; README "Two commands"). The first of PYTHONS that really runs and is
# in that range, in this fixed order (not "the newest"), so one machine always gets the same venv:
# 3.12 first, the stack of the GPU check's machines, then 3.13 (Debian 13's python3), 3.11, 3.14.
# pyenv shims exist for versions that are not active, so `command -v` alone is not enough.
PYTHONS ?= python3.12 python3.13 python3.11 python3.14 python3
PYTHON  ?= $(shell for p in $(PYTHONS); do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 14))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: setup fig2 fig3 fig4 fig5 music architectures figures report verify verify-quick test gpu-check gpu-wheels bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "error: need Python 3.11, 3.12, 3.13 or 3.14; set PYTHON=/path/to/python3.13"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(PY) -m pip install -q -r requirements.txt
	touch $@

fig4: setup
	$(PY) experiments/fig4_mnist_loss.py $(ARGS)
fig3: setup
	$(PY) experiments/fig3_mnist_latent.py $(ARGS)
fig2: setup
	$(PY) experiments/fig2_mnist_samples.py $(ARGS)
fig5: setup
	$(PY) experiments/fig5_midi_loss.py $(ARGS)
music: setup
	$(PY) experiments/generate_music.py $(ARGS)
architectures: setup
	$(PY) experiments/architectures.py $(ARGS)
figures: fig4 fig3 fig2 fig5 music

# MPI for data-parallel training (mpi4py and Open MPI, both wheels): `make test` runs the 2-process
# test, so it installs them; the scripts alone do not need them.
$(VENV)/.installed-mpi: $(VENV)/.installed requirements-mpi.txt
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(PY) -m pip install -q -r requirements-mpi.txt
	touch $@

# REPRODUCE.md's number blocks and results/index.html, from results/*.json (the same tables).
report: setup
	$(PY) tools/update_reproduce.py
	$(PY) tools/make_report.py $(ARGS)

# Rerun the committed figures into a scratch folder (never results/) and compare: one table, exit 1
# outside a tolerance.  `make verify ARGS=--quick` (minutes), `make verify ARGS="fig4"`, `make verify` (all).
verify: setup
	$(PY) tools/verify.py $(ARGS)
verify-quick: setup
	$(PY) tools/verify.py --quick $(ARGS)

test: setup $(VENV)/.installed-mpi
	$(PY) -m pytest -q $(ARGS)

# The GPU check (README: GPU; tools/gpu_check.py --help), where pip works: CuPy 14 for CUDA 13 and
# the CUDA 13 libraries it uses (requirements-gpu.txt, 0.65 GB of downloads once; a driver >= 580)
# and MPI. CuPy 14 has no cuDNN at all: Chainer runs the conv networks as im2col + cuBLAS and the
# LSTM with n_step_lstm_base (the paper's MLPs never use cuDNN). NCCL, for the one_rank part
# (--communicator pure_nccl), is optional: make gpu-check GPU_EXTRAS=nvidia-nccl-cu13 (207 MB).
# On a CPU (no installs): .venv/bin/python tools/gpu_check.py --device -1 --quick
GPU_EXTRAS ?=
$(VENV)/.installed-gpu: $(VENV)/.installed-mpi requirements-gpu.txt
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(PY) -m pip install -q -r requirements-gpu.txt $(GPU_EXTRAS)
	touch $@

gpu-check: $(VENV)/.installed-gpu
	$(PY) tools/gpu_check.py $(ARGS)

# A stock GPU machine without network (Python 3.12, NumPy 2, CuPy 14 for CUDA 13, SciPy, matplotlib):
# `make gpu-wheels` here puts the other wheels it needs in .wheels-gpu/ (about 33 MB); carry that
# folder with the checkout, and there run   sh tools/gpu_check_offline.sh --midi-dir DIR
# (installs them into a temporary folder and runs tools/gpu_check.py). ARGS: --python 3.13, --mpi.
gpu-wheels: setup
	$(PY) tools/gpu_wheels.py $(ARGS)

# Benchmarks (BENCHMARKS.md): ours vs PyTorch and music21, in their own venv with PyTorch.
# `make bench ARGS=--quick` for a fast check; BENCH_THREADS sets BLAS/torch threads for both sides.
BENCH_VENV    ?= .venv-bench
BPY           := $(BENCH_VENV)/bin/python
BENCH_THREADS ?= 1
BENCHES       := bench_mnist_epoch bench_midi_epoch bench_kernels bench_nets \
                 bench_midi_convert bench_memory bench_reproduce bench_loglik

$(BENCH_VENV)/.installed: benchmarks/requirements.txt requirements.txt constraints.txt pyproject.toml
	test -x $(BPY) || $(PYTHON) -m venv $(BENCH_VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BPY) -m pip install -q -r requirements.txt -r benchmarks/requirements.txt
	touch $@

bench: $(BENCH_VENV)/.installed
	@for b in $(BENCHES); do echo "== $$b"; \
	  $(BPY) benchmarks/$$b.py --threads $(BENCH_THREADS) $(ARGS) || exit 1; done

# The walkthrough notebook (notebooks/walkthrough.ipynb), executed in place with its outputs: every
# cell in order in a fresh kernel, about 15 s (tools/execute_notebook.py; --check writes nothing).
.PHONY: notebook
notebook: setup
	$(PY) tools/execute_notebook.py notebooks/walkthrough.ipynb

clean:
	rm -rf $(VENV) results/runs .pytest_cache
