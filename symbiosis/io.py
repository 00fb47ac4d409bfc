"""Read case files and process libraries, resolve units and references, validate.

``load_case(path)`` is the only way in: it returns a :class:`symbiosis.case.Case` or
raises :class:`symbiosis.errors.CaseError` listing every problem found, each with the
file, the entry path and what is expected.
"""
from __future__ import annotations

import copy
import difflib
import functools
import math
import os
import re
from pathlib import Path
from typing import Any, overload

from pydantic import BaseModel, ValidationError

from symbiosis import schema
from symbiosis import units as _units
from symbiosis.case import Case, ExchangeRule, Material, Plant, Process, Settings, Size, Slot
from symbiosis.errors import CaseError, Problem
from symbiosis.units import UnitProblem, _check_unit_text, dimension_of, to_float, ureg
from symbiosis.files import (  # noqa: F401  (read here as symbiosis.io.* too)
    LIBRARY_PATH_ENV, MAX_DEPTH, MAX_FILE_BYTES, MAX_LIBRARY_DEPTH, MAX_LIBRARY_ENTRIES, MAX_VALUES, PACKAGE_DIR,
    _inside, _path_text, _short, decode_text, deep_merge, expand_extends, library_files, library_roots, read_yaml,
    shipped_cases_dir, shipped_models_dir)


def _is_plain(text: str) -> bool:
    from symbiosis.units import is_number_text
    return is_number_text(text)


def _dimension_text(value) -> str:
    from symbiosis.units import parse, _dim_name
    try:
        return _dim_name(parse(value.strip()))
    except UnitProblem as exc:
        return str(exc)


# --------------------------------------------------------------------------- quantities, fast
@functools.lru_cache(maxsize=4096)
def _unit_factor(unit_text: str, target: str, n_currencies: int) -> float | None:
    """The factor taking a number in ``unit_text`` to ``target`` when that conversion is a
    plain product (no offset such as degC, no currency rate); None when it is not, or when
    the unit cannot be read (then ``to_float`` words the problem)."""
    try:
        one = to_float(f"1 {unit_text}", target)
        two = to_float(f"2 {unit_text}", target)
    except UnitProblem:
        return None
    return one if one != 0 and abs(two - 2 * one) <= 1e-12 * abs(one) else None


def _fast_float(value: str, unit: str) -> float | None:
    """``to_float(value, unit)`` for "number unit" text whose unit converts by a factor: the
    number read by Python, the factor cached per (unit text, target). Tens of thousands of
    listed exchanges each carry a distinct distance, so caching whole strings does not help.
    None where ``to_float`` must decide (plain numbers, odd text, problems)."""
    if len(value) > _units.MAX_TEXT:
        return None
    m = _units._SPLIT.match(value)
    if m is None or not m.group(2):
        return None
    factor = _unit_factor(m.group(2), unit, len(_units._CURRENCIES))
    if factor is None:
        return None
    x = float(m.group(1)) * factor
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- pydantic errors
def entry_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the last element of ``loc`` (for hints)."""
    cur: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            field = cur.model_fields.get(part) or next(
                (f for f in cur.model_fields.values() if f.alias == part), None)
            if field is None:
                # a key of a dict[str, Model]
                continue
            ann = field.annotation
            cur = _inner_model(ann)
        if cur is None:
            return None
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _inner_model(ann):
    import typing
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def problems_from_validation(exc: ValidationError, file: str, model: type[BaseModel],
                             prefix: tuple = ()) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = prefix + tuple(err["loc"])
        typ = err["type"]
        owner = _model_at(model, tuple(err["loc"]))
        last = err["loc"][-1] if err["loc"] else ""
        if typ == "missing":
            desc = ""
            if owner is not None and last in owner.model_fields:
                desc = owner.model_fields[last].description or ""
            msg = f"required field {last!r} is missing" + (f" ({desc})" if desc else "")
        elif typ == "extra_forbidden":
            known = [f.alias or n for n, f in owner.model_fields.items()] if owner is not None else []
            close = difflib.get_close_matches(str(last), known, n=1)
            msg = f"unknown field {last!r}" + (f"; did you mean {close[0]!r}?" if close else
                                              (f"; allowed fields: {', '.join(sorted(known))}" if known else ""))
        elif typ == "literal_error":
            msg = f"{_short(err['input'])} is not allowed; expected {err['ctx']['expected']}"
        else:
            msg = _words(err)
            if "input" in err and typ not in ("value_error",):
                msg += f" (got {_short(err['input'])})"
        problems.append(Problem(file, entry_path(tuple(p for p in loc if not _is_type_tag(p))), msg))
    return problems


def _is_type_tag(part) -> bool:
    """pydantic names the branch of a union in the location ('str', 'list[str]'): not an entry."""
    return isinstance(part, str) and (part in ("str", "int", "float", "bool") or "[" in part or
                                      part.startswith(("function-", "tuple", "list", "dict")))


_REQUIRED: dict[str, str] = {}


def _required_fields(class_name: str) -> str:
    model = getattr(schema, class_name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return ""
    names = [f.alias or n for n, f in model.model_fields.items() if f.is_required()]
    return ", ".join(names)


def _words(err: Any) -> str:
    """A pydantic error in the park's words, without class names."""
    typ = err["type"]
    ctx = err.get("ctx") or {}
    if typ == "model_type" or typ == "model_attributes_type":
        req = _required_fields(str(ctx.get("class_name", "")))
        return "expected a mapping" + (f" with {req}" if req else " of fields")
    if typ == "dict_type":
        return "expected a mapping (name: entry)"
    if typ == "list_type":
        return "expected a list"
    if typ in ("tuple_type",):
        return "expected a list of two numbers"
    if typ in ("string_type", "string_sub_type"):
        return "expected text"
    if typ in ("bool_type", "bool_parsing"):
        return "expected true or false"
    if typ in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        return "expected a number" if typ.startswith("float") else "expected a whole number"
    if typ == "finite_number":
        return "expected a finite number (not nan or inf)"
    if typ in ("too_short", "too_long"):
        return f"expected {ctx.get('min_length', ctx.get('max_length', ''))} items"
    msg = err["msg"].removeprefix("Value error, ")
    return msg.replace("Input should be", "expected")


# --------------------------------------------------------------------------- library
_CASE_AS_LIBRARY = ("is a case file (it has 'plants'), not a process-library file; point 'library' at a folder "
                    "of process files (with 'materials' and 'processes' only)")


@functools.lru_cache(maxsize=32)
def _read_library_file(path: str, mtime: float) -> tuple[dict, dict, list[Problem]]:
    data = read_yaml(Path(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, {}, [Problem(path, "", "a library file must be a mapping with 'materials' and/or 'processes'")]
    if "plants" in data:
        return {}, {}, [Problem(path, "", _CASE_AS_LIBRARY)]
    try:
        lib = schema.LibraryFile.model_validate(data)
    except ValidationError as exc:
        return {}, {}, problems_from_validation(exc, path, schema.LibraryFile)
    return lib.materials, lib.processes, []



def read_library(folders: list[Path], roots: list[Path] | None = None, skip: Path | None = None,
                 ) -> tuple[dict, dict, dict[str, str], list[Problem]]:
    """Materials and processes (as schema objects) of the library folders, with the file
    each came from. A material or process defined twice is an error. ``roots`` and
    ``skip``: see :func:`library_files`."""
    materials: dict[str, schema.MaterialSpec] = {}
    processes: dict[str, schema.ProcessSpec] = {}
    origin: dict[str, str] = {}
    problems: list[Problem] = []
    seen: set[Path] = set()
    for folder in folders:
        real = Path(folder).resolve()
        if real in seen:  # the same folder named twice (or by two paths) is read once
            continue
        seen.add(real)
        if not Path(folder).is_dir():
            problems.append(Problem(str(folder), "library", "process library folder not found"))
            continue
        try:
            files = library_files(folder, roots, skip)
        except CaseError as exc:
            problems.extend(exc.problems)
            continue
        for f in files:
            try:
                mats, procs, probs = _read_library_file(str(f), os.path.getmtime(f))
            except CaseError as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(probs)
            if probs and probs[0].message == _CASE_AS_LIBRARY:
                break  # a folder of cases: one problem, the rest is not read
            for kind, items, store in (("materials", mats, materials), ("processes", procs, processes)):
                for name, spec in items.items():
                    key = f"{kind}:{name}"
                    if key in origin:
                        problems.append(Problem(str(f), f"{kind}.{name}",
                                                f"also defined in {origin[key]}; keep one definition"))
                        continue
                    origin[key] = str(f)
                    store[name] = spec
    return materials, processes, origin, problems


# --------------------------------------------------------------------------- case


def load_case(path: str | os.PathLike, scenario: str | None = None) -> Case:
    """Read, validate and resolve a case file.

    Parameters
    ----------
    path : a YAML case file (``.yaml``/``.yml``) or an Excel workbook (``.xlsx``).
    scenario : name of one of the case's ``scenarios`` to merge over the base case.

    Raises
    ------
    CaseError
        listing every problem with file, entry and hint.

    Examples
    --------
    >>> case = load_case(shipped_cases_dir() / "tutorial.yaml")
    >>> sorted(case.plants)[:2]
    ['carbide', 'power']
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from symbiosis.excel import read_case_workbook
        data = read_case_workbook(path, validate=case_from_dict)  # problems named by sheet, row and column
    else:
        data = read_yaml(path)
    return case_from_dict(data, file=str(path), base_dir=path.parent, scenario=scenario)


def case_from_dict(data: Any, file: str = "<case>", base_dir: Path | None = None,
                   scenario: str | None = None) -> Case:
    """Validate a case given as a dict (as read from YAML) and resolve it into a Case."""
    if not isinstance(data, dict):
        raise CaseError([Problem(file, "", "a case file must be a mapping with at least 'name' and 'plants'")])
    data = expand_extends(data, file, base_dir)
    if scenario is not None:
        scen = (data.get("scenarios") or {})
        if scenario not in scen:
            known = ", ".join(scen) or "none"
            raise CaseError([Problem(file, f"scenarios.{scenario}",
                                     f"no such scenario; the case defines: {known}")])
        data = deep_merge({k: v for k, v in data.items()}, scen[scenario] or {})
    try:
        spec = schema.CaseSpec.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, file, schema.CaseSpec)
        problems += _problems_beyond(data, exc, file, base_dir, scenario)
        raise CaseError(problems) from None
    case = _Resolver(spec, file, base_dir or Path("."), scenario).resolve()
    if spec.periods is not None:
        from symbiosis.periods import resolve_periods
        from symbiosis.changes import apply_changes
        case.periods = resolve_periods(data, spec, file, base_dir, case, load=case_from_dict,
                                       apply_changes=apply_changes)
    return case




def with_changes(case: Case, changes: dict[str, Any]) -> Case:
    """A new, validated :class:`~symbiosis.case.Case`: ``case`` with ``changes`` applied
    (what ``Case.with_changes`` does).

    ``changes`` maps entries to values as written in a case file or given to
    ``symbiosis sweep --vary`` (``{"materials.coal.price": "700 CNY/t",
    "settings.discount_rate": 0.06}``; see :mod:`symbiosis.changes`). The case keeps its
    scenario; changes add up over repeated calls (``case.with_changes(a).with_changes(b)``).
    ``case`` is not changed.

    Raises
    ------
    CaseError : an entry does not exist, or the changed case does not validate (the
        problems name the entry and the fix, as for a file).
    ValueError : the case was not read from a file.
    """
    from symbiosis.changes import apply_changes, case_source
    data, file, base_dir, scenario = case_source(case)
    all_changes = {**getattr(case, "changes", {}), **dict(changes)}
    if scenario:
        data = deep_merge(data, (data.get("scenarios") or {}).get(scenario) or {})
    data = apply_changes(data, all_changes, file, base_dir)
    new = case_from_dict(data, file=file, base_dir=base_dir)
    if scenario:
        new.name = f"{new.name} [{scenario}]"
    new.changes = all_changes
    return new


_SECTIONS = ("materials", "processes", "plants", "exchanges", "distances")


def _delete_at(data, loc) -> bool:
    cur = data
    for part in loc[:-1]:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(cur, dict) and loc[-1] in cur:
        del cur[loc[-1]]
        return True
    return False


def _problems_beyond(data: dict, exc: ValidationError, file: str, base_dir, scenario) -> list[Problem]:
    """The problems the checks after the schema would also find, so that one run of
    ``validate`` lists them all: drop the entries the schema refused, check the rest,
    and keep the problems that do not merely follow from a dropped entry."""
    pruned = copy.deepcopy(data)
    dropped: set[str] = set()
    cut: dict[str, set] = {}
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if err["type"] == "extra_forbidden" and _delete_at(pruned, loc):
            continue  # an unknown field: drop just the field, check the rest of its entry
        if len(loc) >= 2 and loc[0] in _SECTIONS and isinstance(pruned.get(loc[0]), (dict, list)):
            cut.setdefault(loc[0], set()).add(loc[1])
        elif len(loc) >= 1 and loc[0] in ("settings", "units", "limits", "library", "description", "scenarios",
                                       "periods"):
            cut.setdefault("", set()).add(loc[0])
        else:
            return []  # the case's frame itself is broken: nothing more can be checked
    for section, keys in cut.items():
        if section == "":
            for k in keys:
                pruned.pop(k, None)
            continue
        container = pruned[section]
        if isinstance(container, list):
            pruned[section] = [v for i, v in enumerate(container) if i not in keys]
        else:
            for k in keys:
                container.pop(k, None)
                dropped.add(str(k))
    try:
        spec = schema.CaseSpec.model_validate(pruned)
        _Resolver(spec, file, base_dir or Path("."), scenario).resolve()
    except (ValidationError, CaseError) as more:
        if isinstance(more, ValidationError):
            return []
        moved = {sec for sec, keys in cut.items() if isinstance(data.get(sec), list)}  # indices shifted
        return [p for p in more.problems
                if not any(f"'{name}'" in p.message for name in dropped)
                and not any(p.entry.startswith(f"{sec}[") for sec in moved)]
    except Exception:
        return []
    return []


def _positive_text(value) -> bool:
    """Whether a min_sale as written is above zero (0 t/yr asks for nothing)."""
    if isinstance(value, schema.SourcedValue):
        value = value.value
    try:
        return float(str(value).split()[0]) != 0
    except (ValueError, IndexError):
        return True


class _Resolver:
    """Turns a validated CaseSpec into a Case, collecting every problem on the way."""

    def __init__(self, spec: schema.CaseSpec, file: str, base_dir: Path, scenario: str | None):
        self.spec, self.file, self.base_dir, self.scenario = spec, file, base_dir, scenario
        self.problems: list[Problem] = []
        self._inputs: dict[str, set] = {}  # process name -> its input materials
        self.unweighted: set[str] = set()
        self.money = spec.units.money
        self.period = spec.units.period
        self.dist = spec.units.distance
        self.rates: dict[str, float] = {}

    # helpers ----------------------------------------------------------------
    def problem(self, entry: str, msg: str, file: str | None = None):
        self.problems.append(Problem(file or self.file, entry, msg))

    @overload
    def q(self, value, unit: str, entry: str, *, file: str | None = ..., min_value: float | None = ...,
          positive: bool = ..., default: float, allow_plain: bool = ...) -> float: ...

    @overload
    def q(self, value, unit: str, entry: str, *, file: str | None = ..., min_value: float | None = ...,
          positive: bool = ..., default: None = ..., allow_plain: bool = ...) -> float | None: ...

    def q(self, value, unit: str, entry: str, *, file: str | None = None, min_value: float | None = None,
          positive: bool = False, default: float | None = None, allow_plain: bool = False) -> float | None:
        """``value`` in ``unit`` as a float; ``default`` where it is absent or wrong (a wrong
        one is recorded as a problem)."""
        if isinstance(value, schema.SourcedValue):
            value = value.value
        if value is None:
            return default
        try:
            x = _fast_float(value, unit) if isinstance(value, str) else None
            if x is None:
                x = to_float(value, unit, allow_plain=allow_plain, rates=self.rates, base=self.money)
        except UnitProblem as exc:
            self.problem(entry, str(exc), file)
            return default
        if abs(x) > 1e15:
            self.problem(entry, f"{_short(value)} is beyond the range of a park's figure (at most 1e15 in "
                         f"{unit.replace('(', '').replace(')', '')}); check the number and its unit", file)
            return default
        if positive and not x > 0:
            self.problem(entry, f"must be positive, got {_short(value)}", file)
        elif min_value is not None and x < min_value:
            self.problem(entry, f"must be at least {min_value:g}, got {value!r}", file)
        return x

    def share(self, value, entry: str, file: str | None = None) -> float:
        if isinstance(value, str) and value.strip().endswith("%"):
            x = self.q(value, "dimensionless", entry, file=file, default=1.0)
        else:
            x = self.q(value, "dimensionless", entry, file=file, default=1.0, allow_plain=True)
        if x is not None and not (0 <= x <= 1):
            self.problem(entry, f"must be a fraction between 0 and 1 (or a percentage), got {value!r}", file)
        return x

    def unknown(self, entry: str, what: str, name: str, known, file: str | None = None, hint: str = ""):
        close = difflib.get_close_matches(name, list(known), n=1)
        msg = f"unknown {what} {name!r}"
        msg += f"; did you mean {close[0]!r}?" if close else ""
        self.problem(entry, msg + (f"{' ' if close else '. '}{hint}" if hint else ""), file)

    # main ---------------------------------------------------------------------
    def _check_units(self) -> bool:
        ok = True
        from symbiosis.units import define_currency
        if isinstance(self.money, str) and re.fullmatch(r"[A-Z]{3}", self.money.strip()):
            self.money = self.money.strip()
            try:
                define_currency(self.money)
            except UnitProblem as exc:
                self.problem("units.money", str(exc))
                return False
        for field, unit, want, hint in (("money", self.money, f"1 {self.money}", "CNY (also yuan, RMB) or a "
                                         "three-letter currency code such as EUR"),
                                        ("period", self.period, "1 yr", "yr"),
                                        ("distance", self.dist, "1 km", "km or m")):
            try:
                to_float(f"1 {unit}", want.split()[1])
            except UnitProblem:
                self.problem(f"units.{field}", f"{unit!r} cannot be the case's {field} unit; use {hint}")
                ok = False
        if ok and self.money in ("yuan", "RMB"):
            self.money = "CNY"
        for code, text in (self.spec.units.exchange_rates or {}).items():
            entry = f"units.exchange_rates.{code}"
            try:
                define_currency(code)
                rate = to_float(text, self.money)
            except UnitProblem as exc:
                self.problem(entry, f"{exc}; write the value of one {code} in {self.money}, e.g. "
                             f"{code}: '0.128 {self.money}'")
                ok = False
                continue
            if not rate > 0:
                self.problem(entry, f"an exchange rate must be positive, got {text!r}")
                ok = False
            self.rates[code] = rate
        return ok

    def resolve(self) -> Case:
        spec = self.spec
        if not self._check_units():
            raise CaseError(self.problems)
        folders = self._library_folders()
        lib_mats, lib_procs, origin, probs = read_library(folders, self._roots, self._case_path())
        self.problems.extend(probs)
        for name in spec.processes:
            origin[f"processes:{name}"] = self.file
        mat_specs = dict(lib_mats)
        mat_entry = {n: (origin[f"materials:{n}"], f"materials.{n}") for n in lib_mats}
        for name, m in spec.materials.items():
            if name in mat_specs:  # case fields override the library's
                merged = mat_specs[name].model_dump(exclude_unset=True)
                merged.update(m.model_dump(exclude_unset=True))
                mat_specs[name] = schema.MaterialSpec.model_validate(merged)
            else:
                mat_specs[name] = m
            mat_entry[name] = (self.file, f"materials.{name}")
        self.mat_entry = mat_entry
        materials = {n: self._material(n, s, *mat_entry[n]) for n, s in mat_specs.items()}
        proc_specs = dict(lib_procs)
        proc_specs.update(spec.processes)
        used = {p.process for p in spec.plants.values()}
        processes = {}
        for n, ps in proc_specs.items():
            pfile = origin.get(f"processes:{n}", self.file)
            # library processes are checked in full only where the case uses them, so one
            # broken model does not stop every case; the test suite checks them all
            if pfile != self.file and n not in used:
                continue
            proc = self._process(n, ps, materials, pfile)
            if proc is not None:
                processes[n] = proc
        settings = self._settings()
        plants = {}
        for name, ps in spec.plants.items():
            plant = self._plant(name, ps, processes, proc_specs, settings)
            if plant is not None:
                plants[name] = plant
        exchanges = [r for i, e in enumerate(spec.exchanges)
                     if (r := self._exchange(i, e, plants, processes, materials)) is not None]
        first: dict[tuple, int] = {}
        for i, e in enumerate(spec.exchanges):
            key = (e.sender, e.receiver, e.material)
            if key in first:
                self.problem(f"exchanges[{i}]", f"the exchange {e.sender} -> {e.receiver} of {e.material} is "
                             f"already named at exchanges[{first[key]}]; keep one entry")
            else:
                first[key] = i
        self._check_byproduct_weights(materials, processes, plants)
        self._check_modes(settings, materials, exchanges)
        distances = self._distances(plants)
        limits = self._limits(materials)
        from symbiosis.policy import resolve_policy
        policy = resolve_policy(spec.policy, plants, processes, materials, self.period,
                                lambda entry, msg: self.problem(entry, msg))
        if self.problems:
            raise CaseError(self.problems)
        return Case(name=spec.name + (f" [{self.scenario}]" if self.scenario else ""),
                    description=spec.description or "", materials=materials, processes=processes,
                    plants=plants, exchanges=exchanges, settings=settings,
                    path=Path(self.file) if not self.file.startswith("<") else None,
                    scenarios=spec.scenarios or {},
                    units={"money": self.money, "period": self.period, "distance": self.dist},
                    distances=distances, limits=limits, policy=policy)

    def _case_path(self) -> Path | None:
        try:
            p = Path(self.file)
            return p.resolve() if p.is_file() else None
        except (OSError, RuntimeError, ValueError):
            return None

    def _library_folders(self) -> list[Path]:
        """The library folders, each resolved inside the case's folder tree, the shipped
        models/ or a folder of ``$SYMBIOSIS_LIBRARY_PATH`` (else a problem naming the fix)."""
        lib = self.spec.library
        self._roots = library_roots(self.base_dir)
        if lib is None:
            return [shipped_models_dir()]
        names = [lib] if isinstance(lib, str) else lib
        out = []
        for i, n in enumerate(names):
            entry = "library" if isinstance(lib, str) else f"library[{i}]"
            if not n.strip():
                self.problem(entry, "empty folder name; name a process-library folder relative to the case "
                             "file, 'shipped' for the shipped models/, or [] for none")
                continue
            if n.strip() in ("shipped", "default"):
                out.append(shipped_models_dir())
                continue
            try:
                p = Path(n)
                if not p.is_absolute():
                    p = self.base_dir / p
                real = p.resolve()
                is_dir = real.is_dir()
            except (OSError, RuntimeError, ValueError) as exc:
                self.problem(entry, f"process library folder {_short(n)} cannot be read "
                             f"({getattr(exc, 'strerror', None) or exc}); paths are relative to the case file")
                continue
            if not _inside(real, self._roots):
                self.problem(entry, f"process library folder {_short(n)} resolves to {_path_text(real)}, outside "
                             f"the case's folder {_path_text(self._roots[0])} and the shipped models/; move the "
                             f"library under the case's folder, write 'shipped', or allow the folder by setting "
                             f"{LIBRARY_PATH_ENV}={_path_text(real)}")
                continue
            if not is_dir and real.is_file():
                self.problem(entry, f"{_short(n)} is a file; 'library' names folders of process-library files "
                             "(relative to the case file), 'shipped' the shipped models/")
                continue
            if not is_dir:
                self.problem(entry, f"process library folder {str(p)!r} not found; paths are relative to "
                             "the case file, 'shipped' names the shipped models/")
                continue
            out.append(real)
        return out

    def _material(self, name: str, m: schema.MaterialSpec, file: str, entry: str) -> Material:
        unit = m.unit or "t"
        try:
            dim = dimension_of(unit)
        except Exception:
            self.problem(f"{entry}.unit", f"unknown unit {unit!r}; use t, MWh, GJ, Nm3 or m**3", file)
            unit, dim = "t", "mass"
        if m.kind is None:
            self.problem(f"{entry}.kind", "required field 'kind' is missing (raw, product, intermediate, "
                         "byproduct, energy or utility)", file)
        per_unit = f"{self.money}/({unit})"
        per_period = f"({unit})/{self.period}"
        tonnes = to_float(f"1 {unit}", "t") if dim == "mass" else None
        weight = m.reuse_weight
        if weight is not None and weight < 0:
            self.problem(f"{entry}.reuse_weight", f"must not be negative, got {weight}", file)
        if weight is None:
            weight = tonnes if tonnes is not None else 0.0  # tonnes: mass materials only
            if m.kind == "byproduct" and dim != "mass":
                self.unweighted.add(name)
        if m.min_sale is not None and m.sale_price is None and _positive_text(m.min_sale):
            self.problem(f"{entry}.min_sale", "a demand needs a sale_price: what the park earns per unit it sells "
                         f"(write sale_price: '0 {self.money}/{unit}' if it is delivered free)", file)
        if m.excess == "dispose" and m.disposal_cost is None:
            self.problem(f"{entry}.excess", f"'excess: dispose' needs a disposal_cost (write disposal_cost: "
                         f"'0 {self.money}/{unit}' if it leaves free), or say 'excess: forbid'", file)
        return Material(
            excess=m.excess or "",
            name=name, kind=m.kind or "raw", unit=unit, label=m.name or name.replace("_", " "), dimension=dim,
            price=self.q(m.price, per_unit, f"{entry}.price", file=file),
            sale_price=self.q(m.sale_price, per_unit, f"{entry}.sale_price", file=file),
            disposal_cost=self.q(m.disposal_cost, per_unit, f"{entry}.disposal_cost", file=file),
            max_purchase=self.q(m.max_purchase, per_period, f"{entry}.max_purchase", file=file, min_value=0),
            max_sale=self.q(m.max_sale, per_period, f"{entry}.max_sale", file=file, min_value=0),
            min_sale=self.q(m.min_sale, per_period, f"{entry}.min_sale", file=file, min_value=0),
            co2_per_unit=self.q(m.co2_per_unit, f"t/({unit})", f"{entry}.co2_per_unit", file=file, default=0.0),
            reuse_weight=weight,
            transport_cost=self.q(m.transport_cost, f"{self.money}/({unit})/{self.dist}",
                                  f"{entry}.transport_cost", file=file, min_value=0),
            max_distance=self.q(m.max_distance, self.dist, f"{entry}.max_distance", file=file, min_value=0),
            mode=m.mode, tonnes=tonnes,
        )

    def _amount(self, value, unit: str, activity: str, entry: str, file: str, what: str = "") -> float | None:
        """Per-activity amount in ``unit``: '1.45 t' (per one unit of activity) or '1.45 t/t'."""
        for target in (unit, f"({unit})/({activity})"):
            try:
                x = to_float(value, target)
            except UnitProblem:
                continue
            if x < 0:
                self.problem(entry, f"must not be negative, got {value!r}", file)
            if abs(x) > 1e15:  # as q() does for every other figure
                self.problem(entry, f"{_short(value)} is beyond the range of a park's figure (at most 1e15 in "
                             f"{unit} per {activity}); check the number and its unit", file)
                return None
            return x
        try:
            to_float(value, "dimensionless", allow_plain=True)
            got = "no unit" if not isinstance(value, str) or _is_plain(value) else "a dimensionless number"
        except UnitProblem as exc:
            got = f"{_short(value)} is in {_dimension_text(value)}" if " is in " in str(exc) else str(exc)
        self.problem(entry, f"{got}; {what or 'this'} is counted in {unit} ({dimension_of(unit)}): write the "
                     f"amount per {activity} of activity, e.g. '1.2 {unit}' or '1.2 {unit}/{activity}'", file)
        return None

    def _process(self, name: str, p: schema.ProcessSpec, materials: dict[str, Material], file: str):
        entry = f"processes.{name}"
        n_before = len(self.problems)
        try:
            _check_unit_text(p.activity, p.activity)  # no power towers (9**9**9) handed to pint
            ureg.Unit(p.activity)
        except UnitProblem as exc:
            self.problem(f"{entry}.activity", f"{exc}; the unit of activity is a unit such as 't' or 'MWh'", file)
            return None
        except Exception:
            self.problem(f"{entry}.activity", f"unknown unit {_short(p.activity)} for the unit of activity", file)
            return None
        outputs: dict[str, float] = {}
        for m, flow in p.outputs.items():
            if m not in materials:
                self.unknown(f"{entry}.outputs.{m}", "material", m, materials, file,
                             "Define it under 'materials' in the case or the library.")
                continue
            if flow.options:
                self.problem(f"{entry}.outputs.{m}.options", "only inputs may have options", file)
            x = self._amount(flow.amount, materials[m].unit, p.activity, f"{entry}.outputs.{m}.amount", file, m)
            if x is not None:
                outputs[m] = x
        slots = []
        for sname, flow in p.inputs.items():
            sentry = f"{entry}.inputs.{sname}"
            if not flow.options:
                if sname not in materials:
                    self.unknown(sentry, "material", sname, materials, file,
                                 "Define it under 'materials', or give the slot 'options'.")
                    continue
                x = self._amount(flow.amount, materials[sname].unit, p.activity, f"{sentry}.amount", file, sname)
                if x is not None:
                    slots.append(Slot(sname, x, {sname: (1.0, 1.0, 0.0)}))
                continue
            opts = {}
            ref_unit = None
            for m, opt in flow.options.items():
                if m not in materials:
                    self.unknown(f"{sentry}.options.{m}", "material", m, materials, file)
                    continue
                ref_unit = ref_unit or materials[m].unit
                e = self.q(opt.equivalence, f"({ref_unit})/({materials[m].unit})",
                           f"{sentry}.options.{m}.equivalence", file=file, positive=True, allow_plain=True)
                h = self.share(opt.max_share, f"{sentry}.options.{m}.max_share", file)
                c = self.q(opt.co2, f"t/({materials[m].unit})", f"{sentry}.options.{m}.co2", file=file,
                           default=0.0)
                if e is not None and h is not None:
                    opts[m] = (e, h, c or 0.0)
            if ref_unit is None:
                continue
            x = self._amount(flow.amount, ref_unit, p.activity, f"{sentry}.amount", file, f"slot {sname!r}")
            if x is None:
                continue
            if opts and sum(o[1] for o in opts.values()) < 1 - 1e-9:
                self.problem(f"{sentry}.options", "the options' max_share add up to less than 1, so the "
                             "slot can never be filled; raise a share or add an option", file)
            slots.append(Slot(sname, x, opts))
        if len(self.problems) > n_before:
            return None
        return Process(
            name=name, label=p.name or name.replace("_", " "), sector=p.sector, activity_unit=p.activity,
            product=p.product, slots=tuple(slots), outputs=outputs,
            operating_cost=self.q(p.operating_cost, f"{self.money}/({p.activity})", f"{entry}.operating_cost",
                                  file=file, default=0.0) or 0.0,
            co2=self.q(p.co2, f"t/({p.activity})", f"{entry}.co2", file=file, default=0.0) or 0.0,
            file=file)

    def _settings(self) -> Settings:
        s = self.spec.settings
        e = "settings"
        if not 0 <= s.discount_rate < 1:
            self.problem(f"{e}.discount_rate", f"must be a fraction such as 0.08, got {s.discount_rate}")
        return Settings(
            max_distance=self.q(s.max_distance, self.dist, f"{e}.max_distance", min_value=0),
            transport_cost=self.q(s.transport_cost, f"{self.money}/t/{self.dist}", f"{e}.transport_cost",
                                  min_value=0, default=0.45),
            exchange_fixed_cost=self.q(s.exchange_fixed_cost, f"{self.money}/{self.period}",
                                       f"{e}.exchange_fixed_cost", min_value=0, default=0.0),
            detour_factor=s.detour_factor, discount_rate=s.discount_rate,
            life=self.q(s.life, "yr", f"{e}.life", positive=True, default=20.0),
            generate_candidates=s.generate_candidates, objective=s.objective,
            reuse_basis=s.reuse_basis, reuse_tolerance=s.reuse_tolerance,
            carbon_price=self.q(s.carbon_price, f"{self.money}/t", f"{e}.carbon_price", default=0.0),
            transport_modes={k: self.q(v, f"{self.money}/t/{self.dist}", f"{e}.transport_modes.{k}",
                                       min_value=0, default=0.0) for k, v in s.transport_modes.items()},
            status_quo=s.status_quo, time_limit=s.time_limit, mip_gap=s.mip_gap,
            mip_abs_gap=self._abs_gap(s.mip_abs_gap, f"{e}.mip_abs_gap"))

    def _abs_gap(self, value, entry: str) -> float:
        """The absolute gap: money per period, or a plain number in the objective's unit."""
        if value is None:
            return 0.0
        if isinstance(value, (int, float)) or _is_plain(str(value)):
            v = float(value)
        else:
            v = self.q(value, f"{self.money}/{self.period}", entry, min_value=0, default=0.0) or 0.0
        if not (v >= 0 and math.isfinite(v)):
            self.problem(entry, f"must be a finite number >= 0, got {value}")
            return 0.0
        return v

    def _plant(self, name: str, p: schema.PlantSpec, processes, proc_specs, settings: Settings):
        entry = f"plants.{name}"
        if p.process not in proc_specs:
            self.unknown(f"{entry}.process", "process", p.process, proc_specs,
                         hint="Processes come from the library (models/) or the case's 'processes'.")
            return None
        if p.process not in processes:
            return None  # its own problems are reported already
        proc = processes[p.process]
        cap_unit = f"({proc.activity_unit})/{self.period}"
        sizes: list[Size] = []
        amin = amax = 0.0
        if p.status == "candidate":
            if p.sizes:
                if p.capacity is not None or p.capex is not None:
                    self.problem(entry, "give either 'sizes' or 'capacity' and 'capex', not both")
                for i, s in enumerate(p.sizes):
                    cap = self.q(s.capacity, cap_unit, f"{entry}.sizes[{i}].capacity", positive=True)
                    capex = self.q(s.capex, self.money, f"{entry}.sizes[{i}].capex", min_value=0, default=0.0)
                    if cap is not None:
                        sizes.append(Size(cap, capex or 0.0))
            elif p.capacity is None:
                self.problem(f"{entry}.capacity", f"a candidate plant needs 'capacity' (in {cap_unit}) "
                             "and 'capex', or a list of 'sizes'")
            else:
                cap = self.q(p.capacity, cap_unit, f"{entry}.capacity", positive=True)
                capex = self.q(p.capex, self.money, f"{entry}.capex", min_value=0, default=0.0)
                if cap is not None:
                    sizes.append(Size(cap, capex or 0.0))
            if p.output is not None or p.load is not None:
                self.problem(entry, "'output' and 'load' are for existing plants; a candidate runs "
                             "between min_load and its capacity")
        else:
            if p.sizes or p.capex is not None:
                self.problem(entry, "'sizes' and 'capex' are for candidate plants (status: candidate)")
            if p.capacity is None:
                self.problem(f"{entry}.capacity", f"an existing plant needs 'capacity' (in {cap_unit})")
                return None
            cap = self.q(p.capacity, cap_unit, f"{entry}.capacity", positive=True)
            if cap is None:
                return None
            amin = amax = cap
            if p.output is not None and p.load is not None:
                self.problem(entry, "give 'output' or 'load', not both")
            if p.output is not None:
                out = self.q(p.output, cap_unit, f"{entry}.output", min_value=0)
                if out is not None:
                    if out > cap * (1 + 1e-9):
                        self.problem(f"{entry}.output", f"output {p.output!r} exceeds capacity {p.capacity!r}")
                    amin = amax = out
            elif p.load is not None:
                lo = self.share(p.load[0], f"{entry}.load[0]")
                hi = self.share(p.load[1], f"{entry}.load[1]")
                if lo is not None and hi is not None:
                    if lo > hi:
                        self.problem(f"{entry}.load", f"min load {lo} is above max load {hi}")
                    amin, amax = lo * cap, hi * cap
        if p.location is not None:
            lon, lat = p.location
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                self.problem(f"{entry}.location", f"[{lon}, {lat}] is not [longitude, latitude] in degrees")
        if p.force and p.forbid:
            self.problem(entry, "a plant cannot be both forced and forbidden")
        return Plant(
            name=name, process=p.process, status=p.status, label=p.name or name.replace("_", " "),
            sizes=tuple(sizes), activity_min=amin, activity_max=amax,
            min_load=self.share(p.min_load, f"{entry}.min_load"), can_close=p.can_close,
            force=p.force, forbid=p.forbid,
            life=self.q(p.life, "yr", f"{entry}.life", positive=True, default=settings.life),
            fixed_cost=self.q(p.fixed_cost, f"{self.money}/{self.period}", f"{entry}.fixed_cost",
                              min_value=0, default=0.0),
            location=(p.location[0], p.location[1]) if p.location else None, park=p.park or "",
            sector=p.sector or proc.sector,
            company=self._company(entry, p.company),
            nameplate=None if p.status == "candidate" else (cap if sizes == [] else None))

    def _company(self, entry: str, company: str | None) -> str:
        if company is not None and not company.strip():
            self.problem(f"{entry}.company", "an empty company name; give the owner's name or leave "
                         "'company' out (the plant is then a company of its own)")
        return (company or "").strip()

    def _exchange(self, i: int, e: schema.ExchangeSpec, plants, processes, materials):
        entry = f"exchanges[{i}]"
        ok = True
        for role, name in (("from", e.sender), ("to", e.receiver)):
            if name not in plants:
                if name not in self.spec.plants:
                    self.unknown(f"{entry}.{role}", "plant", name, self.spec.plants,
                                 hint="An exchange links two plants of the case.")
                ok = False
        if e.material not in materials:
            self.unknown(f"{entry}.material", "material", e.material, materials)
            ok = False
        if not ok:
            return None
        if e.sender == e.receiver:
            self.problem(entry, "an exchange must link two different plants")
            return None
        src, dst = processes[plants[e.sender].process], processes[plants[e.receiver].process]
        inputs = self._inputs.get(dst.name)
        if inputs is None:  # once per process: tens of thousands of listed exchanges ask
            inputs = self._inputs[dst.name] = dst.input_materials()
        if e.material not in src.outputs:
            self.problem(f"{entry}.material", f"plant {e.sender!r} (process {src.name!r}) does not make "
                         f"{e.material!r}; it makes {', '.join(sorted(src.outputs)) or 'nothing'}")
            ok = False
        if e.material not in src.outputs or e.material not in inputs:
            if e.material not in inputs:
                self.problem(f"{entry}.material", f"plant {e.receiver!r} (process {dst.name!r}) does not take "
                             f"{e.material!r}; it takes {', '.join(sorted(dst.input_materials())) or 'nothing'}")
            return None
        if e.force and e.forbid:
            self.problem(entry, "an exchange cannot be both forced and forbidden")
        for role, name in (("from", e.sender), ("to", e.receiver)):
            if e.force and self.spec.plants[name].forbid:
                self.problem(entry, f"the exchange is forced but plant {name!r} is forbidden; drop force or forbid")
        mat = materials[e.material]

        def q(field: str, unit: str) -> float | None:  # most fields are absent: no text built for them
            value = getattr(e, field)
            return None if value is None else self.q(value, unit, f"{entry}.{field}", min_value=0)

        per_period = f"({mat.unit})/{self.period}"
        lo = q("min", per_period)
        hi = q("max", per_period)
        if lo is not None and hi is not None and lo > hi:
            self.problem(f"{entry}.min", f"min {e.min!r} is above max {e.max!r}")
        return ExchangeRule(
            source=e.sender, target=e.receiver, material=e.material, existing=e.existing, force=e.force,
            forbid=e.forbid, min=lo, max=hi,
            fixed_cost=q("fixed_cost", f"{self.money}/{self.period}"),
            capex=q("capex", self.money),
            distance=q("distance", self.dist),
            transport_cost=q("transport_cost", f"{self.money}/({mat.unit})/{self.dist}"),
            mode=e.mode)

    def _check_modes(self, settings: Settings, materials: dict[str, Material], exchanges: list[ExchangeRule]):
        """Transport modes named by materials and exchanges must be defined (``truck`` always is)
        and apply to materials counted in mass (their costs are per t/km)."""
        known = set(settings.transport_modes) | {"truck"}
        named = [(f"materials.{n}.mode", m.mode, m) for n, m in materials.items() if m.mode]
        named += [(f"exchanges[{i}].mode", r.mode, materials[r.material])
                  for i, r in enumerate(exchanges) if r.mode]
        for entry, mode, mat in named:
            if mode not in known:
                self.unknown(entry, "transport mode", mode, known,
                             hint="Define it under settings.transport_modes with its cost per t/km.")
            elif not mat.is_mass:
                self.problem(entry, f"{mat.name!r} is counted in {mat.unit}, not mass: a mode's cost is per "
                             "t/km; give the material or link a transport_cost instead")

    def _distances(self, plants: dict) -> dict[tuple[str, str], float]:
        from symbiosis.units import is_number_text
        out: dict[tuple[str, str], float] = {}
        for i, d in enumerate(self.spec.distances):
            entry = f"distances[{i}]"
            for role, name in (("from", d.source), ("to", d.target)):
                if name not in self.spec.plants:
                    self.unknown(f"{entry}.{role}", "plant", name, self.spec.plants)
            km = d.km
            if not isinstance(km, str) or is_number_text(km):
                km = f"{km} km"
            x = self.q(km, self.dist, f"{entry}.km", min_value=0)
            if x is None:
                continue
            for key in ((d.source, d.target), (d.target, d.source)):
                if key in out and abs(out[key] - x) > 1e-9:
                    self.problem(entry, f"the distance {d.source} - {d.target} is given twice, differently")
                out[key] = x
        return out

    def _limits(self, materials: dict[str, Material]) -> dict[str, float]:
        lim = self.spec.limits
        e = "limits"
        per_period = f"t/{self.period}"
        out = {
            "capex": self.q(lim.capex, self.money, f"{e}.capex", min_value=0),
            "new_plants": lim.new_plants,
            "co2": self.q(lim.co2, per_period, f"{e}.co2"),
            "disposal": self.q(lim.disposal, per_period, f"{e}.disposal", min_value=0),
            "cost": self.q(lim.cost, f"{self.money}/{self.period}", f"{e}.cost"),
            "min_reuse": self.q(lim.min_reuse, per_period, f"{e}.min_reuse", min_value=0),
            "min_reuse_rate": (self.share(lim.min_reuse_rate, f"{e}.min_reuse_rate")
                               if lim.min_reuse_rate is not None else None),
        }
        if lim.new_plants is not None and lim.new_plants < 0:
            self.problem(f"{e}.new_plants", f"must not be negative, got {lim.new_plants}")
        for mn, rate in lim.material_reuse_rate.items():
            if mn not in materials:
                self.unknown(f"{e}.material_reuse_rate.{mn}", "material", mn, materials)
                continue
            if not materials[mn].is_byproduct:
                self.problem(f"{e}.material_reuse_rate.{mn}", f"{mn!r} is not a by-product (kind "
                             f"{materials[mn].kind!r}); reuse floors apply to by-products")
            out[f"min_reuse_rate:{mn}"] = self.share(rate, f"{e}.material_reuse_rate.{mn}")
        return {k: v for k, v in out.items() if v is not None}

    def _check_byproduct_weights(self, materials, processes, plants):
        used = {p.process for p in plants.values() if p.process in processes}
        missing = sorted({m for n in used for m in processes[n].outputs if m in self.unweighted})
        for m in missing:
            file, entry = self.mat_entry[m]
            self.problem(f"{entry}.reuse_weight",
                         f"by-product {m!r} is counted in {materials[m].unit}, not tonnes: state its "
                         f"reuse_weight (tonne-equivalents per {materials[m].unit}), or 0 to leave it "
                         "out of the reuse objective", file)


# ---------------------------------------------------------------------- case -> workbook
def case_to_workbook(yaml_path, xlsx_path, *, library: bool = True) -> Path:
    """Write the YAML case ``yaml_path`` as a workbook (:mod:`symbiosis.excel`), read back by
    :func:`symbiosis.excel.read_case_workbook` into a case that loads equal to the YAML one.
    ``library``: also write the library's materials and processes the case uses (marked
    green), so they can be seen and changed; without it the workbook reads back into the
    YAML file's dict (quantities spelled as number and unit, "260e6 CNY" as "260000000 CNY")."""
    from symbiosis.excel import _with_library, data_to_workbook
    data = read_yaml(Path(yaml_path))
    if not isinstance(data, dict):
        raise CaseError([Problem(str(yaml_path), "", "a case file must be a mapping with at least 'name' and 'plants'")])
    ids: set[str] = set()
    if library:
        mats, procs, ids = workbook_library_entries(data, Path(yaml_path))
        data = _with_library(data, mats, procs)
    return data_to_workbook(data, xlsx_path, ids)


def workbook_library_entries(data: dict, yaml_path: Path) -> tuple[dict, dict, set[str]]:
    """The library's materials and processes the case uses, as the dicts a case file holds:
    each process a plant runs that the case does not define, each material those processes
    and the case's exchanges name, and the case's own materials merged over the library's
    (so the workbook shows the price that applies), with the ids that come from the library
    alone. ({}, {}, set()) when the library cannot be read. With ``extends:``, what the
    parent file defines counts as the case's own."""
    try:
        full = expand_extends(copy.deepcopy(data), str(yaml_path), yaml_path.parent)
        from symbiosis import schema as _schema
        spec = _schema.CaseSpec.model_validate(full)
        res = _Resolver(spec, str(yaml_path), yaml_path.parent, None)
        folders = res._library_folders()
        lib_mats, lib_procs, _, probs = read_library(folders, res._roots, res._case_path())
    except Exception:  # noqa: BLE001 - an invalid case converts as written, without the library
        return {}, {}, set()
    if probs:
        return {}, {}, set()
    own_procs: dict = full.get("processes") if isinstance(full.get("processes"), dict) else {}  # type: ignore[assignment]
    used = {p.process for p in spec.plants.values()}
    procs = {n: lib_procs[n].model_dump(mode="json", by_alias=True, exclude_unset=True)
             for n in sorted(used) if n in lib_procs and n not in own_procs}
    names: set[str] = {e.material for e in spec.exchanges}
    for n in used:
        ps = spec.processes.get(n) or lib_procs.get(n)
        if ps is None:
            continue
        for flows in (ps.inputs, ps.outputs):
            for m, fl in flows.items():
                names.add(m)
                names.update((fl.options or {}).keys())
        if ps.product:
            names.add(ps.product)
    own_mats: dict = full.get("materials") if isinstance(full.get("materials"), dict) else {}  # type: ignore[assignment]
    mats = {}
    for n in sorted(names | set(own_mats)):
        if n not in lib_mats:
            continue
        merged = lib_mats[n].model_dump(mode="json", by_alias=True, exclude_unset=True)
        if isinstance(own_mats.get(n), dict):
            merged.update(own_mats[n])
        mats[n] = merged
    return mats, procs, {n for n in mats if n not in own_mats} | set(procs)
