"""``import ulm_spec`` is lazy (PEP 562): the plugin protocols and error types load without numpy,
and every public name still resolves, on first use, to the object its submodule defines."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest

import ulm_spec

BLOCK_NUMPY = textwrap.dedent(
    """
    import sys

    class Blocked:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("numpy", "msgpack"):
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, Blocked())
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK_NUMPY + textwrap.dedent(code)], capture_output=True, text=True, check=False)


def test_plugins_and_errors_load_without_numpy() -> None:
    done = _run(
        """
        import ulm_spec
        from ulm_spec import UlmError
        from ulm_spec.plugins import ComResult, com_runner, example_path, load_builder
        from ulm_spec.errors import ModelFormatError
        from ulm_spec import cpm, files, symbols, zx48
        assert issubclass(ModelFormatError, UlmError) and ulm_spec.__version__
        print("ok")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_without_numpy_a_model_function_fails_with_the_import_error() -> None:
    done = _run("import ulm_spec\nulm_spec.load('x.ulm')\n")
    assert done.returncode != 0 and "is blocked in this test" in done.stderr


@pytest.mark.parametrize("name", ulm_spec.__all__)
def test_every_public_name_is_its_submodule_object(name: str) -> None:
    module = importlib.import_module(f"ulm_spec.{ulm_spec._EXPORTS[name]}")
    assert getattr(ulm_spec, name) is getattr(module, name)
    assert name in dir(ulm_spec)


def test_submodules_are_attributes_and_unknown_names_are_errors() -> None:
    assert ulm_spec.hashing.query_trigrams is importlib.import_module("ulm_spec.hashing").query_trigrams
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        ulm_spec.nonsense  # noqa: B018


def test_all_lists_exactly_the_lazy_names() -> None:
    assert sorted(ulm_spec.__all__) == sorted(ulm_spec._EXPORTS)
