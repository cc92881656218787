"""Progress on stderr for work that takes time: a rich bar per stage on a terminal, plain
lines at a sane rate otherwise (CI logs, ``2> log.txt``).

Both reporters are callables ``(stage, done, total)`` — the callback :func:`addin.checker.check`
and :func:`addin.workbooks.report.write_report` accept. ``total`` 0 means "not known yet" (a
pulsing bar, a count in the plain lines). Stage ``"done"`` ends the display. Only stage names,
counts and times are shown, never claim contents.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

STAGE_TEXT = {
    "reading": "Reading claims",
    "reference": "Loading reference tables",
    "checking": "Checking rules",
    "findings": "Writing findings",
    "report": "Writing audit workbook",
    "import": "Importing files",
    "verify": "Verifying stored files",
}

#: Plain mode prints at most one line per stage this often (plus its start and its end).
PLAIN_INTERVAL_SECONDS = 2.0

ProgressCallback = Callable[[str, int, int], None]


def stage_text(stage: str) -> str:
    """The label shown for a stage."""
    return STAGE_TEXT.get(stage, stage.capitalize())


class RichProgress:
    """One rich bar per stage on stderr, cleared when done (``stop_on_done=False``: only
    :meth:`close` ends it, so several calls that each say ``done`` share one display)."""

    def __init__(self, stream: IO[str] | None = None, *, stop_on_done: bool = True) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream or sys.stderr),
            transient=True,
        )
        self._tasks: dict[str, int] = {}
        self._started = False
        self._stop_on_done = stop_on_done

    def __call__(self, stage: str, done: int, total: int, detail: str = "") -> None:
        if stage == "done":
            if self._stop_on_done:
                self.close()
            return
        if not self._started:
            self._progress.start()
            self._started = True
        label = stage_text(stage) + (f" {detail}" if detail else "")
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(label, total=total or None)
        self._progress.update(
            self._tasks[stage], completed=done, total=total or None, description=label
        )

    def close(self) -> None:
        """Stop drawing and clear the bars."""
        if self._started:
            self._progress.stop()
            self._started = False


class PlainProgress:
    """Plain lines: ``Reading claims…`` when a stage starts, at most one
    ``Checking rules 12/40 (30%)`` per :data:`PLAIN_INTERVAL_SECONDS`, and
    ``Checking rules done (1.2 s)`` when it ends (``done == total`` or the next stage starts)."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        interval: float = PLAIN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._interval = interval
        self._clock = clock
        self._stage: str | None = None
        self._started = 0.0
        self._last = 0.0
        self._finished: set[str] = set()

    def _print(self, text: str) -> None:
        print(f"cpt-addin: {text}", file=self._stream or sys.stderr, flush=True)

    def __call__(self, stage: str, done: int, total: int, detail: str = "") -> None:
        now = self._clock()
        if stage == "done":
            self.close()
            return
        if stage != self._stage:
            self.close()
            if total and done >= total:  # over before it began (nothing was waited for)
                return
            self._stage, self._started, self._last = stage, now, now
            self._finished.discard(stage)
            self._print(f"{stage_text(stage)}…")
        if total and done >= total:
            self._end(now)
        elif now - self._last >= self._interval:
            self._last = now
            count = f"{done}/{total} ({done * 100 // total}%)" if total else f"{done}"
            self._print(f"{stage_text(stage)} {count}" + (f" {detail}" if detail else ""))

    def _end(self, now: float) -> None:
        if self._stage is not None and self._stage not in self._finished:
            self._finished.add(self._stage)
            self._print(f"{stage_text(self._stage)} done ({now - self._started:.1f} s)")

    def close(self) -> None:
        """End the current stage (prints its end line once)."""
        if self._stage is not None:
            self._end(self._clock())
        self._stage = None


def reporter(show: bool, stream: IO[str] | None = None, *, force_bar: bool = False):
    """The progress reporter for a command: a rich bar when ``stream`` (stderr) is a terminal
    or ``force_bar``, plain lines otherwise, nothing when ``show`` is false. Returns a callable
    with ``close()``; ``done`` from one step does not end it (call ``close`` at the end)."""
    stream = stream or sys.stderr
    if not show:
        return NoProgress()
    if force_bar or _isatty(stream):
        return RichProgress(stream, stop_on_done=False)
    return PlainProgress(stream)


class NoProgress:
    """A reporter that shows nothing."""

    def __call__(self, stage: str, done: int, total: int, detail: str = "") -> None:
        return None

    def close(self) -> None:
        return None


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
