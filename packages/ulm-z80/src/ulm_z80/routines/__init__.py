"""The fixed routines every program holds, whatever its machine and kernels, as ``.asm`` files:
``answer.asm`` (ANSWER), ``normalize.asm`` (NORMALIZE), ``encoders.asm`` (HASH_STEP, ADD_SCALE,
ENCODE_QUERY, ENCODE_CONTEXT), ``argmax.asm`` (ARGMAX) and ``argmax_trie.asm`` (ARGMAX_TRIE).
See :mod:`ulm_z80.asmfiles`."""
