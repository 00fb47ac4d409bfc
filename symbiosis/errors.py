"""The project's exceptions, in one place.

Every error carries what a person needs to act on it: the file, the entry path inside
that file (``plants.slag_cement.capacity``) and a hint of what is expected.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """One problem found in a case: where it is and what is expected."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" if self.entry else self.file
        return f"{where}: {self.message}"


class SymbiosisError(Exception):
    """Base class of every error the project raises on purpose."""


class CaseError(SymbiosisError):
    """A case (or a process library) that cannot be read or is not valid.

    ``problems`` lists every problem found, each with file, entry and hint.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the case"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class InfeasibleError(SymbiosisError):
    """The park cannot run as stated; ``reasons`` say which plant and material."""

    def __init__(self, reasons: list[str], case_name: str = ""):
        self.reasons = list(reasons)
        head = f"The park{f' {case_name!r}' if case_name else ''} cannot run as stated"
        body = "\n".join(f"  - {r}" for r in self.reasons) or "  - no single cause could be named"
        super().__init__(head + ":\n" + body)


class SolverError(SymbiosisError):
    """The solver stopped without a usable solution (time limit, numerical trouble)."""
