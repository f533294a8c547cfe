"""The per-epoch display: plain lines when the output is not a terminal, nothing when quiet."""

from __future__ import annotations

import io

from ulm_train.progress import epoch_reporter
from ulm_train.train import EpochReport, Metrics


def _entry() -> EpochReport:
    metrics = Metrics(0.1, 0.9, 0.95, 0.8, [0.0, 0.01], [0.05, 0.2])
    return EpochReport(3, 0.5, 0.12, metrics, metrics, 0.4, 8000, 1.5)


def test_plain_lines_for_a_pipe() -> None:
    out = io.StringIO()
    with epoch_reporter(10, stream=out) as report:
        report(_entry())
    line = out.getvalue()
    assert line.count("\n") == 1
    for text in ("epoch   3", "int  95.00%", "val int  95.00%", "overflow risk 0.0/1.0%", "peak 5/20%",
                 "zeros 40.0%", "~7.8 KB .COM"):  # fmt: skip
        assert text in line


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with epoch_reporter(10, quiet=True, stream=out) as report:
        report(_entry())
    assert out.getvalue() == ""
