"""Every argument ``ulm train`` and ``ulm data`` would reject later is rejected first, and no output
ever lands on an input, a FIFO or a device: run through the real ``ulm`` command (ulm-cli's
``main``), each case must end in one line on stderr starting ``ulm: error:``, status 1, no
traceback, and every input file byte-identical on the same inode."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA_TEXT = "is it alive|YES\nis it big|NO\nhello|HI\n"


@pytest.fixture
def ulm(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    main = pytest.importorskip("ulm_cli.main", reason="these run the real ulm command (ulm-cli)").main

    def call(*argv: str) -> tuple[int, str]:
        status = main(list(argv))
        return status, capsys.readouterr().err

    return call


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "data.txt").write_text(DATA_TEXT)
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


def snapshot(folder: Path) -> dict[str, tuple[bytes, int] | str]:
    """Every entry of ``folder``: content and inode of files, the kind of anything else."""
    found: dict[str, tuple[bytes, int] | str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_fifo():
            found[entry.name] = "fifo"
        elif entry.is_file():
            found[entry.name] = (entry.read_bytes(), entry.stat().st_ino)
        else:
            found[entry.name] = "other"
    return found


def refused(ulm: Callable[..., tuple[int, str]], work: Path, argv: list[str], message: str) -> None:
    before = snapshot(work)
    status, err = ulm(*[arg.replace("@", str(work) + "/") for arg in argv])
    assert status == 1, err
    assert err.count("\n") == 1 and err.startswith("ulm: error: "), err
    assert "Traceback" not in err
    assert message in err, err
    assert snapshot(work) == before  # nothing written, nothing replaced, no temporary file left


TRAIN_CASES: list[tuple[list[str], str]] = [
    (["--lr", "nan"], "--lr must be a finite number, not nan"),
    (["--lr", "inf"], "--lr must be a finite number, not inf"),
    (["--lr", "0"], "--lr must be above 0, not 0.0"),
    (["--lr", "-0.5"], "--lr must be above 0"),
    (["--max-time", "-1"], "--max-time must be at least 0"),
    (["--max-time", "nan"], "--max-time must be a finite number"),
    (["--input-dropout", "inf"], "--input-dropout must be a finite number"),
    (["--sparsity", "-0.1"], "--sparsity must be in [0, 1)"),
    (["--overflow-margin", "nan"], "--overflow-margin must be a finite number"),
    (["--stop-at", "2"], "--stop-at must be in [0, 1]"),
    (["--val-fraction", "-0.2"], "--val-fraction must be in [0, 1)"),
    (["--val-fraction", "nan"], "--val-fraction must be in [0, 1)"),
    (["--batch-size", "-5"], "--batch-size must be at least 1"),
    (["--max-steps", "-1"], "--max-steps must be at least 1"),
    (["--patience", "0"], "--patience must be at least 1"),
    (["--threads", "0"], "--threads must be in [1, 256]"),
    (["--warmup-steps", "-1"], "--warmup-steps must be at least 0"),
    (["--hidden", "8,,8"], "--hidden '8,,8': an empty layer size"),
    (["--hidden", "8,"], "an empty layer size"),
    (["--hidden", "300"], "--hidden: every layer needs 1 to 256 neurons"),
    (["--hidden", ",".join(["8"] * 16)], "--hidden: 16 hidden layers; a model holds at most 15"),
    (["--bits", "3"], "--bits: every width must be 2, 4 or 8, got 3"),
    (["--bits", "4,2"], "--bits: 2 widths for 4 layers (3 hidden + the output layer)"),
    (["--bits", "four"], "--bits 'four': expected comma-separated weight widths"),
    (["--seed", str(2**64)], "--seed must be in [0, 18446744073709551615]"),
    (["--seed", "-1"], "--seed must be in [0, 18446744073709551615]"),
    (["--meta", "big=" + "x" * 300_000], "--meta: the metadata would not fit in a .ulm file"),
    (["--meta", "training=mine"], "--meta training: the trainer writes this key itself"),
    (["--meta", "novalue"], "--meta: expected KEY=VALUE"),
    (["--fit", "0"], "--fit: 0 bytes is out of range"),
    (["--fit", "70000"], "--fit: 70000 bytes is out of range"),
    (["--fit", "lots"], "--fit: not a size in bytes: 'lots'"),
    (["--fit-layout", "fast"], "--fit-layout chooses how --fit sizes the layers; give --fit too"),
    (["--val", "@data.txt", "--val-fraction", "0.5"], "use either --val or --val-fraction"),
]


@pytest.mark.parametrize(("extra", "message"), TRAIN_CASES, ids=[m for _, m in TRAIN_CASES])
def test_bad_training_options_are_refused_first(ulm: Any, work: Path, extra: list[str], message: str) -> None:
    refused(ulm, work, ["train", "@data.txt", "-o", "@m.ulm", *extra], message)


OUTPUT_CASES: list[tuple[list[str], str]] = [
    (["-o", "@data.txt"], "-o {w}data.txt: is also an input of this command"),
    (["-o", "@m.ulm", "--checkpoint", "@data.txt"], "--checkpoint {w}data.txt: is also an input of this command"),
    (["-o", "@m.ulm", "--checkpoint", "@m.ulm"], "--checkpoint {w}m.ulm: is the same file as -o"),
    (["-o", "@fifo"], "-o {w}fifo: is a FIFO; the output must be a regular file"),
    (["-o", "@m.ulm", "--checkpoint", "@fifo"], "--checkpoint {w}fifo: is a FIFO"),
    (["-o", "@data.ckpt.ulm", "--checkpoint", "@data.txt"], "is also an input"),
    (["-o", "@m.ulm", "--val", "@m.ulm"], "-o {w}m.ulm: is also an input of this command"),
    (["-o", ""], "-o: the output file name is empty"),
]


@pytest.mark.parametrize(("argv", "message"), OUTPUT_CASES, ids=[" ".join(a) for a, _ in OUTPUT_CASES])
def test_outputs_that_would_destroy_something_are_refused_before_training(
    ulm: Any, work: Path, argv: list[str], message: str
) -> None:
    refused(ulm, work, ["train", "@data.txt", *argv, "--no-build-report"], message.format(w=str(work) + "/"))


def test_a_symlink_to_the_data_is_the_data(ulm: Any, work: Path) -> None:
    (work / "alias.ulm").symlink_to(work / "data.txt")
    refused(ulm, work, ["train", "@data.txt", "-o", "@alias.ulm"], "is also an input of this command")


def test_default_checkpoint_beside_the_output_must_not_be_an_input(ulm: Any, work: Path) -> None:
    (work / "m.ckpt").write_text(DATA_TEXT)  # the data is called m.ckpt: -o m.ulm would checkpoint onto it
    refused(ulm, work, ["train", "@m.ckpt", "-o", "@m.ulm"], f"--checkpoint {work}/m.ckpt: is also an input")


DATA_FILE_CASES: list[tuple[bytes, str]] = [
    (b"ok|YES\ncaf\xe9|NO\n", "data.txt:2: not valid UTF-8 (byte E9h at column 4)"),
    ("".join(f"q{i}|{chr(c)}\n" for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")).encode(),
     "data.txt:65: response"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "message"), DATA_FILE_CASES, ids=["latin-1", "65 characters"])
def test_bad_data_files_name_file_and_line(ulm: Any, work: Path, content: bytes, message: str) -> None:
    (work / "data.txt").write_bytes(content)
    refused(ulm, work, ["train", "@data.txt", "-o", "@m.ulm"], message)


def test_a_fifo_as_data_is_refused_at_once(ulm: Any, work: Path) -> None:
    refused(ulm, work, ["train", "@fifo", "-o", "@m.ulm"], f"{work}/fifo: is a FIFO; expected a regular file")
    refused(ulm, work, ["data", "stats", "@fifo"], "is a FIFO")


def test_resume_from_a_damaged_checkpoint(ulm: Any, work: Path) -> None:
    (work / "m.ckpt").write_bytes(b"\x80\x02not really a pickle")
    refused(ulm, work, ["train", "@data.txt", "-o", "@m.ulm", "--resume", "--no-build-report"],
            f"--resume {work}/m.ckpt: not an ulm-train checkpoint (damaged, or another kind of file)")  # fmt: skip
    status, err = ulm("train", str(work / "data.txt"), "-o", str(work / "m.ulm"), "--resume")
    assert "weights_only" not in err and ".tmp" not in err


def test_resume_without_a_checkpoint(ulm: Any, work: Path) -> None:
    refused(ulm, work, ["train", "@data.txt", "-o", "@m.ulm", "--resume"], f"--resume: no checkpoint at {work}/m.ckpt")


DATA_CASES: list[tuple[list[str], str]] = [
    (["balance", "@data.txt", "-o", "@b.txt", "--per-class", "2", "--max-oversample", "-1"], "--max-oversample must be a finite number of at least 1"),
    (["balance", "@data.txt", "-o", "@b.txt", "--per-class", "2", "--max-oversample", "nan"], "--max-oversample must be a finite number"),
    (["balance", "@data.txt", "-o", "@b.txt", "--per-class", "0"], "--per-class must be 1 to"),
    (["balance", "@data.txt", "-o", "@b.txt", "--per-class", "2", "--max-share", "nan"], "--max-share must be a finite number above 0"),
    (["balance", "@data.txt", "-o", "@b.txt", "--per-class", "2", "--seed", "-3"], "--seed must be 0 to"),
    (["balance", "@data.txt", "-o", "@data.txt", "--per-class", "2"], "-o {w}data.txt: is also an input"),
    (["balance", "@data.txt", "-o", "@fifo", "--per-class", "2"], "-o {w}fifo: is a FIFO"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--retries", "-1"], "--retries must be 0 to 100, not -1"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--backoff", "-2"], "--backoff must be a finite number at least 0"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--backoff", "nan"], "--backoff must be a finite number"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--timeout", "0"], "--timeout must be a finite number above 0"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--questions", "-3"], "--questions must be 0 to 1000"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--url", "htp://localhost"], "the scheme must be http or https"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--url", "http://"], "--url 'http://': not a server URL (no host)"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--url", "http://localhost:99999"], "a malformed host or port"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@x.txt", "--url", "http://local host"], "white space"),
    (["generate", "--backend", "ollama", "--model", "m", "--topic", "cat", "-o", "@fifo", "--url", "http://127.0.0.1:9"], "-o {w}fifo: is a FIFO"),
    (["generate", "--backend", "template", "--example", "guess", "-o", "@data.txt"], "-o {w}data.txt: is not a folder"),
    (["generate", "--backend", "template", "--example", "guess", "--seed", str(2**64)], "--seed must be 0 to"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), DATA_CASES, ids=[m for _, m in DATA_CASES])
def test_bad_data_tool_arguments_are_refused_first(ulm: Any, work: Path, argv: list[str], message: str) -> None:
    refused(ulm, work, ["data", *argv], message.format(w=str(work) + "/"))


def test_template_outputs_are_checked(ulm: Any, work: Path) -> None:
    os.mkfifo(work / "guess-heldout.txt")
    refused(ulm, work, ["data", "generate", "--backend", "template", "--example", "guess", "-o", str(work)],
            f"-o (heldout) {work}/guess-heldout.txt: is a FIFO")  # fmt: skip


def test_eval_report_must_not_replace_an_input(ulm: Any, work: Path) -> None:
    import numpy as np

    from ulm_spec.fileformat import save
    from ulm_spec.model import random_model

    save(random_model(np.random.default_rng(0), hidden=(4,), charset=b"EHINOSY"), work / "m.ulm")
    refused(ulm, work, ["eval", "@m.ulm", "@data.txt", "--report", "@data.txt"], "--report {w}data.txt: is also an input".format(w=str(work) + "/"))
    refused(ulm, work, ["eval", "@m.ulm", "@data.txt", "--report", "@fifo"], "is a FIFO")


STUDY_CASES: list[tuple[list[str], str]] = [
    (["precision", "@data.txt", "--plot", "@data.txt"], "--plot {w}data.txt: is also an input"),
    (["precision", "@data.txt", "--plot", "@r.png", "--json", "@r.png"], "--json {w}r.png: is the same file as --plot"),
    (["precision", "--from-json", "@data.txt"], "--from-json {w}data.txt: not a study record"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), STUDY_CASES, ids=[m for _, m in STUDY_CASES])
def test_bad_study_arguments_are_refused_first(ulm: Any, work: Path, argv: list[str], message: str) -> None:
    refused(ulm, work, ["study", *argv], message.format(w=str(work) + "/"))


def test_the_installed_command_refuses_a_nan_learning_rate(work: Path) -> None:
    pytest.importorskip("ulm_cli.main", reason="runs the ulm command (ulm-cli)")
    done = subprocess.run(
        [sys.executable, "-m", "ulm_cli.main", "train", str(work / "data.txt"), "-o", str(work / "m.ulm"), "--lr", "nan"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and done.stderr == "ulm: error: --lr must be a finite number, not nan\n"
    assert not (work / "m.ulm").exists()
