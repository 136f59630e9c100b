"""What the results page shows, gathered from ``results/`` (figures, runs, music, the rest).

Everything here is read from the files the experiments wrote; a key an older JSON lacks is shown
as a dash.  Paths are relative to the results folder, so the page works wherever it is copied.
"""
import glob
import numbers
import os

from chainer_vae import files, outputs

DASH = "—"
# The paper's figures and the comparison have their own sections; any other results/*.json is
# a beyond-paper experiment, shown with the .png and .md of the same name.
KNOWN = ("fig2_mnist_samples", "fig3_mnist_latent", "fig4_mnist_loss", "fig5_midi_loss", "architectures",
         "gpu_check")


def _rel(results, path):
    return os.path.relpath(path, results).replace(os.sep, "/")


def images(results, pattern):
    """Relative paths of the PNGs matching ``pattern`` (sorted, the shortest name first)."""
    found = glob.glob(os.path.join(results, pattern))
    return [_rel(results, p) for p in sorted(found, key=lambda p: (len(p), p))]


def _number(v):
    if isinstance(v, bool) or not isinstance(v, numbers.Number):
        return None
    if isinstance(v, numbers.Integral):
        return format(v, ",")
    return "%.4g" % v


def statistics(entry, skip=()):
    """[(name, formatted number)] of an entry's numeric values, one level of nesting flattened."""
    out = []
    for key, value in entry.items():
        if key in skip:
            continue
        if isinstance(value, dict):
            out += [("%s %s" % (key, k), _number(v)) for k, v in value.items() if _number(v) is not None]
        elif _number(value) is not None:
            out.append((key, _number(value)))
    return [(k.replace("_", " "), v) for k, v in out]


def _seconds(s):
    if not isinstance(s, numbers.Number):
        return DASH
    return "%.0f s" % s if s < 120 else "%.0f min %02.0f s" % divmod(s, 60)


def run_rows(results):
    """One row of metadata per training run recorded in a results/*.json ('run': run.json)."""
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        d = files.read_json(path)
        run = d.get("run") if isinstance(d, dict) else None
        if not isinstance(run, dict):
            continue
        # What varies by machine is in the run's record (outputs.py), apart from the numbers.
        rec = dict(run, **outputs.read_record(path))
        versions = rec.get("versions") or {}
        summary = d.get("summary") or {}
        rows.append({
            "file": _rel(results, path), "figure": d.get("figure", DASH),
            "run_id": run.get("run_id", DASH), "fingerprint": run.get("data_fingerprint", DASH),
            "data": run.get("data") or d.get("data_description", DASH),
            "epochs": summary.get("epochs", len(d.get("history", [])) or DASH),
            "device": rec.get("device", DASH), "machine": rec.get("machine", DASH),
            "versions": ", ".join("%s %s" % kv for kv in versions.items()) or DASH,
            "wall": _seconds(rec.get("train_seconds")),
        })
    return rows


def reused(results):
    """[(file, run id, data fingerprint)] of the figures that draw a run trained elsewhere."""
    out = []
    for name in ("fig3_mnist_latent.json", "fig2_mnist_samples.json"):
        path = os.path.join(results, name)
        if os.path.exists(path):
            d = files.read_json(path)
            out.append((name, d.get("run_id") or d.get("run_dir", DASH), d.get("data_fingerprint", DASH)))
    return out


def music(results):
    """One section per music*/music.json: its settings and, per piece, piano roll, WAV and numbers."""
    out = []
    for path in sorted(glob.glob(os.path.join(results, "music*", "music.json"))):
        folder = os.path.dirname(path)
        d = files.read_json(path)
        pieces = []
        listed = [e for e in d.get("files", []) if e.get("file", "").endswith(".mid")]
        named = {e["file"] for e in listed}
        # Every other piece in the folder too (interpolations, long pieces, styles, encodings).
        listed += [{"file": os.path.basename(f), "kind": os.path.basename(f)[:-4].replace("_", " ")}
                   for f in sorted(glob.glob(os.path.join(folder, "*.mid"))) if os.path.basename(f) not in named]
        for entry in listed:
            name = entry["file"]
            stem = os.path.join(folder, name[:-4])
            have = lambda ext: _rel(results, stem + ext) if os.path.exists(stem + ext) else None  # noqa: E731
            pieces.append({"kind": entry.get("kind", ""), "name": name, "mid": have(".mid"),
                           "png": have(".png"), "wav": have(".wav"), "stats": statistics(entry)})
        out.append({"folder": _rel(results, folder), "description": d.get("data_description", DASH),
                    "run": d.get("run_id") or d.get("run_dir", DASH),
                    "settings": statistics(d, skip=("files",)), "pieces": pieces})
    return out


def beside(results, music_sections=None):
    """Pieces of a --preset (a model beyond the paper) beside the paper model's on the same data:
    each music*/music.json that names a preset, paired with one of the same data fingerprint that
    names none, their prior samples matched by file name: sample_00.mid decodes the same z on both
sides when both used the same --sample-seed (their reconstructions may be of other windows: a
temperature's draws move the test windows' pick)."""
    music_sections = music(results) if music_sections is None else music_sections
    meta = {}
    for m in music_sections:
        d = files.read_json(os.path.join(results, m["folder"], "music.json"))
        meta[m["folder"]] = (d.get("preset", ""), d.get("data_fingerprint"), d.get("sampling", DASH))
    out = []
    for m in music_sections:
        preset, fingerprint, sampling = meta[m["folder"]]
        paper = next((p for p in music_sections if meta[p["folder"]][0] == "" and meta[p["folder"]][1] == fingerprint
                      and fingerprint), None)
        if not preset or paper is None:
            continue
        theirs = {p["name"]: p for p in paper["pieces"]}
        rows = [(p["kind"], theirs[p["name"]], p) for p in m["pieces"] if p["name"].startswith("sample_") and p["name"] in theirs]
        out.append({"preset": preset, "description": m["description"], "paper": paper["folder"],
                    "paper_sampling": meta[paper["folder"]][2], "folder": m["folder"], "sampling": sampling,
                    "rows": rows})
    return out


def others(results):
    """Beyond-paper experiments: each results/*.json outside KNOWN, with its .png and .md."""
    out = []
    for path in sorted(glob.glob(os.path.join(results, "*.json"))):
        stem = os.path.basename(path)[:-5]
        if stem.startswith(KNOWN):
            continue
        d = files.read_json(path)
        md = os.path.join(results, stem + ".md")
        text = None
        if os.path.exists(md):
            with open(md) as f:
                text = f.read()
        title = d.get("title") or d.get("figure") or stem if isinstance(d, dict) else stem
        out.append({"stem": stem, "title": title, "json": _rel(results, path),
                    "images": images(results, stem + ".png"), "markdown": text,
                    "numbers": statistics(d) if isinstance(d, dict) else []})
    return out


OWN_FIGURES = (("fig4_mnist_loss_%s.png", "loss and KL per epoch (as Fig. 4)"),
               ("fig2_mnist_manifold_%s.png", "decodes of the 15x15 latent grid (as Fig. 2)"),
               ("fig2_mnist_manifold_codes_%s.png", "the grid over the test codes' range"),
               ("fig2_mnist_prior_samples_%s.png", "decodes of z ~ N(0, I)"),
               ("fig2_mnist_per_digit_%s.png", "each class's first test image and its reconstruction"),
               ("fig3_mnist_latent_%s.png", "test-set latent means by class (as Fig. 3)"))


def _explorer_run(path):
    """The run id an explorer/data_<folder>.js was exported from (its first key), or None."""
    import re
    with open(path) as f:
        f.readline()
        head = f.read(400)
    found = re.search(r'"run_id":"([^"]*)"', head)
    return found.group(1) if found else None


def own_images(results):
    """One entry per run on a folder of your own images (a fig4_mnist_loss_<x>.json of an
    ``images_`` run): its description, run, classes, figures and explorer, when they exist."""
    out = []
    for path in sorted(glob.glob(os.path.join(results, "fig4_mnist_loss_*.json"))):
        d = files.read_json(path)
        run = d.get("run") if isinstance(d, dict) else None
        if not isinstance(run, dict) or not str(run.get("run_id", "")).startswith("images_"):
            continue
        suffix = os.path.basename(path)[len("fig4_mnist_loss_"):-len(".json")]
        figures = [(_rel(results, os.path.join(results, name % suffix)), caption) for name, caption in OWN_FIGURES
                   if os.path.exists(os.path.join(results, name % suffix))]
        tag = d.get("image_tag", suffix)
        explorer = os.path.join(results, "explorer", "data_%s.js" % tag)
        if os.path.exists(explorer) and _explorer_run(explorer) != run.get("run_id"):
            explorer = ""  # the folder's explorer is of another of its runs (another --tag)
        summary = d.get("summary") or {}
        final = (summary.get("final") or {}).get("test") or {}
        out.append({"suffix": suffix, "tag": tag, "json": _rel(results, path),
                    "description": d.get("data_description", DASH), "run_id": run.get("run_id", DASH),
                    "fingerprint": run.get("data_fingerprint", DASH), "classes": d.get("classes") or [],
                    "epochs": summary.get("epochs", DASH),
                    "test_loss": _number(final.get("loss")) or DASH, "test_kl": _number(final.get("kl_penalty")) or DASH,
                    "figures": figures,
                    "explorer": _rel(results, explorer) if explorer and os.path.exists(explorer) else None,
                    "skipped": sum(str(line).startswith("skipped") for line in d.get("conversion_report", []))})
    return out
