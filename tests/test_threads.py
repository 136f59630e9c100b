"""The scripts run with one BLAS thread unless the user chose; importing chainer_vae changes nothing."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

# How many threads the loaded OpenBLAS uses after a script's flags are parsed.
PROBE = ("import chainer_vae, os; from chainer_vae.cli import flags; from chainer_vae.cli.mnist import MnistConfig; "
         "untouched = 'OPENBLAS_NUM_THREADS' not in os.environ; flags.parse(MnistConfig, ['--smoke']); "
         "from threadpoolctl import threadpool_info; "
         "print(untouched, [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'][0])")


def probe(env_extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "CHAINER_VAE_BLAS_THREADS")}
    env.update(env_extra)
    env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          check=True).stdout.split()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the BLAS default is already one thread")
@pytest.mark.parametrize("extra,expected", [
    ({}, "1"),                                   # the default: one thread
    ({"OPENBLAS_NUM_THREADS": "2"}, "2"),        # the user's choice is left alone
    ({"CHAINER_VAE_BLAS_THREADS": "2"}, "2"),
    ({"CHAINER_VAE_BLAS_THREADS": "auto"}, str(min(os.cpu_count() or 1, 64))),
])
def test_default_and_user_choices(extra, expected):
    untouched, threads = probe(extra)
    assert untouched == ("True" if "OPENBLAS_NUM_THREADS" not in extra else "False")  # the import sets nothing
    assert threads == expected
