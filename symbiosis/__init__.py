"""symbiosis: an industrial symbiosis network optimizer.

Read a park case, find which by-product exchanges to open and which plants to build so
as to reuse the most by-product at the least cost, and read the result as tables,
reports and an interactive network.

>>> import symbiosis
>>> case = symbiosis.load_case(symbiosis.examples.path("tutorial"))
>>> result = symbiosis.optimize(case)
>>> round(result.kpi("reuse_rate"), 4)
0.8279
"""
from symbiosis import examples
from symbiosis.api import compare, optimize
from symbiosis.case import Case
from symbiosis.check import check_result
from symbiosis.decision import alternatives, explain, pareto
from symbiosis.gains import gains
from symbiosis.errors import CaseError, InfeasibleError, SolverError, SymbiosisError
from symbiosis.io import load_case
from symbiosis.model import Options, ParkModel
from symbiosis.result import Result

__version__ = "0.1.0"
__all__ = ["load_case", "optimize", "compare", "Case", "Result", "ParkModel", "Options", "check_result",
           "CaseError", "InfeasibleError", "SolverError", "SymbiosisError", "examples", "__version__",
           "pareto", "alternatives", "explain", "gains"]
from symbiosis.outages import outages, resilient, montecarlo, criticality  # noqa: E402,F401
