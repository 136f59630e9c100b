"""Render results/index.html from results/ with the Jinja2 template in templates/.

The number blocks are REPRODUCE.md's (tables.blocks), rendered from their Markdown; the latent
explorer's data and script are written beside the page (explorer.py, static/explorer.js).  No
timestamp goes into the page: regenerating unchanged results leaves the file as it was.
"""
import os
import shutil

import jinja2
import markdown
from markupsafe import Markup

from chainer_vae import files
from chainer_vae.report import claims, explorer, sections, tables

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "static", "explorer.js")
PAGE = "index.html"


def render_markdown(text):
    """Markdown (tables, lists, emphasis) -> HTML; the text is our own generated Markdown."""
    return Markup(markdown.markdown(text or "", extensions=["tables"], output_format="html"))


def environment():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["markdown"] = render_markdown
    return env


FIG2 = (("manifold", "Fig. 2: decodes of the 15x15 latent grid"), ("prior_samples", "decodes of 100 draws of z ~ N(0, I)"),
        ("per_digit", "each digit's first test image (top) and its reconstruction"),
        ("manifold_codes", "the same grid spread over the range the test codes occupy"))


def _fig2(results):
    """[(png, caption)] of Fig. 2's images; 'manifold*' does not take 'manifold_codes*'."""
    out = []
    for name, caption in FIG2:
        longer = ["fig2_mnist_%s" % n for n, _ in FIG2 if n != name and n.startswith(name)]
        out += [(p, caption) for p in sections.images(results, "fig2_mnist_%s*.png" % name)
                if not any(p.startswith(x) for x in longer)]
    return out


def captioned(results, pattern, titled, caption):
    """[(png, caption)]: the PNGs of REPRODUCE.md's columns first, in its order and with its
    column titles (``titled``: (title, json file)), then any others."""
    order = {name[:-len(".json")] + ".png": (i, title) for i, (title, name) in enumerate(titled)}
    # a figure's --paper twin (<stem>_paper.png) follows it, captioned as the paper's overlay
    order.update({p[:-len(".png")] + "_paper.png": (i + 0.5, title + ", over the paper's digitized curves (dashed)")
                  for p, (i, title) in list(order.items())})
    found = sections.images(results, pattern)
    found.sort(key=lambda p: order.get(p, (len(order), ""))[0])
    return [(p, "%s, %s" % (caption, order[p][1]) if p in order else caption) for p in found]


def context(results, explorer_meta, explorer_reason):
    blocks = tables.blocks(results)
    own = sections.own_images(results)  # runs on your own image folders: their own section
    theirs = {p for o in own for p, _ in o["figures"]}
    mnist = lambda found: [(p, c) for p, c in found if p not in theirs]  # noqa: E731
    music = sections.music(results)
    return {
        "blocks": {k: render_markdown(v) for k, v in blocks.items()},
        "images": {
            "fig4": mnist(captioned(results, "fig4_mnist_loss*.png", tables.FIG4_RUNS, "Fig. 4: loss and KL per epoch")),
            "fig3": mnist(captioned(results, "fig3_mnist_latent*.png", (), "Fig. 3: test-set latent means by digit")),
            "fig2": mnist(_fig2(results)),
            "fig5": captioned(results, "fig5_midi_loss*.png", tables.FIG5_RUNS, "Fig. 5: loss and KL per epoch"),
            "architectures": captioned(results, "architectures.png", (), "test loss per epoch of each encoder/decoder pair"),
        },
        "explorer": explorer_meta, "explorer_reason": explorer_reason, "own": own,
        "music": music, "beside": sections.beside(results, music), "others": sections.others(results),
        "runs": sections.run_rows(results), "reused": sections.reused(results),
        "dash": sections.DASH, "claims": claims.TITLES,
    }


def build(results="results", rebuild_explorer=False):
    """Write <results>/index.html (and the explorer beside it); returns (path, notes: sentences).

    `make report` (tools/make_report.py) is its only caller outside the tests: the experiment
    scripts write their results and leave the page alone, so a rerun that reproduces leaves it
    as committed.  Any failure raises: a page that cannot be built fails `make report` and the
    tests, never a warning that scrolls by."""
    notes = []
    meta, reason = explorer.refresh(results, rebuild=rebuild_explorer)
    script = os.path.join(results, "explorer", "explorer.js")
    if meta or any(o["explorer"] for o in sections.own_images(results)):
        with files.atomic_path(script) as tmp:
            shutil.copyfile(SCRIPT, tmp)
    else:
        notes.append("no latent explorer: " + reason)
    html = environment().get_template("index.html.j2").render(context(results, meta, reason))
    path = os.path.join(results, PAGE)
    with files.atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(html)
    return path, notes
