"""The class-folder layout that MIDI folders (``--midi-dir``) and image folders (``--image-dir``)
share: each sub-folder of the root is a class, holding its files at any depth; a root without
sub-folders is one class, named after the root; files directly in a root that has sub-folders are
left out, with one line saying so."""
import os


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
