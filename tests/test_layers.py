"""The package's layers point one way, and the paper's core is closed (README: Layout).

The imports of every module of chainer_vae -- at the top and inside functions -- are read from
its source.  There is no import cycle; each module imports only its own layer or the layers below
it; the core (the model, the objective, the training loop) reaches none of the data kinds, the
command line, the results page, MPI or the shipped models; and a function-level import of the
project's own code is one of the few listed below, each with its reason.
"""
import ast
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

PACKAGE = os.path.join(ROOT, "chainer_vae")

# Bottom to top: a module may import its own layer and those before it.
LAYERS = [
    ("base", ["errors", "files", "progress", "compat", "device", "outputs"]),
    ("core", ["model", "train.loop", "train.optim", "train.schedules"]),
    ("concerns", ["data", "music", "evaluation", "figures"]),
    ("recipes", ["parallel", "train.runs", "train.shipped", "train"]),
    ("cli", ["cli"]),
    ("report", ["report"]),
]
CORE = ["model", "train.loop", "train.optim", "train.schedules"]
NOT_IN_CORE = ["data.midi", "data.images", "cli", "report", "parallel", "train.shipped", "train.runs"]

# (importer, imported) -> why it is imported inside a function.  Anything else is imported at the top.
DEFERRED = {
    ("cli.flags", "parallel.mpi"): "MPI code (and mpi4py, chainermn) loads only with --communicator",
    ("cli.mnist", "data.images"): "image-folder code (and Pillow) loads only with --image-dir",
}


def _modules():
    out = {}
    for folder, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                mod = os.path.relpath(path[:-3], PACKAGE).replace(os.sep, ".")
                mod = mod[:-len(".__init__")] if mod.endswith("__init__") else mod
                out["" if mod == "__init__" else mod] = path
    return out


MODULES = _modules()


def _imports(mod, path):
    """[(imported module, at top level?)] of the project's own modules that ``mod`` imports."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    top = {id(n) for n in tree.body}
    for node in tree.body:  # an import inside a top-level `if` or `try` still runs at import time
        if isinstance(node, (ast.If, ast.Try)):
            top |= {id(n) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chainer_vae"):
            base = node.module
            targets = [base + "." + a.name if (base + "." + a.name)[12:] in MODULES else base for a in node.names]
        else:
            continue
        for t in targets:
            if not t.startswith("chainer_vae"):
                continue
            t = t[len("chainer_vae."):] if t != "chainer_vae" else ""
            # importing a submodule always runs its packages first: not an edge of its own
            if t in MODULES and t != mod and not (mod + ".").startswith(t + ".") and t:
                found.append((t, id(node) in top))
    return found


GRAPH = {mod: _imports(mod, path) for mod, path in MODULES.items()}


def _under(mod, prefixes):
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def _layer(mod):
    best = None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (mod == p or mod.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m and _layer(m) is None] == []


def test_no_import_cycles():
    state, cycles = {}, []

    def visit(m, stack):
        state[m] = "open"
        for t, _ in GRAPH[m]:
            if state.get(t) == "open":
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t, stack + [t])
        state[m] = "done"
    for m in MODULES:
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_layers_point_down():
    up = [(m, t) for m, edges in GRAPH.items() for t, _ in edges
          if m and _layer(t) is not None and _layer(t) > _layer(m)]
    assert up == []


def test_the_core_reaches_no_data_kind_cli_page_mpi_or_shipped_model():
    seen, todo = set(), [m for m in MODULES if _under(m, CORE)]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += [t for t, _ in GRAPH[m]]
    assert sorted(m for m in seen if _under(m, NOT_IN_CORE)) == []


def test_function_level_imports_are_the_listed_deferrals():
    late = {(m, t) for m, edges in GRAPH.items() for t, at_top in edges if not at_top}
    assert sorted(late - set(DEFERRED)) == [], "import at the top, or list it in DEFERRED with its reason"
    assert sorted(set(DEFERRED) - late) == [], "DEFERRED lists an import that is no longer deferred"


def test_fig4_loads_no_midi_image_folder_mpi_page_or_shipped_model_module(tmp_path):
    """What runs for Fig. 4 (its quick mode, end to end): the modules of the package it loaded."""
    code = ("import json, runpy, sys; main = runpy.run_path(%r)['main']; "
            "main(['--smoke', '--no-progress', '--out', %r]); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('chainer_vae'))))"
            % (os.path.join(ROOT, "experiments", "fig4_mnist_loss.py"), str(tmp_path)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = [m[len("chainer_vae."):] for m in json.loads(proc.stdout.strip().splitlines()[-1]) if "." in m]
    assert [m for m in loaded if _under(m, ["data.midi", "data.images", "parallel.mpi", "report",
                                            "train.shipped", "music", "cli.midi", "cli.music"])] == []
    assert "train.loop" in loaded and "model.vae" in loaded


@pytest.mark.parametrize("mod", ["train.loop", "model.vae", "model.mlp"])
def test_the_core_imports_alone(mod):
    """The core's modules import in a fresh interpreter without pulling in anything above them."""
    code = ("import json, sys, chainer_vae.%s; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('chainer_vae.'))))" % mod)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = [m[len("chainer_vae."):] for m in json.loads(out)]
    assert [m for m in loaded if _under(m, NOT_IN_CORE + ["data", "evaluation", "figures", "music"])] == []
