"""Write results/index.html, the one page with every figure, our numbers beside the paper's, the
music and the latent explorer, from results/ (`make report`; the experiment scripts call it too).

    python tools/make_report.py [--results results]
"""
import argparse

from chainer_vae.report import page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", help="the results folder (default: results)")
    args = parser.parse_args(argv)
    path, notes = page.build(args.results)
    for note in notes:
        print(note)
    print("wrote", path)


if __name__ == "__main__":
    main()
