"""A small progress bar on stderr, redrawn in place on a terminal; epoch lines are always printed.

When stderr is not a terminal (a log file), the bar becomes a plain line at a steady interval
(every ``log_interval`` seconds), so a long epoch still shows signs of life and an ETA."""
import sys
import time


class Progress:
    def __init__(self, enabled=True, stream=None, min_interval=0.25, log_interval=60.0):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and getattr(self.stream, "isatty", lambda: False)()
        self.min_interval = min_interval if self.live else log_interval
        self._last = time.perf_counter()

    def bar(self, prefix, done, total, started, unit=None, eta=None):
        """Redraw `prefix [####    ] done/total elapsed eta` at most every min_interval seconds;
        with a unit, also the rate (e.g. '55 songs/s'); eta: seconds left, when the caller knows
        better than done/total (e.g. an epoch's test pass after its batches)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        final = done >= total
        if (not self.live and final) or (now - self._last < self.min_interval and not final):
            return  # a log file gets no line for the finished epoch: the epoch line follows
        self._last = now
        elapsed = now - started
        if eta is None:
            eta = elapsed / done * (total - done) if done else 0.0
        width = 24
        filled = int(width * done / max(total, 1))
        rate = " %.0f %s/s" % (done / elapsed, unit) if unit and elapsed > 0 else ""
        self.stream.write("%s%s [%s%s] %d/%d%s %s eta %s %s" % (
            "\r" if self.live else "", prefix, "#" * filled, " " * (width - filled), done, total,
            rate, duration(elapsed), duration(eta), "" if self.live else "\n"))
        self.stream.flush()

    def line(self, text):
        """A permanent line (clears a live bar first); printed even with the bar disabled."""
        if self.live:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()


def counter(label, total, enabled=True, unit=None):
    """on_done(n): n more of ``total`` things done; a bar with the rate and ETA on stderr."""
    bar, started, done = Progress(enabled and total > 0), time.perf_counter(), [0]

    def on_done(n):
        done[0] += n
        bar.bar(label, done[0], total, started, unit=unit)
    return on_done


def duration(seconds):
    """'42s', '12m05s', '3h07m': an ETA a person reads at a glance."""
    seconds = int(round(max(seconds, 0)))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm%02ds" % divmod(seconds, 60)
    return "%dh%02dm" % (seconds // 3600, seconds % 3600 // 60)
