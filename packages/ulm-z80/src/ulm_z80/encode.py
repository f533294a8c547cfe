"""The encode stage: the model's weights, biases and answer list in the forms the plan chose.

Input: the :class:`~ulm_spec.model.Model` and the :class:`~ulm_z80.plan.Plan`. Output: an
:class:`EncodedModel`, all the data the emitter writes and nothing it has to compute: per layer an
:class:`~ulm_z80.kernels.base.EncodedLayer` (weights as its kernel reads them, biases as words,
where layer 1's context columns start), and the answer trie's nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ulm_spec.answers import TrieNode
from ulm_spec.model import Model
from ulm_z80.kernels import EncodedLayer, kernel
from ulm_z80.kernels.base import CHUNK_INPUTS
from ulm_z80.plan import Plan
from ulm_z80.trie import node_bytes, trie_nodes


@dataclass(frozen=True)
class EncodedModel:
    """What the emitter needs: the model (its sizes and charset), the plan, the encoded data."""

    model: Model
    plan: Plan
    layers: tuple[EncodedLayer, ...]
    trie: tuple[TrieNode, ...]
    """The answer trie's nodes, root first (empty for a model without an answer list)."""

    @property
    def weight_bytes(self) -> int:
        return sum(layer.data_bytes for layer in self.layers)

    @property
    def trie_bytes(self) -> int:
        return sum(node_bytes(node) for node in self.trie)


def encode_layer(model: Model, plan: Plan, index: int) -> EncodedLayer:
    """Layer ``index`` (1-based) of ``model`` as ``plan`` computes it."""
    layer, choice = model.layers[index - 1], plan.layers[index - 1]
    chosen = kernel(choice.kernel)
    first = model.encoder.query_buckets
    context_offset = 0
    chunk_offsets: tuple[int, ...] = ()
    if chosen.can_hoist:  # an input-major kernel: where its calls of the shared routine start
        if index == 1:
            context_offset = chosen.input_offset(layer.weight, choice.list_columns, first)
        starts = range(CHUNK_INPUTS, layer.n_in, CHUNK_INPUTS)
        chunk_offsets = tuple(chosen.input_offset(layer.weight, choice.list_columns, start) for start in starts)
    blocks = chosen.encode_blocks(layer.weight, choice.list_columns, index)
    return EncodedLayer(
        index=index,
        n_in=layer.n_in,
        n_out=layer.n_out,
        shift=layer.shift,
        relu=layer.relu,
        kernel=choice.kernel,
        weights=chosen.encode(layer.weight, choice.list_columns),
        biases=tuple(int(b) & 0xFFFF for b in layer.bias),
        query_inputs=first if index == 1 and plan.hoisted else 0,
        context_offset=context_offset,
        chunk_offsets=chunk_offsets,
        list_columns=choice.list_columns,
        columns=blocks,
        weight_size=sum(block.size for block in blocks) if blocks else -1,
    )


def encode(model: Model, plan: Plan) -> EncodedModel:
    """Every layer of ``model`` in the formats ``plan`` chose, and the answer trie."""
    layers = tuple(encode_layer(model, plan, index) for index in range(1, len(model.layers) + 1))
    trie = trie_nodes(model.answers, model.charset) if model.answers else ()
    return EncodedModel(model, plan, layers, trie)
