"""Execute a notebook headless and write it back with its outputs (`make notebook`).

    python tools/execute_notebook.py notebooks/walkthrough.ipynb           # executes in place
    python tools/execute_notebook.py notebooks/walkthrough.ipynb --check   # executes, writes nothing

nbclient runs every cell in order in a fresh ipykernel (this interpreter's), started in the
notebook's own folder, and stops at the first cell that raises.  No timing metadata is written
and each cell's stdout (stderr) is one stream, however the kernel happened to flush it, so a rerun
that prints the same numbers leaves the file unchanged.  BLAS runs one thread, as the
scripts do (cli/threads.py), unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise.
tests/test_notebook.py executes the walkthrough the same way (``execute``).
"""
import argparse
import os
import sys
import time

TIMEOUT_S = 300  # per cell


def client(path, timeout=TIMEOUT_S):
    """(the notebook read from ``path``, an nbclient NotebookClient that executes it in its folder)."""
    import nbformat
    from nbclient import NotebookClient

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # the kernel inherits this environment
    nb = nbformat.read(path, as_version=4)
    return nb, NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False, coalesce_streams=True,
                              resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})


def execute(path, write=True, timeout=TIMEOUT_S):
    """Execute the notebook at ``path``; with ``write``, save it there with its outputs.  Returns
    the executed notebook (nbformat's NotebookNode); a cell's error raises CellExecutionError."""
    import nbformat

    nb, runner = client(path, timeout)
    runner.execute()
    if write:
        nbformat.write(nb, path)
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("--check", action="store_true", help="execute it but write nothing")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    execute(args.notebook, write=not args.check)
    print("%s %s in %.1f s" % ("executed" if args.check else "executed and wrote", args.notebook,
                               time.perf_counter() - started))


if __name__ == "__main__":
    sys.exit(main())
