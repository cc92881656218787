"""A progress bar on stderr (rich) for long checks."""

from __future__ import annotations

import sys

STAGE_TEXT = {"reading": "Reading claims", "checking": "Checking rules"}


class RichProgress:
    """Callable ``(stage, done, total)`` that draws one bar per stage on stderr."""

    def __init__(self) -> None:
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
            console=Console(file=sys.stderr),
            transient=True,
        )
        self._tasks: dict[str, int] = {}
        self._started = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "done":
            if self._started:
                self._progress.stop()
                self._started = False
            return
        if not self._started:
            self._progress.start()
            self._started = True
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(STAGE_TEXT.get(stage, stage), total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)
