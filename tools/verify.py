"""Rerun the committed figures' training into a scratch folder and compare with results/ and the paper.

    make verify                          # every committed figure, in full (hours on a CPU: Fig. 5's runs)
    make verify ARGS=--quick             # minutes: Fig. 4 for 3 epochs, Fig. 5 (lute) for 2, vs the committed epochs
    make verify ARGS="fig4"              # named figures in full: fig4 fig4-alpha5e-5 fig3 fig2 fig5 fig5-alpha1e-5 fig5-music21
    python tools/verify.py --list

Never writes into results/: the reruns go to --scratch (default: a temporary folder, removed at
the end; --keep keeps it).  Prints one table -- figure, quantity, paper, committed, rerun,
tolerance, verdict -- and exits 1 when a rerun is outside its tolerance of the committed number,
2 when a figure could not be rerun (missing data, a crash).  The tolerances and how they were
measured: chainer_vae/outputs.py and REPRODUCE.md ("Verifying the results").
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import chainer_vae  # noqa: E402,F401  (BLAS threads and compatibility shims first)
from chainer_vae.report import verify  # noqa: E402
from chainer_vae.train.runs import machine  # noqa: E402

BLOCK = re.compile(r"(<!-- verify:table -->\n).*?(<!-- /verify:table -->)", re.S)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                     epilog="\n".join(__doc__.strip().splitlines()[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures", nargs="*", help="figures to rerun (default: all; with --quick: %s)"
                        % ", ".join(f.name for f in verify.FIGURES if f.quick_epochs))
    parser.add_argument("--quick", action="store_true", help="the first epochs only, against the committed run's")
    parser.add_argument("--results", default=os.path.join(verify.CHECKOUT, "results"), help="the committed results")
    parser.add_argument("--scratch", help="where the reruns write (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary scratch folder")
    parser.add_argument("--midi-dir", default=verify.LUTE, help="the paper's lute files (default: %(default)s)")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--reproduce-md", action="store_true",
                        help="write the table into REPRODUCE.md's <!-- verify:table --> block (with this machine's name)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for f in verify.FIGURES:
            print("%-15s experiments/%s %s -> results/%s%s" % (f.name, f.script, " ".join(f.args), f.result,
                                                             "  (--quick: %d epochs)" % f.quick_epochs if f.quick_epochs else ""))
        return 0
    try:
        rows, seconds, scratch = verify.run(args.figures, args.quick, args.results, args.scratch, args.keep,
                                            args.midi_dir, say=lambda s: print(s, file=sys.stderr, flush=True))
    except ValueError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    table = verify.markdown(rows)
    status = verify.exit_status(rows)
    what = "make verify%s" % (" ARGS='%s'" % " ".join((["--quick"] if args.quick else []) + args.figures)
                              if args.quick or args.figures else "")
    summary = ("%s: %s; reruns took %s on %s." % (what, {0: "every rerun within its tolerance",
                                                         1: "a rerun OUTSIDE its tolerance",
                                                         2: "a figure could not be rerun"}[status],
                                                  verify.durations(seconds), machine()))
    print(table + "\n\n" + summary)
    if scratch:
        print("reruns kept in %s" % scratch)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n\n" + summary + "\n")
    if args.reproduce_md:
        path = os.path.join(verify.CHECKOUT, "REPRODUCE.md")
        with open(path) as f:
            text = f.read()
        new, n = BLOCK.subn(lambda m: m.group(1) + table + "\n\n" + summary + "\n" + m.group(2), text)
        if not n:
            print("error: no <!-- verify:table --> block in REPRODUCE.md", file=sys.stderr)
            return 2
        with open(path + ".tmp", "w") as f:
            f.write(new)
        os.replace(path + ".tmp", path)
        print("wrote the table into REPRODUCE.md")
    return status


if __name__ == "__main__":
    sys.exit(main())
