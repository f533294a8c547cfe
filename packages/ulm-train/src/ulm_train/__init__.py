"""ulm-train: quantisation-aware training for ulm (Z80-μLM) models, data tools and examples.

* :mod:`ulm_train.data` — data files: parsing, statistics, balancing
* :mod:`ulm_train.model` — the network in torch, :func:`~ulm_train.model.integer_forward`
* :mod:`ulm_train.train` — the training loop
* :mod:`ulm_train.evaluate` — accuracy reports and agreement with the spec
* :mod:`ulm_train.teacher` — teacher data from a large model: Ollama or the Anthropic Messages API
* :mod:`ulm_train.examples` — the ``guess`` and ``chat`` example generators and data
"""

__version__ = "0.1.0"
