"""A small progress bar on stderr, redrawn in place on a terminal; epoch lines are always printed."""
import sys
import time


class Progress:
    def __init__(self, enabled=True, stream=None, min_interval=0.25):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and getattr(self.stream, "isatty", lambda: False)()
        self.min_interval = min_interval
        self._last = 0.0

    def bar(self, prefix, done, total, started):
        """Redraw `prefix [####    ] done/total elapsed eta` at most every min_interval seconds."""
        if not self.live:
            return
        now = time.perf_counter()
        if done < total and now - self._last < self.min_interval:
            return
        self._last = now
        elapsed = now - started
        eta = elapsed / done * (total - done) if done else 0.0
        width = 24
        filled = int(width * done / max(total, 1))
        self.stream.write("\r%s [%s%s] %d/%d %.1fs eta %.1fs " % (
            prefix, "#" * filled, " " * (width - filled), done, total, elapsed, eta))
        self.stream.flush()

    def line(self, text):
        """A permanent line (clears a live bar first); printed even with the bar disabled."""
        if self.live:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()
