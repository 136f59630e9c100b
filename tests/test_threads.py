"""``import chainer_vae`` before NumPy gives one BLAS thread, unless the user chose."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = "import chainer_vae, os; print(os.environ.get('OPENBLAS_NUM_THREADS'))"


def probe(env_extra, code=PROBE):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                        "CHAINER_VAE_BLAS_THREADS")}
    env.update(env_extra)
    env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize("extra,expected", [
    ({}, "1"),
    ({"OPENBLAS_NUM_THREADS": "2"}, "2"),
    ({"OMP_NUM_THREADS": "2"}, "None"),            # the user's OMP choice reaches OpenBLAS
    ({"CHAINER_VAE_BLAS_THREADS": "2"}, "2"),
    ({"CHAINER_VAE_BLAS_THREADS": "auto"}, "None"),
])
def test_default_and_user_choices(extra, expected):
    assert probe(extra) == expected


def test_too_late_after_numpy_changes_nothing():
    assert probe({}, "import numpy, chainer_vae, os; print(os.environ.get('OPENBLAS_NUM_THREADS'))") == "None"
