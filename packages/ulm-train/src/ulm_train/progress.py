"""Progress while training: a rich live display on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from ulm_train.train import Reporter, StepReport


@contextmanager
def step_reporter(max_steps: int, quiet: bool = False, stream: IO[str] | None = None) -> Iterator[Reporter]:
    """A reporter callback for :func:`ulm_train.train.train` (a no-op when ``quiet``): one line per
    evaluation, and on a terminal a bar of the steps out of the step budget."""
    out = stream or sys.stdout
    if quiet:
        yield lambda entry: None
        return
    if not out.isatty():

        def plain(entry: StepReport) -> None:
            print(entry.line(), file=out, flush=True)

        yield plain
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    except ImportError:  # rich is a dependency, but a plain line is better than no training
        yield lambda entry: print(entry.line(), file=out, flush=True)
        return
    console = Console(file=out)
    progress = Progress(
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps {task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
    )
    task: Any = progress.add_task("steps", total=max_steps, status="")
    with progress:

        def rich_report(entry: StepReport) -> None:
            progress.console.print(entry.line(), highlight=False)
            status = f"int {100 * entry.train.int_char:.2f}% exact {100 * entry.train.int_exact:.2f}%"
            if entry.val is not None:
                status += f" val {100 * entry.val.int_exact:.2f}%"
            progress.update(task, completed=entry.step, status=status)

        yield rich_report
