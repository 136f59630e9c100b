"""Runs experiments/fig4_mnist_loss.py's main() (once per rank under mpiexec, or alone) and records
what tests/test_distributed.py checks: a hash of the parameters after every optimizer step, and
every file this process created, changed or removed under --out.

    python tests/mpi_worker.py REPORT.json [--crash-at-epoch E] -- <fig4 arguments>

Rank 0 writes REPORT.json: one entry per rank.  --crash-at-epoch E: every rank raises a UserError
when epoch E ends, before it is saved (an interrupted run: the snapshot keeps epoch E-1).
"""
import builtins
import hashlib
import io as io_module
import json
import os
import runpy
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    args = sys.argv[1:]
    split = args.index("--")
    own, script_args = args[:split], args[split + 1:]
    report_path = own[0]
    crash_at = int(own[own.index("--crash-at-epoch") + 1]) if "--crash-at-epoch" in own else 0
    out = os.path.realpath(script_args[script_args.index("--out") + 1])

    writes = []
    recording = [True]

    def note(what, path):
        if recording[0] and isinstance(path, (str, bytes, os.PathLike)):
            p = os.path.realpath(os.fsdecode(path))
            if p == out or p.startswith(out + os.sep):
                writes.append("%s %s" % (what, os.path.relpath(p, out)))

    def wrap(module, name, check):
        original = getattr(module, name)

        def wrapper(*a, **k):
            if a and check(a, k):
                for path in a[:2] if name in ("replace", "rename") else a[:1]:  # both ends of a move
                    note(name, path)
            return original(*a, **k)
        setattr(module, name, wrapper)

    writing_mode = lambda a, k: any(c in (a[1] if len(a) > 1 else k.get("mode", "r")) for c in "wax+")  # noqa: E731
    wrap(builtins, "open", writing_mode)
    wrap(io_module, "open", writing_mode)
    wrap(os, "open", lambda a, k: (a[1] if len(a) > 1 else k.get("flags", 0)) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
    for name in ("replace", "rename", "remove", "unlink", "mkdir", "rmdir", "chmod"):
        wrap(os, name, lambda a, k: True)

    import chainer_vae  # noqa: F401
    from chainer_vae import parallel
    from chainer_vae.train import loop
    from chainer_vae.errors import DataError

    steps = []
    make_optimizer = loop.make_optimizer

    def recording_optimizer(model, *a, **k):
        optimizer = make_optimizer(model, *a, **k)
        update = optimizer.update

        def update_and_hash(*ua, **uk):  # called by the multi-node optimizer after the allreduce
            result = update(*ua, **uk)
            h = hashlib.sha256()
            for name, p in sorted(model.namedparams()):
                h.update(name.encode())
                h.update(p.array.tobytes())
            steps.append(h.hexdigest())
            return result
        optimizer.update = update_and_hash
        return optimizer
    loop.make_optimizer = recording_optimizer

    if crash_at:
        check = loop._check_finite

        def crash(row, run_dir):
            check(row, run_dir)
            if row["epoch"] == crash_at:
                raise DataError("test: interrupted at epoch %d" % crash_at)
        loop._check_finite = crash

    sys.argv = [os.path.join(ROOT, "experiments", "fig4_mnist_loss.py")] + script_args
    status = 0
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as e:  # main_guard's exit (one process); under MPI an error aborts instead
        status = e.code or 0
    recording[0] = False
    comm = getattr(parallel.current(), "comm", None)  # the ChainerMN communicator under --communicator
    record = {"rank": comm.rank if comm else 0, "steps": steps, "writes": writes}
    records = comm.gather_obj(record) if comm else [record]
    if parallel.is_root():
        with open(report_path, "w") as f:
            json.dump(records, f)
    sys.exit(status)


if __name__ == "__main__":
    main()
