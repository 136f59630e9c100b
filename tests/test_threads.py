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
def test_a_script_never_restarts_itself(tmp_path):
    """Issue 29: no self-restarting scripts. The kernels are OpenBLAS's own choice (or the user's
    OPENBLAS_CORETYPE); a script started as one runs once, in the process it was started as."""
    probe = tmp_path / "probe.py"
    probe.write_text("import os, sys\nsys.path.insert(0, %r)\nfrom chainer_vae.cli import flags\n"
                     "def main():\n    print('pid', os.getpid())\n"
                     "if __name__ == '__main__':\n    flags.main_guard(main)\n" % ROOT)
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    proc = subprocess.Popen([sys.executable, str(probe)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.split() == ["pid", str(proc.pid)] and "restart" not in err  # the same process, no os.execve
    from chainer_vae.cli import flags, threads
    assert not hasattr(threads, "use_cpu_kernels")
    with open(flags.__file__) as f:
        assert "execv" not in f.read()


# Page faults of allocating, filling and freeing a 64 MB array five times, after a script's
# flags are parsed (cli/allocator.py) -- or without parsing them.
FAULTS = ("import resource, sys, numpy as np\n"
          "if sys.argv[1] == 'parsed':\n"
          "    from chainer_vae.cli import flags; from chainer_vae.cli.mnist import MnistConfig\n"
          "    flags.parse(MnistConfig, ['--smoke'])\n"
          "np.ones(16 << 20, np.float32)  # the first one may need fresh pages either way\n"
          "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
          "for _ in range(5):\n"
          "    np.ones(16 << 20, np.float32)\n"
          "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the malloc setting is glibc's")
def test_scripts_reuse_freed_memory_for_big_arrays_instead_of_faulting_in_fresh_pages():
    def faults(mode, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "CHAINER_VAE_MALLOC"}
        env.update(extra, PYTHONPATH=ROOT)
        return int(subprocess.run([sys.executable, "-c", FAULTS, mode], env=env, capture_output=True, text=True,
                                  check=True).stdout)
    import platform
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    # A fresh mmap each time: up to 16,000 4 KB pages per array, at least 32 where NumPy gets
    # 2 MB huge pages for all of it (transparent huge pages).
    assert faults("plain") > 5 * 16
    assert faults("parsed") < 10               # the freed block is reused
    assert faults("parsed", CHAINER_VAE_MALLOC="default") > 5 * 16  # the way to opt out
