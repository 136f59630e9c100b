"""The class-folder layout that MIDI folders (``--midi-dir``) and image folders (``--image-dir``)
share: each sub-folder of the root is a class, holding its files at any depth; a root without
sub-folders is one class, named after the root; files directly in a root that has sub-folders are
left out, with one line saying so.  ``entry_problem`` says why a folder entry cannot be used
(a link loop, a dangling link, a link to a folder inside a class, a pipe or device), so that every
entry of a folder is either used or skipped with its reason."""
import errno
import os
import stat

from chainer_vae.errors import DataError


def check_root(root, what, hint=""):
    """A DataError naming ``root`` unless it is a folder: it does not exist, or it is a file
    (``what``: "image folder", "MIDI folder"; ``hint`` follows the file case)."""
    if not os.path.isdir(root):
        raise DataError(f"{what} {root} " + (f"is a file, not a folder{hint}" if os.path.exists(root)
                                              else "does not exist"))


def entry_problem(path, in_class=True):
    """Why the folder entry ``path`` cannot be used as a file, or None: a file to use, or a
    folder the scan walks (``in_class`` False: the root, whose linked folders are classes)."""
    try:
        st = os.stat(path)
    except OSError as e:
        if not os.path.islink(path):
            return f"cannot read it ({e.strerror or e})"
        if e.errno == errno.ELOOP:
            return "a symbolic link that leads back to itself (a loop)"
        try:
            target = os.readlink(path)
        except OSError:
            target = "a place"
        return f"a symbolic link to {target}, which does not exist"
    if stat.S_ISDIR(st.st_mode):
        if in_class and os.path.islink(path):
            return "a symbolic link to a folder (links inside a class folder are not followed)"
        return None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a file")
        return f"not a regular file: {kind}"
    return None


def class_files(root, subdirs, files_in, what, report, onerror=None):
    """(classes, [(class, path)]) in sorted order.

    subdirs: the root's (sorted, non-hidden) sub-folders; files_in(folder): the usable files directly
    in a folder, sorted; what: their kind in the report line ("MIDI", "image"); onerror: os.walk's."""
    class_dirs = [(d, os.path.join(root, d)) for d in subdirs] or [(os.path.basename(os.path.abspath(root)), root)]
    loose = files_in(root) if subdirs else []
    if loose:
        names = ", ".join(os.path.basename(f) for f in loose[:5]) + (", ..." if len(loose) > 5 else "")
        report.append(f"ignored: {len(loose)} {what} file{'s' * (len(loose) != 1)} directly in {root} "
                      f"({names}): with sub-folders present, each sub-folder is a class")
    files = []
    for cls, d in class_dirs:
        for folder, dirs, _ in os.walk(d, onerror=onerror):
            dirs[:] = sorted(x for x in dirs if not x.startswith("."))
            files += [(cls, path) for path in files_in(folder)]
    return [cls for cls, _ in class_dirs], files


REPORT_LINES = 5  # report lines printed before "... and N more": the JSON has them all


def report_lines(report, first=REPORT_LINES):
    """What a run prints of the conversion report: the first few skipped or ignored files with
    their reasons, how many more there are, and the summary line (the JSON keeps every line)."""
    *files, summary = report
    shown = files[:first]
    if len(files) > first:
        shown.append("... and %d more (every file and its reason: conversion_report in the JSON this "
                     "script writes)" % (len(files) - first))
    return shown + [summary]
