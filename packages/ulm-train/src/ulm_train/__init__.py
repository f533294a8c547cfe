"""ulm-train: quantisation-aware training for ulm (Z80-μLM) models, data tools and examples.

* :mod:`ulm_train.data` — data files: parsing, statistics, balancing, the model's limits
* :mod:`ulm_train.model` — the network in torch, :func:`~ulm_train.model.integer_forward`
* :mod:`ulm_train.config` — every training option with its default (:class:`~ulm_train.config.TrainConfig`)
* :mod:`ulm_train.train` — the training loop, which uses :mod:`~ulm_train.schedule`,
  :mod:`~ulm_train.step`, :mod:`~ulm_train.metrics`, :mod:`~ulm_train.export` and
  :mod:`~ulm_train.checkpoint`
* :mod:`ulm_train.fit` — ``--fit``: the widest layers whose program fits, asked of the builder
* :mod:`ulm_train.evaluate` — accuracy reports and agreement with the spec
* :mod:`ulm_train.teacher` — teacher data from a large model: Ollama or the Anthropic Messages API
* :mod:`ulm_train.examples` — the ``guess`` and ``chat`` example generators and data
"""

__version__ = "0.1.0"
