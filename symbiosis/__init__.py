"""symbiosis: an industrial symbiosis network optimizer.

Read a park case, find which by-product exchanges to open and which plants to build so
as to reuse the most by-product at the least cost, and read the result as tables,
reports and an interactive network.

>>> import symbiosis
>>> case = symbiosis.load_case(symbiosis.examples.path("tutorial"))
>>> result = symbiosis.optimize(case)
>>> round(result.kpi("reuse_rate"), 4)
0.8279

Names are imported when first used (``import symbiosis`` loads neither Pyomo, plotly
nor Dask), so the command line and scripts start quickly.
"""
from __future__ import annotations

import importlib
import sys
import types

from symbiosis import hooks as _hooks

__version__ = "0.1.0"

#: public name -> the module that defines it
_LAZY = {
    "load_case": "symbiosis.io",
    "optimize": "symbiosis.api", "compare": "symbiosis.api",
    "Case": "symbiosis.case",
    "with_changes": "symbiosis.io",
    "check_result": "symbiosis.check",
    "pareto": "symbiosis.decision", "alternatives": "symbiosis.decision", "explain": "symbiosis.decision",
    "gains": "symbiosis.gains",
    "CaseError": "symbiosis.errors", "InfeasibleError": "symbiosis.errors", "SolverError": "symbiosis.errors",
    "SymbiosisError": "symbiosis.errors",
    "Options": "symbiosis.model", "ParkModel": "symbiosis.model",
    "Result": "symbiosis.result",
    "load_result": "symbiosis.loadresult",
    "compare_results": "symbiosis.comparison",
    "write_views": "symbiosis.views",
    "outages": "symbiosis.outages", "resilient": "symbiosis.outages", "montecarlo": "symbiosis.outages",
    "criticality": "symbiosis.outages",
}
_SUBMODULES = ("examples",)

__all__ = ["load_case", "optimize", "compare", "Case", "Result", "ParkModel", "Options", "check_result",
           "CaseError", "InfeasibleError", "SolverError", "SymbiosisError", "examples", "__version__",
           "pareto", "alternatives", "explain", "gains", "with_changes", "load_result", "compare_results",
           "write_views", "outages", "resilient", "montecarlo", "criticality"]


#: functions named like the module that defines them: ``symbiosis.outages`` is the function
_FUNCTION_OVER_MODULE = ("outages", "gains")


class _Package(types.ModuleType):
    def __setattr__(self, name, value):
        # importing symbiosis.outages sets the package's attribute to the module; the
        # function of that name stays what symbiosis.outages reads
        if name in _FUNCTION_OVER_MODULE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

#: methods of a lower layer's class whose code lives in a higher layer (see symbiosis.hooks):
#: the class asks for the hook by name; the package, assembled here, says what provides it
_hooks.wire({
    "Case.with_changes": "symbiosis.io:with_changes",
    "Case.graph": "symbiosis.graph:build_graph",
    "Result.to_html": "symbiosis.views:network_html",
})


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"symbiosis.{name}")
    else:
        raise AttributeError(f"module 'symbiosis' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
