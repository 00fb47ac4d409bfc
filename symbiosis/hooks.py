"""Methods of a lower layer whose work is done in a higher one.

``Case.with_changes`` reads the case's file again (:mod:`symbiosis.io`), ``Case.graph``
builds the park graph (:mod:`symbiosis.graph`) and ``Result.to_html`` draws the network
(:mod:`symbiosis.views`). Each is a method of the lower layer's class, where a user looks
for it, but its code lives above. So the class asks for its hook by name
(:func:`provided`) and imports nothing above its own layer; the package face
(``symbiosis/__init__.py``), where the package is assembled, wires each hook to the
function that provides it. tests/test_api_ux.py checks that every hook asked for is
wired, and wired upwards.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

#: hook name ("Class.method") -> "module:function" that provides it (set by the package face)
WIRED: dict[str, str] = {}


def wire(table: dict[str, str]) -> None:
    """Say which function provides each hook: ``{"Case.graph": "symbiosis.graph:build_graph"}``."""
    WIRED.update(table)


def provided(name: str) -> Callable[..., Any]:
    """The function wired to hook ``name``, its module imported when first asked for."""
    try:
        module, _, function = WIRED[name].partition(":")
    except KeyError:
        raise LookupError(f"no function provides {name!r}; the package face (symbiosis/__init__.py) wires "
                          "the hooks") from None
    return getattr(importlib.import_module(module), function)
