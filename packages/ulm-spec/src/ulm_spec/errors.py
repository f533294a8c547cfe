"""The exception types every ulm package raises for problems a user can cause.

Commands catch :class:`UlmError` and print its message as one line; anything else is a bug.
"""

from __future__ import annotations


class UlmError(Exception):
    """A problem with user input (a file, an argument, a model): the message says what and where."""


class ModelFormatError(UlmError):
    """A ``.ulm`` (or imported ``.npz``) model is malformed; the message names the field."""
