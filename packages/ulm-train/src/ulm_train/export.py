"""From the trained network to a :class:`ulm_spec.Model`: the integer layers, the charset, the
answer list and the provenance (data, options, accuracy, why training stopped; no timestamps, so
that the same run gives the same bytes)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from ulm_spec.model import EncoderParams, Model
from ulm_train import __version__
from ulm_train.config import TrainConfig

if TYPE_CHECKING:  # this module is imported to check --meta before torch is
    from ulm_train.metrics import Metrics
    from ulm_train.model import QATNet


def accuracy_record(train: Metrics, val: Metrics | None) -> dict[str, float]:
    """The accuracies of the exported state, rounded so that the metadata is stable."""
    record = {
        "train_int_char": round(train.int_char, 6),
        "train_int_exact": round(train.int_exact, 6),
        "train_float_char": round(train.float_char, 6),
    }
    if val is not None:
        record["val_int_char"] = round(val.int_char, 6)
        record["val_int_exact"] = round(val.int_exact, 6)
    return record


def training_summary(
    config: TrainConfig,
    *,
    steps_run: int,
    best_step: int,
    stop: str,
    counts: dict[str, int],
    accuracy: dict[str, float],
    zero_weights: float,
) -> dict[str, Any]:
    """The ``training`` entry of the model's metadata."""
    return {
        "trainer": f"ulm-train {__version__}",
        "torch": version("torch").split("+")[0],
        "options": config.record(),
        "steps_run": steps_run,
        "best_step": best_step,
        "stop": stop,
        **counts,
        "accuracy": accuracy,
        "zero_weights": round(zero_weights, 6),
        "interrupted": stop == "interrupted",
    }


def export_model(
    net: QATNet,
    charset: bytes,
    encoder: EncoderParams,
    answers: Sequence[bytes],
    metadata: dict[str, Any],
) -> Model:
    """The network's integer layers as a validated model that lists ``answers`` (may be empty)."""
    model = net.to_spec(charset, encoder, metadata)
    result = Model(model.layers, model.charset, model.encoder, model.metadata, tuple(answers))
    result.validate()
    return result
