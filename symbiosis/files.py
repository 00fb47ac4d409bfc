"""The files a case is written in, read as plain data: YAML with its safeguards (size,
depth, aliases, duplicate keys, encodings), ``extends:`` expanded, scenarios merged
(:func:`deep_merge`), the shipped folders and the files of a process-library folder.

Nothing here knows of the schema or of :class:`symbiosis.case.Case`: :mod:`symbiosis.io`
validates and resolves what is read here, and :mod:`symbiosis.changes` and
:mod:`symbiosis.excel` read files through this module without importing the loader.
"""
from __future__ import annotations

import copy
import os
import re
import reprlib
from pathlib import Path
from typing import Any

import yaml

from symbiosis.errors import CaseError, Problem

PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(folder: str) -> Path:
    """The shipped models/ or cases/ folder: beside the package (source checkout, editable
    install) or inside it (wheel, where they are packed as symbiosis/_data/...)."""
    for cand in (PACKAGE_DIR.parent / folder, PACKAGE_DIR / "_data" / folder):
        if cand.is_dir():
            return cand
    return PACKAGE_DIR.parent / folder


def shipped_models_dir() -> Path:
    return _shipped("models")


def shipped_cases_dir() -> Path:
    return _shipped("cases")



# --------------------------------------------------------------------------- YAML reading
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"found the key {key!r} twice (first on line {seen[key] + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

if getattr(yaml, "__with_libyaml__", False):
    class _FastUniqueKeyLoader(yaml.CSafeLoader):
        """The same rules parsed by libyaml (about 10x faster on files of thousands of listed
        exchanges). A file it refuses is read again by the Python loader, so errors read the same."""

    _FastUniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
else:  # PyYAML built without libyaml
    _FastUniqueKeyLoader = _UniqueKeyLoader  # type: ignore[misc]  # the same name either way


MAX_FILE_BYTES = 200_000_000  # a case or library file (a 3,000-plant region with every exchange listed is 38 MB)
MAX_VALUES = 20_000_000  # values a file may expand to (YAML aliases count each time they are used)
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_TEXT_CHARS = 100_000  # one text value (a description, a note)
_DEEP = re.compile(r"(?:[\[{][^\[\]{}]*){%d}" % MAX_DEPTH)


def _short(v, n: int = 80) -> str:
    """A bounded repr for messages: never echo a whole input."""
    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxdict, r.maxlevel, r.maxlong = n, n, 4, 4, 2, 40
    return r.repr(v)


def decode_text(raw: bytes, file: str) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with its mark, or GB18030 when it
    decodes cleanly to Chinese text; anything else refused naming the byte offset."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first = exc
    try:
        text = raw.decode("gb18030")
        if all(ord(ch) < 128 or "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text):
            return text
    except UnicodeDecodeError:
        pass
    line = raw[:first.start].count(b"\n") + 1
    raise CaseError([Problem(file, f"line {line}", f"the file is not UTF-8 text: byte 0x{raw[first.start]:02x} "
                             f"at offset {first.start} cannot be read; save the file as UTF-8")]) from None


class _Refused(Exception):
    pass


def _expansion_problem(data, count: int = 0) -> tuple[str, str] | None:
    """Refuse structures that are too deep, expand to too many values (alias bombs) or hold
    one text longer than MAX_TEXT_CHARS, as (entry, message); ``count`` values already read
    elsewhere. An object YAML aliases is counted once per use but walked once (sizes kept by
    identity), so a 400-byte bomb expanding to 10**9 values is refused in microseconds."""
    sizes: dict[int, tuple[int, int]] = {}  # id -> (values it expands to, levels under it)

    def walk(obj, depth: int, where: tuple) -> tuple[int, int]:
        if depth > MAX_DEPTH:
            raise _Refused("", f"entries are nested more than {MAX_DEPTH} levels deep; a case is a few levels deep")
        if isinstance(obj, str):
            if len(obj) > MAX_TEXT_CHARS:
                raise _Refused(".".join(map(str, where)), f"the text is {len(obj):,} characters long; a case's "
                               f"texts are at most {MAX_TEXT_CHARS:,} characters (keep long notes in a separate file)")
            return 1, 0
        if not isinstance(obj, (dict, list)):
            return 1, 0
        hit = sizes.get(id(obj))
        if hit is None:
            n, levels = 1, 0
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            for k, v in items:
                if isinstance(obj, dict):
                    n += walk(k, depth + 1, where)[0]
                m, lv = walk(v, depth + 1, (*where, k))
                n, levels = n + m, max(levels, lv + 1)
                if n > MAX_VALUES:
                    raise _Refused("", f"the file expands to more than {MAX_VALUES:,} values (YAML aliases "
                                   "repeated?); a case lists each entry once")
            hit = sizes[id(obj)] = (n, levels)
        if depth + hit[1] > MAX_DEPTH:
            raise _Refused("", f"entries are nested more than {MAX_DEPTH} levels deep; a case is a few levels deep")
        return hit

    try:
        if walk(data, 0, ())[0] + count > MAX_VALUES:
            raise _Refused("", f"the file expands to more than {MAX_VALUES:,} values (YAML aliases repeated?); "
                           "a case lists each entry once")
    except _Refused as exc:
        return exc.args[0], exc.args[1]
    return None


# Long lists of one-line flow mappings (``- {from: a, to: b, material: m, distance: 9.6 km}``,
# tens of thousands of listed exchanges) are read line by line, where every line is plain:
# keys and names are words, values names or "number unit" text or true/false, with no
# comment, quote, alias or nesting. PyYAML reads such a value exactly as this does (a string,
# or a bool for true/false); any other line sends the whole file to the YAML loader.
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}
_FLOW_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_FLOW_VALUE = (rf"(?:{_FLOW_NAME}|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)? "
               r"[A-Za-z%][A-Za-z0-9%/*()_.^\-]*)")
_FLOW_PAIR = re.compile(rf"({_FLOW_NAME}): ({_FLOW_VALUE})")
_FLOW_LINE = re.compile(rf"- \{{{_FLOW_PAIR.pattern}(?:, {_FLOW_PAIR.pattern})*\}}[ \t]*")
_FLOW_MIN = 1000  # entries a list needs to be read this way
_FLOW_HEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):[ \t]*\n", re.M)


def _flow_lists(text: str) -> tuple[str, dict[str, list[dict]]]:
    """Top-level lists of plain one-line flow mappings taken out of ``text`` (their lines
    blanked, so line numbers of what YAML reads stay right) and read here; ({} when none)."""
    lists: dict[str, list[dict]] = {}
    spans = []
    for head in _FLOW_HEAD.finditer(text):
        start = pos = head.end()
        items = []
        while pos < len(text):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            line = text[pos:end]
            if not line.startswith("- {"):
                break
            if _FLOW_LINE.fullmatch(line) is None:
                return text, {}
            item = {}
            for k, v in _FLOW_PAIR.findall(line):
                if k.lower() in _YAML_WORDS or k in item:
                    return text, {}  # a key YAML reads otherwise, or a key twice: YAML words it
                low = v.lower()
                if low in ("true", "false") and v in ("true", "false", "True", "False", "TRUE", "FALSE"):
                    item[k] = low == "true"
                elif low in _YAML_WORDS:
                    return text, {}
                else:
                    item[k] = v
            items.append(item)
            pos = end + 1
        if not items:
            continue
        rest = pos
        while rest < len(text):  # what follows must end the list for YAML too
            end = text.find("\n", rest)
            end = len(text) if end < 0 else end
            line = text[rest:end]
            if line.strip() and not line.startswith("#"):
                if line[0] in " \t-":
                    return text, {}
                break
            rest = end + 1
        if len(items) >= _FLOW_MIN:  # only worth it for long lists
            if head.group(1) in lists:
                return text, {}
            lists[head.group(1)] = items
            spans.append((head.start(), head.end(), start, min(pos, len(text))))
    if not lists:
        return text, {}
    out, last = [], 0
    for h0, h1, b0, b1 in spans:
        name = text[h0:h1].split(":", 1)[0]
        out += [text[last:h0], f"{name}: []\n", "\n" * text.count("\n", b0, b1)]
        last = b1
    out.append(text[last:])
    return "".join(out), lists


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become a CaseError naming file, line and column."""
    file = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            raise CaseError([Problem(file, "", f"the file is {size / 1e6:.0f} MB; a case or library file is at "
                                     f"most {MAX_FILE_BYTES / 1e6:.0f} MB")])
        if not Path(path).is_file():
            raise CaseError([Problem(file, "", "not a file; name a case file (.yaml or .xlsx)")])
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise CaseError([Problem(file, "", "file not found; check the path")]) from None
    except OSError as exc:
        raise CaseError([Problem(file, "", f"cannot read the file: {exc.strerror}")]) from None
    whole = decode_text(raw, file)
    text, flow_lists = _flow_lists(whole)  # the lines taken out are flat
    if text.count("[") + text.count("{") >= MAX_DEPTH and _DEEP.search(text):  # counting is 20x faster
        raise CaseError([Problem(file, "", f"entries are nested more than {MAX_DEPTH} levels deep; "
                                 "a case is a few levels deep")])
    try:
        try:
            data = yaml.load(text, Loader=_FastUniqueKeyLoader)
            if flow_lists and not (isinstance(data, dict) and all(data.get(k) == [] for k in flow_lists)):
                flow_lists, data = {}, yaml.load(whole, Loader=_FastUniqueKeyLoader)
        except (yaml.YAMLError, RecursionError):
            flow_lists, data = {}, yaml.load(whole, Loader=_UniqueKeyLoader)  # its error, as PyYAML words it
    except RecursionError:
        raise CaseError([Problem(file, "", "entries are nested too deeply to read; a case is a few levels "
                                 "deep")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CaseError([Problem(file, where, f"YAML syntax error: {_short(exc.problem, 200)}"
                                 + (f" ({_short(exc.context, 200)})" if exc.context else "")
                                 + "; check indentation, colons and quotes there")]) from None
    except yaml.YAMLError as exc:
        raise CaseError([Problem(file, "", f"YAML error: {_short(str(exc), 300)}")]) from None
    flat = sum(1 + sum(1 + 2 * len(item) for item in items) for items in flow_lists.values())
    bad = _expansion_problem(data, flat)  # the flow lists are flat: counted, not walked
    if flow_lists:
        data.update(flow_lists)
    if bad:
        raise CaseError([Problem(file, *bad)])
    return data




MAX_LIBRARY_ENTRIES = 20_000  # folders and files looked at under one library folder
MAX_LIBRARY_DEPTH = 8
LIBRARY_PATH_ENV = "SYMBIOSIS_LIBRARY_PATH"  # extra folders a case may name as library


def library_roots(base_dir: Path | None) -> list[Path]:
    """Folders a case's ``library:`` entries may point into: the case's own folder tree,
    the shipped models/, and any folder listed in ``$SYMBIOSIS_LIBRARY_PATH``
    (separated by ``os.pathsep``), each resolved."""
    roots = [Path(base_dir or ".")] + [shipped_models_dir()]
    roots += [Path(x).expanduser() for x in os.environ.get(LIBRARY_PATH_ENV, "").split(os.pathsep) if x.strip()]
    out = []
    for r in roots:
        try:
            out.append(r.resolve())
        except (OSError, RuntimeError):
            continue
    return out


def _path_text(p: Path, n: int = 120) -> str:
    t = str(p)
    return t if len(t) <= n else t[: n // 2] + "..." + t[-n // 2:]


def _inside(p: Path, roots: list[Path]) -> bool:
    return any(p == r or p.is_relative_to(r) for r in roots)


def library_files(folder: Path, roots: list[Path] | None = None, skip: Path | None = None) -> list[Path]:
    """The ``*.yaml`` files under ``folder`` (sorted), without following links out of
    ``roots`` and without ``skip`` (the case file itself). Raises CaseError when the folder
    holds more than MAX_LIBRARY_ENTRIES entries or cannot be listed."""
    folder = Path(folder)
    found: list[Path] = []
    seen = 0
    top = len(folder.parts)
    try:
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            d = Path(dirpath)
            seen += len(dirnames) + len(filenames)
            if seen > MAX_LIBRARY_ENTRIES:
                raise CaseError([Problem(str(folder), "library", f"the folder holds more than {MAX_LIBRARY_ENTRIES:,}"
                                         " files and folders; point 'library' at the folder of process files")])
            if len(d.parts) - top >= MAX_LIBRARY_DEPTH:
                dirnames[:] = []
            dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
            for n in filenames:
                if not n.endswith(".yaml") or n.startswith("."):
                    continue
                f = d / n
                try:
                    real = f.resolve()
                    if not real.is_file():
                        continue
                except (OSError, RuntimeError):
                    continue
                if skip is not None and real == skip:
                    continue
                if roots is not None and not _inside(real, roots):
                    continue  # a link out of the allowed folders is not followed
                found.append(f)
    except OSError as exc:
        raise CaseError([Problem(str(folder), "library", f"cannot list the folder ({exc.strerror or exc})")]) from None
    return sorted(found)



def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def expand_extends(data: dict, file: str = "<case>", base_dir: Path | None = None, _seen: tuple = ()) -> dict:
    """A case file with ``extends: other.yaml`` is that file with this one merged over it
    (as a scenario is: mappings merged, lists and values replaced); the path is relative
    to the case file. Other data is returned as it is."""
    if not isinstance(data, dict) or data.get("extends") is None:
        return data
    ref = data["extends"]
    if not isinstance(ref, str) or not ref.strip():
        raise CaseError([Problem(file, "extends", "name the case file this one extends, e.g. liupanshui.yaml")])
    path = Path(ref) if Path(ref).is_absolute() else (base_dir or Path(".")) / ref
    if not path.is_file():
        raise CaseError([Problem(file, "extends", f"case file {str(path)!r} not found; the path is relative to "
                                 "the case file")])
    key = str(path.resolve())
    if key in _seen:
        raise CaseError([Problem(file, "extends", f"{ref!r} extends this file again (a cycle)")])
    base = expand_extends(read_yaml(path), str(path), path.parent, (*_seen, key))
    if not isinstance(base, dict):
        raise CaseError([Problem(str(path), "", "a case file must be a mapping with at least 'name' and 'plants'")])
    return deep_merge(base, {k: v for k, v in data.items() if k != "extends"})
