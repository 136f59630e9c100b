"""Write results/index.html, the one page with every figure, our numbers beside the paper's, the
music and the latent explorer, from results/ (`make report`): the only writer of results/index.html
and results/explorer/ (the experiment scripts leave them alone).

    python tools/make_report.py [--results results] [--rebuild-explorer]
"""
import argparse

from chainer_vae.report import page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", help="the results folder (default: results)")
    parser.add_argument("--rebuild-explorer", action="store_true",
                        help="export explorer/data.js again from the finished Fig. 4 model in <results>/runs/ "
                             "even when it already holds that run (by default it is kept: it is keyed by the run id)")
    args = parser.parse_args(argv)
    path, notes = page.build(args.results, rebuild_explorer=args.rebuild_explorer)
    for note in notes:
        print(note)
    print("wrote", path)


if __name__ == "__main__":
    main()
