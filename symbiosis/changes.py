"""Changing a case by its entries: the one implementation behind ``Case.with_changes``,
``symbiosis sweep --vary`` and the workbook converter's library rows.

An entry is a dotted path into the case file as written: ``materials.coal.price``,
``plants.ceramsite_plant.capex``, ``settings.discount_rate``, ``exchanges.2.max`` (lists
by index), ``limits.capex``. Values are written as in the file (``"700 CNY/t"``, ``0.06``,
``"25 Mt/yr"``); a dict value is merged over the entry, as a scenario is merged over the
case. A material or process that the case takes from its library is copied into the case
first (a material's fields override the library's; a process is copied whole), so
``materials.coal.price`` works whether or not the case file names coal.

>>> import symbiosis
>>> case = symbiosis.examples.tutorial()
>>> dearer = case.with_changes({"materials.cement.sale_price": "300 CNY/t"})
>>> dearer.materials["cement"].sale_price, case.materials["cement"].sale_price
(300.0, 380.0)
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from symbiosis.errors import CaseError, Problem
from symbiosis.files import deep_merge, expand_extends, library_files, read_yaml, shipped_models_dir

#: sections whose entries a case may take from its process library
LIBRARY_SECTIONS = ("materials", "processes")


def library_folders(data: dict, base_dir: Path) -> list[Path]:
    """The process-library folders a case file names (as the loader resolves them)."""
    lib = data.get("library")
    if lib is None:
        return [shipped_models_dir()]
    out = []
    for n in ([lib] if isinstance(lib, str) else list(lib or [])):
        if not str(n).strip():
            continue
        p = shipped_models_dir() if n in ("shipped", "default") else Path(n)
        if not p.is_absolute() and n not in ("shipped", "default"):
            p = base_dir / p
        if p.is_dir():
            out.append(p)
    return out


def library_entries(data: dict, base_dir: Path) -> dict[str, dict[str, Any]]:
    """The raw library entries (as written in models/) a case can use:
    ``{"materials": {name: dict}, "processes": {name: dict}}``."""
    out: dict[str, dict[str, Any]] = {s: {} for s in LIBRARY_SECTIONS}
    for folder in library_folders(data, base_dir):
        for f in library_files(folder):
            raw = read_yaml(f) or {}
            if not isinstance(raw, dict):
                continue
            for section in LIBRARY_SECTIONS:
                for name, spec in (raw.get(section) or {}).items():
                    out[section].setdefault(name, copy.deepcopy(spec))
    return out


def _from_library(data: dict, section: str, name: str, base_dir: Path | None) -> bool:
    """Copy library entry ``section.name`` into the case data; False if there is none."""
    if section not in LIBRARY_SECTIONS or base_dir is None:
        return False
    lib = library_entries(data, base_dir)[section]
    if name not in lib:
        return False
    data.setdefault(section, {})
    if data[section] is None:
        data[section] = {}
    # a case material overrides the library's fields one by one: an empty entry is enough;
    # a case process replaces the library's: copy it whole
    data[section][name] = {} if section == "materials" else lib[name]
    return True


def set_entry(data: dict, entry: str, value: Any, file: str = "<case>", base_dir: Path | None = None) -> None:
    """Set ``a.b.c`` in the nested dict of a case file (lists by index: ``exchanges.2.max``).

    A dict ``value`` is merged over the entry (as a scenario is); a material or process
    the case takes from its library is copied into the case first (``base_dir``: the case
    file's folder, where its library is found).

    Raises
    ------
    CaseError : the entry does not exist in the case (naming the first missing part).
    """
    parts = entry.split(".")
    if not entry or any(not p for p in parts):
        raise CaseError([Problem(file, entry, "write an entry as dotted names, e.g. materials.coal.price")])
    cur: Any = data
    for i, part in enumerate(parts[:-1]):
        try:
            key: Any = int(part) if isinstance(cur, list) else part
            if (i == 1 and isinstance(cur, dict) and key not in cur and parts[0] in LIBRARY_SECTIONS
                    and _from_library(data, parts[0], part, base_dir)):
                cur = data[parts[0]]
            if isinstance(cur, dict) and cur.get(key) is None and i == 0 and key in ("settings", "limits", "units"):
                cur[key] = {}
            cur = cur[key]
        except (KeyError, IndexError, TypeError, ValueError):
            import difflib
            where = ".".join(parts[:i + 1])
            known = ""
            if isinstance(cur, dict) and cur is not None:
                names = set(map(str, cur))
                if i == 1 and parts[0] in LIBRARY_SECTIONS and base_dir is not None:
                    names |= set(library_entries(data, base_dir)[parts[0]])
                close = difflib.get_close_matches(part, sorted(names), n=3)
                known = (f"; did you mean {', '.join(close)}?" if close else
                         "; it has: " + ", ".join(sorted(names)[:12]) + (" ..." if len(names) > 12 else ""))
            raise CaseError([Problem(file, entry, f"no entry {where!r} in the case to change{known}")]) from None
    last = parts[-1]
    if isinstance(cur, list):
        try:
            cur[int(last)] = value
        except (IndexError, ValueError):
            raise CaseError([Problem(file, entry, f"no item {last!r} in the list ({len(cur)} items)")]) from None
    elif isinstance(cur, dict):
        if isinstance(value, dict) and isinstance(cur.get(last), dict):
            cur[last] = deep_merge(cur[last], value)
        elif last not in cur and not isinstance(value, (int, float, str, list, dict)):
            raise CaseError([Problem(file, entry, "no such entry to change")])
        else:
            cur[last] = copy.deepcopy(value)
    else:
        raise CaseError([Problem(file, entry, "cannot change an entry inside a value "
                                 f"({'.'.join(parts[:-1])} is {cur!r})")])


def apply_changes(data: dict, changes: dict[str, Any], file: str = "<case>",
                  base_dir: Path | None = None) -> dict:
    """A copy of the case data with every ``{entry: value}`` set (see :func:`set_entry`);
    every bad entry is reported at once."""
    out = copy.deepcopy(data)
    problems: list[Problem] = []
    for entry, value in changes.items():
        try:
            set_entry(out, entry, value, file, base_dir)
        except CaseError as exc:
            problems += exc.problems
    if problems:
        raise CaseError(problems)
    return out


def scenario_of(case) -> str | None:
    """The scenario a Case was loaded with (its name ends in `` [scenario]``)."""
    for name in case.scenarios or {}:
        if case.name.endswith(f" [{name}]"):
            return name
    return None


def case_source(case) -> tuple[dict, str, Path, str | None]:
    """The case file's data a Case was read from, with the changes it already carries:
    ``(data, file, base_dir, scenario)``, the scenario not yet merged."""
    if case.path is None:
        raise ValueError("this case was not read from a file (symbiosis.load_case), so its entries cannot "
                         "be changed; write it as YAML and load it")
    path = Path(case.path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from symbiosis.excel import read_case_workbook
        data = read_case_workbook(path)
    else:
        data = expand_extends(read_yaml(path), str(path), path.parent)
    return data, str(path), path.parent, scenario_of(case)
