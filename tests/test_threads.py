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


# ----------------------------------------------------------------------------- OpenBLAS's kernels
def test_better_kernels_only_replace_the_generic_fallback_and_only_with_instructions_the_cpu_has():
    from chainer_vae.cli.threads import better_kernels
    avx512 = {"sse3", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}
    assert better_kernels("Prescott", avx512) == "SkylakeX"
    assert better_kernels("Prescott", avx512 - {"avx512bw"}) == "Haswell"  # e.g. Knights Landing
    assert better_kernels("Prescott", {"sse3", "avx"}) is None
    assert better_kernels("Haswell", avx512) is None    # OpenBLAS knew the CPU: its choice stands
    assert better_kernels("SkylakeX", avx512) is None
    assert better_kernels(None, avx512) is None          # no OpenBLAS (e.g. NumPy on MKL)


def test_a_script_restarts_once_with_the_cpus_kernels_and_never_against_the_users_choice(tmp_path, monkeypatch):
    """Where NumPy's OpenBLAS falls back to its generic kernels on this machine, a script started
    as one says so in one line and restarts with OPENBLAS_CORETYPE set; a user's setting stands."""
    from conftest import _script_kernels
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)  # what a user's shell has
    env = dict(os.environ)
    expected = str(_script_kernels())
    probe = tmp_path / "probe.py"
    probe.write_text("import sys\nsys.path.insert(0, %r)\nfrom chainer_vae.cli import flags, threads\n"
                     "def main():\n    print('kernels', threads.openblas_architecture())\n"
                     "if __name__ == '__main__':\n    flags.main_guard(main)\n" % ROOT)
    run = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    if expected == "None":  # OpenBLAS knows this CPU: nothing to do, nothing said
        assert "restarting" not in run.stderr
        return
    assert run.stderr.count("restarting with OPENBLAS_CORETYPE=%s" % expected) == 1
    assert run.stdout.split() == ["kernels", expected]
    chosen = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=120,
                            env=dict(env, OPENBLAS_CORETYPE="Prescott"))
    assert "restarting" not in chosen.stderr and chosen.stdout.split() == ["kernels", "Prescott"]
