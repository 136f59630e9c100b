"""`pip install -r requirements.txt`, then `python experiments/<script>.py`: the flow every paper
repository documents.  Chainer 7.8.1's sdist neither builds with today's setuptools nor imports on
NumPy 2, so the requirements point pip at the patched wheel in wheels/ (7.8.1+numpy2); and they
install this project itself."""
import hashlib
import os
import re
import subprocess
import sys

from conftest import ROOT


def requirement_lines():
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        return [line.split("#")[0].strip() for line in f if line.split("#")[0].strip()]


def test_requirements_install_the_project_and_find_chainer_without_a_build():
    lines = requirement_lines()
    assert "-e ." in lines and "--find-links wheels" in lines and "chainer==7.8.1+numpy2" in lines
    # pyproject.toml's plain chainer==7.8.1 takes the patched wheel too (a local label is ignored).
    for requirement in ("chainer==7.8.1+numpy2", "chainer==7.8.1"):
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps",
                               "--ignore-installed", "--find-links", os.path.join(ROOT, "wheels"),
                               requirement], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "Would install chainer-7.8.1+numpy2" in proc.stdout


def test_the_wheel_is_the_one_its_readme_and_build_script_describe():
    """wheels/README.md gives the SHA-256 that wheels/build-chainer.sh reproduces; the patch it
    applies is beside it, and the venv runs that very build on NumPy 2."""
    import chainer
    import numpy
    folder = os.path.join(ROOT, "wheels")
    wheels = sorted(f for f in os.listdir(folder) if f.endswith(".whl"))
    assert wheels == ["chainer-7.8.1+numpy2-py3-none-any.whl"]  # the unpatched one is gone
    with open(os.path.join(folder, wheels[0]), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(folder, "README.md")) as f:
        readme = f.read()
    assert re.search(r"\b%s\s+wheels/%s" % (digest, re.escape(wheels[0])), readme)
    with open(os.path.join(folder, "build-chainer.sh")) as f:
        script = f.read()
    assert "chainer-7.8.1-numpy2.patch" in script and wheels[0] in script
    assert os.path.exists(os.path.join(folder, "chainer-7.8.1-numpy2.patch"))
    assert chainer.__version__ == "7.8.1+numpy2" and int(numpy.__version__.split(".")[0]) >= 2


def test_a_script_runs_from_anywhere_without_sys_path_tricks(tmp_path):
    env = dict(os.environ, PYTHONPATH="")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "fig4_mnist_loss.py"), "--help"],
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    for name in os.listdir(os.path.join(ROOT, "experiments")):
        with open(os.path.join(ROOT, "experiments", name)) as f:
            text = f.read()
        assert "sys.path" not in text, name
        imports = [line.split()[1] for line in text.splitlines() if line.startswith(("import ", "from "))]
        assert not [m for m in imports if m.startswith(("fig", "generate", "architectures"))], name


def test_the_makefile_takes_python_3_11_to_3_14_and_names_them_when_none_is_found(tmp_path):
    venv = str(tmp_path / "venv")
    proc = subprocess.run(["make", "-n", "setup", "VENV=" + venv, "PYTHONS=no-such-python " + sys.executable],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "%s -m venv %s" % (sys.executable, venv) in proc.stdout, proc.stdout + proc.stderr
    assert (3, 11) <= sys.version_info[:2] <= (3, 14)  # this very interpreter is one the Makefile takes
    proc = subprocess.run(["make", "setup", "VENV=" + venv, "PYTHONS=no-such-python"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "need Python 3.11, 3.12, 3.13 or 3.14" in proc.stdout + proc.stderr
    assert not os.path.exists(venv)
