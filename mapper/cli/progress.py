"""One status line on stderr for long work: redrawn in place on a terminal, else printed as a
new line every few seconds (a log, such as CI's, then stays readable). Commands subclass it to
say what their progress is; nothing below the CLI prints."""
from __future__ import annotations

import sys
import time


class StatusLine:
    def __init__(self, stream=None, every_s: float = 5.0, width: int = 120):
        self.stream = stream or sys.stderr            # looked up now: it may have been replaced
        self.tty = self.stream.isatty()
        self.every = 0.25 if self.tty else every_s
        self.width = width
        self.last = 0.0

    def due(self) -> bool:
        """Whether enough time has passed since the last line (then the caller shows one)."""
        return time.monotonic() - self.last >= self.every

    def show(self, text: str) -> None:
        self.last = time.monotonic()
        if self.tty:
            self.stream.write("\r" + text[: self.width].ljust(self.width))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
