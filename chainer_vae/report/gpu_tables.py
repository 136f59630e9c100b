"""REPRODUCE.md's ``gpu_check`` block, from results/gpu_check.json (tools/gpu_check.py, `make gpu-check`)."""


def _s(v, fmt="%.1f"):
    return "—" if v is None else fmt % v


def _machine(m):
    g = m.get("gpu")
    if not g:
        return "device %s (no GPU: every part ran on the CPU, %s)" % (m.get("device", "—"), m.get("cpu", "—"))
    return ("%s (%s GiB, compute capability %s), NVIDIA driver %s (CUDA %s), CuPy %s with the CUDA %s runtime, "
            "cuDNN %s, NCCL %s; CPU %s; Python %s, Chainer %s, NumPy %s" % (
                g["name"], g["memory_gib"], g["compute_capability"], g.get("driver") or "—", g["driver_cuda"],
                g["cupy"], g["runtime_cuda"], g.get("cudnn") or "not found", g.get("nccl") or "not found",
                m["cpu"], m["python"], m["chainer"], m["numpy"]))


def _verdict(c):
    if not c:
        return "—"
    if isinstance(c, list):
        return "; ".join("%s %s: %s" % (x.get("data"), x.get("pair"), _verdict(x)) for x in c) or "—"
    if "skipped" in c:
        return "not compared (%s)" % c["skipped"]
    worst = max(c["rows"], key=lambda r: r["rel_diff"] / r["tolerance"])
    text = "%s vs %s at epoch %d: largest difference %s %.2g %% (tolerance %.2g %%)" % (
        "within" if c["ok"] else "OUTSIDE", c["against"], c["epoch"], worst["quantity"],
        100 * worst["rel_diff"], 100 * worst["tolerance"])
    if c.get("same_data") is False:
        text += ", on other data than the reference"
    if c.get("speedup"):
        text += ", %.2fx the speed" % c["speedup"]
    return text


def _times(r):
    run = r.get("run") or {}
    if "models" in run:
        return "; ".join("%s %s ms per step at batch %s%s" % (
            data, "/".join("%.2f" % x["ms_per_step"] for x in m["rows"]), "/".join(str(x["batch"]) for x in m["rows"]),
            " (launch-bound)" if m["launch_bound"] else "") for data, m in run["models"].items())
    if "rows" in run:
        return "; ".join("%s %s %s s" % (x["data"], x["pair"], _s(x["median_seconds_per_epoch"], "%.2f"))
                         for x in run["rows"])
    if run:
        return "%s s (median of %d)" % (_s(run["median_seconds_per_epoch"], "%.2f"), run["epochs"])
    return r.get("summary") or "—"


def gpu_block(d):
    """Markdown: where it ran, one row per part, the goals."""
    lines = ["Measured %s by `python tools/gpu_check.py %s`%s on %s." % (
        d.get("date", "—"), " ".join(d.get("argv", [])), " (--quick: tiny runs, not comparable)" if d.get("quick") else "",
        _machine(d["machine"])), "",
        "| part | command | status | wall s | per epoch | compared |", "|---|---|---|---|---|---|"]
    for name, r in d["parts"].items():
        status = r["status"] if r["status"] != "skipped" else "skipped: %s" % r.get("reason", "")
        lines.append("| %s | `%s` | %s | %s | %s | %s |" % (
            name, r["command"].replace("|", "\\|"), status, _s(r.get("seconds"), "%.0f"), _times(r),
            _verdict(r.get("compare"))))
    goals = d.get("goals", {})
    met = {True: "met", False: "NOT met", None: "not judged"}
    if "fig4_train_seconds" in goals:
        g = goals["fig4_train_seconds"]
        lines += ["", "- Fig. 4: %s s of training for %d epochs (goal %s): %s." % (
            _s(g["value"]), g["epochs"], g["goal"], met[g["met"]])]
    if "fig5_epoch_speedup" in goals:
        g = goals["fig5_epoch_speedup"]
        lines.append("- Fig. 5: %s s per epoch vs %s s on the committed CPU run: %sx (goal %s): %s." % (
            _s(g["epoch_seconds"], "%.2f"), _s(g["cpu_epoch_seconds"]), _s(g["value"]), g["goal"], met[g["met"]]))
    lines.append("%s- Overall: %s (%.0f s)." % ("" if goals else "\n", "every part ran and every comparison held"
                                                 if d.get("ok") else "NOT ok", d.get("seconds", 0)))
    return "\n".join(lines)
