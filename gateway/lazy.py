"""A package's names loaded on first use (PEP 562), so an idle box does not hold code it
only needs now and then (issue #8: the Pi Zero's 512 MB).

``carbon/__init__.py`` has its own few lines for the same: the engine imports nothing
outside the standard library.
"""
from __future__ import annotations

import importlib
import sys


def on_first_use(package: str, where: dict[str, str]):
    """The ``__getattr__`` of ``package``: ``where`` maps each name to the module that has it
    (``".authority"`` relative to the package, or absolute). Loading a submodule binds its
    own name in the package (``check`` the module would hide ``check`` the function), so
    every name that module provides is bound at once, before anyone reads it."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(where[name], package)
        for provided, source in where.items():
            if source == where[name]:
                namespace[provided] = getattr(module, provided)
        return namespace[name]
    return __getattr__
