"""Converting a folder's files on all cores, where one bad file never aborts the folder.

The one builder that image folders (``data/images/cache.py``) and MIDI folders
(``data/midi/songcache.py``) share.  ``convert_all(jobs, work, ...)`` calls ``work(item)`` for
every ``(i, item)`` of ``jobs`` in a process pool, a chunk of files a task, and yields
``(i, result, note)`` as results arrive (``result`` None: the file is skipped, ``note`` says why):

* a file that takes over ``seconds`` in a worker is given up (a per-file alarm);
* when a worker dies (a decoder crash, the OOM killer), the files not yet converted are retried
  one file a process, on as many processes, so the file that kills its process is skipped by
  name and every other file is converted;
* with one core, or a handful of files, everything runs in this process (the alarm still holds).

``work`` must be picklable (a module-level function, or a ``functools.partial`` of one) and return
``(result or None, note)``; it reports its own expected failures.  ``failed(item, cause)`` turns
this module's causes (a timeout, a dead worker) into the same ``(None, note)`` form.
"""
import concurrent.futures
import multiprocessing
import os
import signal
import sys
import threading

CHUNK = 64  # files a pool task at most (amortizes the inter-process traffic)


class _Timeout(BaseException):  # not an Exception: the readers' own handlers must not eat it
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def _why(e):
    return " ".join(f"{type(e).__name__}: {e}".split())[:300]


def _one(work, item, seconds, failed):
    """work(item) within ``seconds`` where signals allow (the main thread of a Unix process)."""
    timed = bool(seconds) and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if timed:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return work(item)
    except _Timeout:
        return failed(item, f"took over {seconds:g} s to convert (given up)")
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def _chunk(args):
    """Worker: one chunk [(i, item)] -> [(i, result, note)]."""
    jobs, work, seconds, failed = args
    return [(i,) + tuple(_one(work, item, seconds, failed)) for i, item in jobs]


def _fork_pool(workers):
    # fork: the workers inherit the imported readers; they never touch a GPU.
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def _cause(item, cause):
    return None, cause


def convert_all(jobs, work, seconds=None, workers=None, on_done=None, failed=_cause, who="the reader"):
    """Yield (i, result, note) for every (i, item) of ``jobs``, in any order (module docstring);
    on_done(n) after every n results.  ``workers``: processes (default: all cores); ``who`` names
    the converter in the causes this module gives."""
    jobs = list(jobs)
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1 or len(jobs) < 8:
        yield from _serial(jobs, work, seconds, failed, on_done)
        return
    try:
        pool = _fork_pool(workers)
    except (OSError, ValueError) as e:  # no fork here, or out of processes: one process then
        print(f"warning: no process pool for {who} ({e}); converting in this process", file=sys.stderr)
        yield from _serial(jobs, work, seconds, failed, on_done)
        return
    size = max(1, min(CHUNK, len(jobs) // (4 * workers)))
    chunks = [jobs[k:k + size] for k in range(0, len(jobs), size)]
    suspects, futures = [], {}
    try:
        for k, c in enumerate(chunks):
            try:
                futures[pool.submit(_chunk, (c, work, seconds, failed))] = c
            except Exception:  # noqa: BLE001 - the pool broke while filling: isolate the rest
                suspects += [job for rest in chunks[k:] for job in rest]
                break
        for f in concurrent.futures.as_completed(futures):
            c = futures.pop(f)
            try:
                results = f.result()
            except Exception:  # noqa: BLE001 - BrokenProcessPool: a worker died (crash, OOM kill)
                suspects += c
                continue
            yield from results
            if on_done:
                on_done(len(results))
    finally:  # also when the caller stops early: drop what has not started
        pool.shutdown(wait=True, cancel_futures=True)
    yield from _isolated(sorted(suspects, key=lambda job: job[0]), work, seconds, failed, on_done, workers, who)


def _serial(jobs, work, seconds, failed, on_done):
    for i, item in jobs:
        yield (i,) + tuple(_one(work, item, seconds, failed))
        if on_done:
            on_done(1)


def _isolated(jobs, work, seconds, failed, on_done, workers, who):
    """After a worker died: every file not yet converted, one at a time in each of ``workers``
    one-process pools, so the file that kills its process is known and the others are
    converted.  A pool whose process died is replaced."""
    died = f"{who}'s process died on this file (a crash or out of memory)"
    pending, pools, busy = list(reversed(jobs)), [None] * max(1, workers), {}  # future -> (slot, job)
    try:
        while pending or busy:
            for slot in range(len(pools)):
                if not pending or slot in (k for k, _ in busy.values()):
                    continue
                i, item = job = pending.pop()
                try:
                    pools[slot] = pools[slot] or _fork_pool(1)
                    busy[pools[slot].submit(_chunk, ([job], work, seconds, failed))] = (slot, job)
                except Exception as e:  # noqa: BLE001 - no process to be had: skip, say why
                    yield (i,) + tuple(failed(item, f"no process to convert it in ({_why(e)})"))
                    if on_done:
                        on_done(1)
            if not busy:
                continue
            done, _ = concurrent.futures.wait(busy, return_when=concurrent.futures.FIRST_COMPLETED)
            for f in done:
                slot, (i, item) = busy.pop(f)
                try:
                    yield f.result()[0]
                except Exception as e:  # noqa: BLE001 - BrokenProcessPool, or a bug in the converter
                    broken = isinstance(e, concurrent.futures.process.BrokenProcessPool)
                    yield (i,) + tuple(failed(item, died if broken else f"unexpected error in {who} ({_why(e)})"))
                    pools[slot].shutdown(wait=True)
                    pools[slot] = None
                if on_done:
                    on_done(1)
    finally:
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
