"""Headless Chromium for the results-page tests: load a page, report what went wrong, screenshot it.

A probe script is put at the top of a copy of the page (beside it, so relative links still work).
It records every error event (an uncaught exception, an image, script or audio file that fails
to load), every console.error, each image that did not decode, the page's and each scroll box's
width against the window's, and the explorer's decode of a fixed point; after the page has
loaded it writes that record into the DOM, which `chromium --dump-dom` prints.
"""
import json
import os
import re
import shutil
import subprocess

WIDTH = 1280
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--hide-scrollbars", "--allow-file-access-from-files"]

PROBE = """<script>(function () {
  var errors = [];
  addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t !== window && t.getAttribute ? "failed to load " + (t.getAttribute("src") || t.currentSrc)
                                                    : "error: " + e.message);
  }, true);
  addEventListener("unhandledrejection", function (e) { errors.push("unhandled rejection: " + e.reason); });
  var consoleError = console.error;
  console.error = function () { errors.push("console.error: " + [].join.call(arguments, " ")); consoleError.apply(console, arguments); };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("audio").forEach(function (a) { a.preload = "metadata"; a.load(); });
  });
  addEventListener("load", function () { setTimeout(function () {
    var d = document.documentElement, wide = [], broken = [], decoded = null;
    document.querySelectorAll("img").forEach(function (i) {
      if (!(i.complete && i.naturalWidth > 0)) broken.push(i.getAttribute("src"));
    });
    document.querySelectorAll(".numbers, .scroll, .pieces, .explore").forEach(function (b) {
      if (b.scrollWidth > b.clientWidth + 1) wide.push(b.className + " " + b.scrollWidth + ">" + b.clientWidth);
    });
    if (window.vaeExplorer && window.VAE_EXPLORER) {
      decoded = Array.from(vaeExplorer.decode(vaeExplorer.loadDecoder(VAE_EXPLORER.decoder), [0.5, -1]));
    }
    var p = document.createElement("pre");
    p.id = "probe-result";
    p.textContent = JSON.stringify({errors: errors, broken_images: broken, scroll_width: d.scrollWidth,
      client_width: d.clientWidth, height: d.scrollHeight, images: document.images.length,
      audio: document.querySelectorAll("audio").length, wide_boxes: wide, decoded: decoded,
      explorer: document.getElementById("explorer") ? document.getElementById("explorer").getAttribute("data-decoded") : null,
      own_explorers: Array.from(document.querySelectorAll("[data-own-explorer]")).map(function (e) {
        return e.getAttribute("data-decoded"); })});
    document.body.appendChild(p);
  }, 500); });
})();</script>"""


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(page, profile, *args, height=900):
    cmd = [chromium()] + FLAGS + ["--user-data-dir=" + str(profile), "--window-size=%d,%d" % (WIDTH, height),
                                  "--enable-logging=stderr", "--v=0"] + list(args) + ["file://" + os.path.abspath(page)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def check(page, workdir, screenshot=None):
    """Load ``page`` in headless Chromium; returns the probe's record (plus the uncaught errors
    Chromium logged) and writes a full-page screenshot to ``screenshot`` when given."""
    with open(page, encoding="utf-8") as f:
        html = f.read()
    probed = os.path.join(os.path.dirname(page), ".probe-" + os.path.basename(page))
    with open(probed, "w", encoding="utf-8") as f:
        f.write(html.replace("<head>", "<head>\n" + PROBE, 1))
    try:
        proc = _run(probed, os.path.join(workdir, "profile-dom"), "--virtual-time-budget=10000", "--dump-dom")
    finally:
        os.remove(probed)
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', proc.stdout, re.S)
    assert found, "the probe did not report: %s" % proc.stderr[-2000:]
    record = json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    # Uncaught exceptions that happened before the probe could listen would still be logged here.
    record["errors"] += [line for line in proc.stderr.splitlines() if ":CONSOLE" in line and "Uncaught" in line]
    if screenshot:
        shot = _run(page, os.path.join(workdir, "profile-shot"), "--screenshot=" + os.path.abspath(screenshot),
                    height=min(max(record["height"], 900), 16000))
        assert shot.returncode == 0 and os.path.getsize(screenshot) > 0, shot.stderr[-2000:]
    return record
