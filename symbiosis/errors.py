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

    #: problems shown in full in the message; the rest are counted (``problems`` keeps all)
    SHOWN = 30
    #: the message never grows past about this many characters, however long each problem is
    MAX_CHARS = 4000

    def __init__(self, problems: list[Problem]):
        seen: set[tuple[str, str, str]] = set()
        self.problems = []
        for p in problems:  # the same problem reached twice (a library folder read twice) is told once
            key = (p.file, p.entry, p.message)
            if key not in seen:
                seen.add(key)
                self.problems.append(p)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the case"
        super().__init__(head + ":\n" + "\n".join(self.lines()))

    def lines(self, shown: int | None = None, max_chars: int | None = None) -> list[str]:
        """The problems as message lines: the first ``shown`` in full (within ``max_chars``),
        then one line counting the rest and saying where to see them all."""
        shown = self.SHOWN if shown is None else shown
        max_chars = self.MAX_CHARS if max_chars is None else max_chars
        out: list[str] = []
        used = 0
        for p in self.problems[:shown]:
            line = f"  - {p}"
            if out and used + len(line) > max_chars:
                break
            if len(line) > max_chars:
                line = line[:max_chars] + " ..."
            out.append(line)
            used += len(line) + 1
        rest = len(self.problems) - len(out)
        if rest:
            files = sorted({p.file for p in self.problems if p.file})
            target = files[0] if len(files) == 1 else "FILE"
            out.append(f"  ... and {rest} more problem{'s' if rest != 1 else ''} "
                       f"(fix these first, then run `symbiosis validate {target}` again)")
        return out


class InfeasibleError(SymbiosisError):
    """The park cannot run as stated; ``reasons`` say which plant and material."""

    def __init__(self, reasons: list[str], case_name: str = ""):
        self.reasons = list(reasons)
        head = f"The park{f' {case_name!r}' if case_name else ''} cannot run as stated"
        body = "\n".join(f"  - {r}" for r in self.reasons) or "  - no single cause could be named"
        super().__init__(head + ":\n" + body)


class SolverError(SymbiosisError):
    """The solver stopped without a usable solution (time limit, numerical trouble)."""
