"""Fuzz the case loader with mutated versions of the shipped cases.

Each input is a mutated case file written to disk; a pool of worker processes (each its
own interpreter, restarted after a timeout or a crash) runs ``load_case`` on it and, when
the case is accepted, looks for non-finite or absurd numbers in the resolved Case. The
parent counts clean CaseErrors, uncaught exceptions (by type and site), timeouts, worker
crashes, accepted cases holding non-finite numbers, and error messages that echo too much,
name pydantic classes or state pint dimension formulas.

    python benchmarks/fuzz_cases.py -n 10000 --workers 2 --timeout 10
    python benchmarks/fuzz_cases.py -n 10000 --code /tmp/before   # another source tree

The mutations are seeded (``--seed``), so two code trees see the same inputs.
"""
from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import random
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CASES = ["tutorial", "kalundborg", "changzhi", "liupanshui", "pingdingshan"]
CASE_WEIGHTS = [4, 1, 2, 1, 2]

BAD_NUMBERS = [
    "nan", ".nan", "NaN", "inf", "-inf", ".inf", "1e400", "-1e400", "1e308", "1e-400", "10**400", "9**9**9",
    "2^64^64", "9 ** 9 ** 9", "1" + "0" * 401, "0x1p1024", "1e999999", "1_000", "∞", "1e30", "-0", "1/0",
]
UNITS = ["t/yr", "CNY", "CNY/t", "CNY/MWh", "kt/yr", "t/t", "MWh", "km", "yr", "%", "CNY/t/km", ""]
JUNK = [None, True, False, 0, -1, 1e400, float("nan"), float("inf"), 10 ** 400, [], {}, [1, 2], {"a": 1},
        "", "x y z", "%", "CNY", "t/yr", "🙂", "1 t/yr/yr/yr", "-5 t", "1e6 kg/s", "[1, 2]"]
LIBRARY_PATHS = ["/", "/var", "/proc", "/etc", "../../..", ".", "..", "/dev", "/sys/kernel", "~", "case.yaml",
                 "shipped", "", "nonexistent"]
TAGS = ["!!python/object/apply:os.system ['true']", "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2001-12-14",
        "!custom 1", "!!omap [a: 1]"]


# --------------------------------------------------------------------------- mutations
def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,), v
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,), v
            yield from _paths(v, prefix + (i,))


def _set(d, path, value):
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value


def _dump(d) -> str:
    return yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=10_000)


_PATHS: dict[int, tuple[list, list, list]] = {}


def _base_paths(base: dict) -> tuple[list, list, list]:
    """(every path, leaf paths, "number unit" paths) of a base case, found once per case
    (the base is never mutated: each input mutates a deep copy)."""
    if id(base) not in _PATHS:
        _PATHS[id(base)] = ([p for p, _ in _paths(base)],
                            [p for p, v in _paths(base) if not isinstance(v, (dict, list))],
                            [p for p, v in _paths(base) if isinstance(v, str) and v[:1].isdigit() and " " in v])
    return _PATHS[id(base)]


def mutate(rng: random.Random, base: dict, base_text: str) -> tuple[str, bytes]:
    """One mutated case file: (kind of mutation, bytes)."""
    kind = rng.choices(
        ["junk", "bad_number", "quantity_number", "delete", "rename", "deep", "list_bomb", "encoding",
         "library", "duplicate", "tag", "truncate", "force_forbid", "overflow", "huge", "combo"],
        weights=[14, 14, 10, 6, 5, 3, 3, 5, 5, 4, 3, 5, 4, 8, 1, 10])[0]
    d = copy.deepcopy(base)
    paths, leaf, qty = _base_paths(base)
    if kind == "junk":
        _set(d, rng.choice(paths), copy.deepcopy(rng.choice(JUNK)))  # a copy: JUNK's lists stay empty
        return kind, _dump(d).encode()
    if kind == "bad_number":
        p = rng.choice(qty or leaf)
        _set(d, p, f"{rng.choice(BAD_NUMBERS)} {rng.choice(UNITS)}".strip())
        return kind, _dump(d).encode()
    if kind == "quantity_number":  # keep the unit, break the number
        p = rng.choice(qty or leaf)
        v = d
        for k in p:
            v = v[k]
        unit = str(v).split(" ", 1)[1] if " " in str(v) else ""
        num = rng.choice(BAD_NUMBERS + ["1e" + str(rng.randint(20, 400)), str(rng.uniform(-1e3, 1e3))])
        _set(d, p, f"{num} {unit}".strip() if rng.random() < 0.8 else num)
        return kind, _dump(d).encode()
    if kind == "delete":
        p = rng.choice(paths)
        cur = d
        for k in p[:-1]:
            cur = cur[k]
        del cur[p[-1]]
        return kind, _dump(d).encode()
    if kind == "rename":
        p = rng.choice([p for p in paths if isinstance(p[-1], str)])
        cur = d
        for k in p[:-1]:
            cur = cur[k]
        cur[p[-1] + rng.choice(["_", "s", "x"])] = cur.pop(p[-1])
        return kind, _dump(d).encode()
    if kind == "deep":
        depth = rng.choice([100, 1000, 10_000, 50_000])
        text = _dump(d)
        nested = ("[" * depth + "]" * depth) if rng.random() < 0.5 else ("{a: " * depth + "1" + "}" * depth)
        return kind, text.replace("\nplants:", f"\nbomb: {nested}\nplants:", 1).encode()
    if kind == "list_bomb":
        levels = rng.randint(5, 9)
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in range(1, levels):
            lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
        field = rng.choice(["description", "plants", "exchanges", "scenarios", "library"])
        text = _dump({k: v for k, v in d.items() if k != field})
        return kind, (text + "\n" + "\n".join(f"x{line}" for line in lines) + f"\n{field}: *a{levels - 1}\n").encode()
    if kind == "encoding":
        text = _dump(d)
        how = rng.choice(["latin1", "gb18030", "utf16", "bom", "garbage", "cp1252"])
        if how == "latin1":
            return kind, text.replace("name:", "name: caf\u00e9 ", 1).encode("latin-1", "replace")
        if how == "gb18030":
            return kind, text.replace("name:", "name: 长治园区 ", 1).encode("gb18030")
        if how == "utf16":
            return kind, text.encode("utf-16")
        if how == "bom":
            return kind, b"\xef\xbb\xbf" + text.encode()
        if how == "cp1252":
            return kind, text.replace("name:", "name: \u201cpark\u201d ", 1).encode("cp1252", "replace")
        b = bytearray(text.encode())
        for _ in range(rng.randint(1, 5)):
            b[rng.randrange(len(b))] = rng.randrange(128, 256)
        return kind, bytes(b)
    if kind == "library":
        lib = rng.choice(LIBRARY_PATHS)
        d["library"] = lib if rng.random() < 0.7 else [lib, "shipped"]
        return kind, _dump(d).encode()
    if kind == "duplicate":
        lines = base_text.splitlines()
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return kind, "\n".join(lines).encode()
    if kind == "tag":
        p = rng.choice(leaf)
        _set(d, p, "TAGHERE")
        return kind, _dump(d).replace("TAGHERE", rng.choice(TAGS), 1).encode()
    if kind == "truncate":
        b = base_text.encode()
        return kind, b[:rng.randrange(len(b))]
    if kind == "force_forbid":
        if d.get("exchanges") and rng.random() < 0.5:
            x = rng.choice(d["exchanges"])
            x["force"] = True
            x["forbid"] = rng.random() < 0.5
            if not x["forbid"]:
                tgt = rng.choice([x.get("from"), x.get("to")])
                if tgt in d["plants"]:
                    d["plants"][tgt]["forbid"] = True
                    d["plants"][tgt]["status"] = "candidate"
        else:
            cands = [n for n, p in d["plants"].items() if p.get("status") == "candidate"]
            if cands:
                n = rng.choice(cands)
                d["plants"][n]["forbid"] = True
                d.setdefault("exchanges", [])
        return kind, _dump(d).encode()
    if kind == "overflow":
        name = rng.choice(list(d["plants"]))
        field = rng.choice(["capacity", "capex", "fixed_cost", "output"])
        unit = {"capacity": "t/yr", "capex": "CNY", "fixed_cost": "CNY/yr", "output": "t/yr"}[field]
        p = d["plants"][name]
        if field in ("capacity", "output") and isinstance(p.get(field), str) and " " in p[field]:
            unit = p[field].split(" ", 1)[1]
        p[field] = f"{rng.choice(['1e400', '1e308', '1e200', '1.7e308', '10**400', '1e300'])} {unit}"
        return kind, _dump(d).encode()
    if kind == "huge":
        n = rng.choice([10 ** 5, 10 ** 6, 5 * 10 ** 6])
        d["description"] = "x" * n
        return kind, _dump(d).encode()
    # combo: several junk / number mutations at once
    for _ in range(rng.randint(2, 5)):
        paths = [p for p, _ in _paths(d)]
        try:
            _set(d, rng.choice(paths), copy.deepcopy(rng.choice(JUNK + [f"{x} t/yr" for x in BAD_NUMBERS])))
        except (KeyError, IndexError, TypeError):
            pass
    return kind, _dump(d).encode()


# --------------------------------------------------------------------------- worker side
def _nonfinite(case) -> str | None:
    """The first non-finite or absurd number in a resolved Case, as a path; None if all sane."""
    import dataclasses
    import math

    def walk(obj, path, depth=0):
        if depth > 12:
            return None
        if isinstance(obj, bool) or obj is None:
            return None
        if isinstance(obj, (int, float)):
            if isinstance(obj, float) and not math.isfinite(obj):
                return path
            if abs(obj) > 1e25:
                return path
            return None
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                r = walk(getattr(obj, f.name), f"{path}.{f.name}", depth + 1)
                if r:
                    return r
            return None
        if isinstance(obj, dict):
            for k, v in obj.items():
                r = walk(v, f"{path}.{k}", depth + 1)
                if r:
                    return r
            return None
        if isinstance(obj, (list, tuple)):
            for i, v in enumerate(obj):
                r = walk(v, f"{path}[{i}]", depth + 1)
                if r:
                    return r
        return None

    for section in ("materials", "processes", "plants", "exchanges", "settings", "limits", "distances"):
        r = walk(getattr(case, section), section)
        if r:
            return r
    return None


def _job(path: str) -> dict:
    import traceback
    from symbiosis.errors import CaseError
    from symbiosis.io import load_case
    out: dict = {}
    try:
        case = load_case(path)
        bad = _nonfinite(case)
        if bad is None:
            try:
                import math
                from symbiosis.graph import candidate_exchanges
                for x in candidate_exchanges(case):
                    for v in (x.distance, x.transport_cost, x.fixed_cost, x.capex):
                        if v is not None and (not math.isfinite(v) or abs(v) > 1e25):
                            bad = f"exchanges.{x.source}->{x.target}"
            except Exception as exc:  # noqa: BLE001 - counted
                tb = traceback.extract_tb(exc.__traceback__)[-1]
                out = {"outcome": "uncaught", "type": type(exc).__name__,
                       "site": f"graph:{Path(tb.filename).name}:{tb.lineno}"}
        if not out:
            out = {"outcome": "nonfinite_accepted", "where": bad} if bad else {"outcome": "ok"}
    except CaseError as exc:
        msgs = [p.message for p in exc.problems]
        text = str(exc)
        out = {"outcome": "case_error", "n": len(msgs), "chars": len(text),
               "pydantic": sum(("instance of" in m or "Spec" in m or "Input should" in m) for m in msgs),
               "pint_dim": sum(("[currency]" in m or "[mass]" in m or "[time]" in m or "[length]" in m)
                               for m in msgs),
               "first": text[:300]}
    except BaseException as exc:  # noqa: BLE001 - counted
        tb = traceback.extract_tb(exc.__traceback__)
        site = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb)
                     if "symbiosis" in f.filename), f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?")
        out = {"outcome": "uncaught", "type": type(exc).__name__, "site": site, "msg": str(exc)[:200]}
    return out


def worker(timeout: float) -> None:
    """Import symbiosis once, then fork one child per input (killed after ``timeout`` s)."""
    import resource
    import signal
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    from symbiosis.io import load_case
    for c in CASES:  # warm the library caches before forking
        try:
            load_case(REPO / "cases" / f"{c}.yaml")
        except Exception:  # noqa: BLE001
            pass
    proto.write("ready\n")
    for line in sys.stdin:
        path = line.strip()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
            sys.setrecursionlimit(10_000)
            try:
                data = json.dumps(_job(path)).encode()
            except BaseException:  # noqa: BLE001
                data = b""
            with os.fdopen(w, "wb") as f:
                f.write(data)
            os._exit(0)
        os.close(w)
        chunks, deadline = [], time.monotonic() + timeout
        out = None
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([r], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                out = {"outcome": "timeout"}
                break
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if out is None:
            try:
                out = json.loads(b"".join(chunks))
            except ValueError:
                out = {"outcome": "crash", "status": status}
        proto.write(json.dumps(out) + "\n")


# --------------------------------------------------------------------------- parent side
class Worker:
    def __init__(self, code: Path, timeout: float):
        env = dict(os.environ, PYTHONPATH=str(code), PYTHONHASHSEED="0")
        self.p = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker",
                                   "--timeout", str(timeout)], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, bufsize=1)
        self.job = None
        self.started = 0.0
        ready, _, _ = select.select([self.p.stdout], [], [], 120)
        if ready:
            self.p.stdout.readline()  # "ready": imports and library read, not counted in the timeout

    def send(self, job):
        self.job = job
        self.started = time.monotonic()
        self.p.stdin.write(job[1] + "\n")
        self.p.stdin.flush()

    def kill(self):
        try:
            self.p.kill()
            self.p.wait(5)
        except Exception:  # noqa: BLE001
            pass


def run(n: int, workers: int, timeout: float, seed: int, code: Path, keep: Path | None) -> dict:
    bases = {}
    for c in CASES:
        text = (REPO / "cases" / f"{c}.yaml").read_text()
        bases[c] = (yaml.safe_load(text), text)
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-"))
    kinds = {}

    def make_jobs():  # made as the workers take them (same order, so the same inputs for a seed)
        for i in range(n):
            c = rng.choices(CASES, CASE_WEIGHTS)[0]
            try:
                kind, data = mutate(rng, *bases[c])
            except (KeyError, IndexError, TypeError, ValueError, RecursionError):
                kind, data = "junk", _dump(bases[c][0]).encode()
            folder = tmp / f"{i // 500}"
            folder.mkdir(exist_ok=True)
            f = folder / f"{i}-{c}.yaml"
            f.write_bytes(data)
            kinds[i] = kind
            yield i, str(f)
    counts = collections.Counter()
    by_kind = collections.defaultdict(collections.Counter)
    sites = collections.Counter()
    nonfinite = collections.Counter()
    examples = {}
    msg = collections.Counter()
    slow: list[tuple[str, str, str]] = []  # (outcome, mutation kind, input) of every timeout and crash
    pool = [Worker(code, timeout) for _ in range(workers)]
    jobs = make_jobs()
    queue = [j for j in [next(jobs, None)] if j]  # one input ready ahead
    done = 0
    t0 = time.monotonic()

    def record(job, out):
        nonlocal done
        done += 1
        o = out["outcome"]
        counts[o] += 1
        by_kind[kinds[job[0]]][o] += 1
        if o == "uncaught":
            key = f"{out['type']} at {out['site']}"
            sites[key] += 1
            examples.setdefault(key, job[1])
        elif o == "nonfinite_accepted":
            nonfinite[out["where"].split(".")[0] + "." + out["where"].split(".")[-1]] += 1
            examples.setdefault("nonfinite " + out["where"], job[1])
        elif o == "case_error":
            msg["pydantic_messages"] += out["pydantic"]
            msg["pint_dimension_messages"] += out["pint_dim"]
            msg["errors_over_5000_chars"] += out["chars"] > 5000
        elif o in ("timeout", "crash"):
            examples.setdefault(o + f" {kinds[job[0]]}", job[1])
            slow.append((o, kinds[job[0]], job[1]))
        if done % 500 == 0:
            print(f"{done}/{n} inputs, {time.monotonic() - t0:.0f} s: {dict(counts)}", file=sys.stderr, flush=True)

    while queue or any(w.job for w in pool):
        for w in pool:
            if w.job is None and queue:
                w.send(queue.pop())
                queue.extend(j for j in [next(jobs, None)] if j)
        busy = [w for w in pool if w.job]
        ready, _, _ = select.select([w.p.stdout for w in busy], [], [], 0.2)
        for w in busy:
            if w.p.stdout in ready:
                line = w.p.stdout.readline()
                if not line:
                    record(w.job, {"outcome": "crash"})
                    w.kill()
                    pool[pool.index(w)] = Worker(code, timeout)
                    continue
                try:
                    out = json.loads(line)
                except ValueError:
                    out = {"outcome": "crash"}
                record(w.job, out)
                w.job = None
            elif time.monotonic() - w.started > timeout + 60:  # the worker itself is stuck
                record(w.job, {"outcome": "timeout"})
                w.kill()
                pool[pool.index(w)] = Worker(code, timeout)
        if done and done % 1000 == 0 and not ready:
            pass
    for w in pool:
        w.kill()
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        for key, f in examples.items():
            safe = "".join(ch if ch.isalnum() else "_" for ch in key)[:80]
            Path(keep / f"{safe}.yaml").write_bytes(Path(f).read_bytes())
        (keep / "timeouts").mkdir(exist_ok=True)
        for o, kind, f in slow[:200]:  # every timeout and crash, to profile one by one
            Path(keep / "timeouts" / f"{o}-{kind}-{Path(f).name}").write_bytes(Path(f).read_bytes())
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return {"inputs": n, "seconds": round(time.monotonic() - t0, 1), "code": str(code),
            "outcomes": dict(counts), "uncaught_sites": dict(sites.most_common()),
            "nonfinite_accepted": dict(nonfinite.most_common(20)), "messages": dict(msg),
            "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
            "timeouts_and_crashes": [f"{o} {kind} {Path(f).name}" for o, kind, f in slow]}


def table(before: dict, after: dict) -> str:
    """The outcome counts of two runs side by side (as in the issue's closing note)."""
    rows = ["case_error", "ok", "uncaught", "timeout", "nonfinite_accepted", "crash"]
    b, a = before.get("outcomes", {}), after.get("outcomes", {})
    out = [f"{'outcome':<20}{'before':>10}{'after':>10}", f"{'inputs':<20}{before.get('inputs', 0):>10,}"
                                                          f"{after.get('inputs', 0):>10,}"]
    out += [f"{r:<20}{b.get(r, 0):>10,}{a.get(r, 0):>10,}" for r in rows]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--code", type=Path, default=REPO, help="Source tree holding the symbiosis package.")
    ap.add_argument("--keep", type=Path, default=None, help="Copy one example input per failure kind here.")
    ap.add_argument("--json", type=Path, default=None, help="Write the counts here too.")
    ap.add_argument("--before", type=Path, default=None, help="A --json file of an earlier run: print both.")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        return worker(a.timeout)
    res = run(a.n, a.workers, a.timeout, a.seed, a.code.resolve(), a.keep)
    text = json.dumps(res, indent=2)
    print(text)
    if a.json:
        a.json.write_text(text)
    if a.before:
        print(table(json.loads(a.before.read_text()), res))


if __name__ == "__main__":
    main()
