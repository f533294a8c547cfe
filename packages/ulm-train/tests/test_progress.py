"""The progress display: plain lines when the output is not a terminal, nothing when quiet."""

from __future__ import annotations

import io

from ulm_train.progress import step_reporter
from ulm_train.train import Metrics, StepReport


def _entry() -> StepReport:
    metrics = Metrics(0.1, 0.9, 0.95, 0.8, [0.0, 0.01], [0.05, 0.2])
    return StepReport(300, 0.5, 0.09, 0.12, metrics, metrics, 0.4, 1.5)


def test_plain_lines_for_a_pipe() -> None:
    out = io.StringIO()
    with step_reporter(1000, stream=out) as report:
        report(_entry())
    line = out.getvalue()
    assert line.count("\n") == 1
    for text in ("step    300", "a=0.50", "lr x0.09", "int  95.00%", "exact  80.00%", "val int  95.00%",
                 "overflow risk 0.0/1.0%", "peak 5/20%", "zeros 40.0%", "1.5s"):  # fmt: skip
        assert text in line


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with step_reporter(1000, quiet=True, stream=out) as report:
        report(_entry())
    assert out.getvalue() == ""
