"""`pip install -r requirements.txt`, then `python experiments/<script>.py`: the flow every paper
repository documents.  Chainer 7.8.1's sdist no longer builds under pip's isolated build, so the
requirements point pip at the wheel in wheels/; and they install this project itself."""
import os
import subprocess
import sys

from conftest import ROOT


def requirement_lines():
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        return [line.split("#")[0].strip() for line in f if line.split("#")[0].strip()]


def test_requirements_install_the_project_and_find_chainer_without_a_build():
    lines = requirement_lines()
    assert "-e ." in lines and "--find-links wheels" in lines and "chainer==7.8.1" in lines
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps",
                           "--ignore-installed", "--find-links", os.path.join(ROOT, "wheels"),
                           "chainer==7.8.1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Would install chainer-7.8.1" in proc.stdout


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
