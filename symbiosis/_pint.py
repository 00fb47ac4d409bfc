"""pint, imported without Dask.

When Dask is installed, ``import pint`` imports ``dask.base`` (pint's support for Dask
arrays, which symbiosis does not use): 0.2 s and the whole of Dask in every
``symbiosis validate``. Here pint is imported with Dask hidden from its one probe
(``importlib.util.find_spec("dask")``), unless Dask is loaded already (a sweep's
workers), where pint's usual import runs.
"""
from __future__ import annotations

import importlib.util
import sys


def _import_pint():
    if "pint" in sys.modules or "dask" in sys.modules:
        import pint
        return pint
    real = importlib.util.find_spec

    def find_spec(name, package=None):
        if name == "dask" or name.startswith("dask."):
            return None
        return real(name, package)
    importlib.util.find_spec = find_spec
    try:
        import pint
    finally:
        importlib.util.find_spec = real
    return pint


pint = _import_pint()
