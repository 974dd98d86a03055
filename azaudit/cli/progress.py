"""The progress bar on stderr while collection runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azaudit.collect.scheduler import Progress


@contextmanager
def progress_display(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("collecting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        # No refresh thread: collection processes are forked while this display runs, and a fork
        # must find no other thread. The display redraws when collection reports (at least twice
        # a second while processes collect), at most ten times a second.
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("collect", total=None)
        drawn = 0.0

        def update(done: int, total: int) -> None:
            nonlocal drawn
            bar.update(task, completed=done, total=total)
            if time.monotonic() - drawn >= 0.1 or done == total:
                bar.refresh()
                drawn = time.monotonic()

        yield update
