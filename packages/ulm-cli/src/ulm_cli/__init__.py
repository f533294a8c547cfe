"""The ``ulm`` command. Subcommands come from the installed ulm packages (see :mod:`ulm_cli.main`)."""

__version__ = "0.1.0"
