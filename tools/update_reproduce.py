"""Regenerate the number blocks of REPRODUCE.md from results/*.json (never type them in).

    python tools/update_reproduce.py [--results results] [--file REPRODUCE.md]
Each block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; a block whose
results are missing is left as it is.  The blocks are built by chainer_vae.report.tables, which
results/index.html (`make report`) renders too, so the two always show the same numbers.
"""
import argparse
import os
import re

from chainer_vae.report.tables import blocks


def update(text, generated):
    """``text`` with each generated block replaced; returns (text, names of blocks not found)."""
    missing = []
    for name, body in generated.items():
        pattern = re.compile(r"(<!-- generated:%s -->\n).*?(<!-- /generated:%s -->)" % (name, name), re.S)
        text, n = pattern.subn(lambda m: m.group(1) + body + "\n" + m.group(2), text)
        if not n:
            missing.append(name)
    return text, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--file", default="REPRODUCE.md")
    args = parser.parse_args()
    with open(args.file) as f:
        text, missing = update(f.read(), blocks(args.results))
    for name in missing:
        print("no block %r in %s" % (name, args.file))
    tmp = args.file + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.file)
    print("updated", args.file)


if __name__ == "__main__":
    main()
