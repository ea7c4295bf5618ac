"""`make mutation`: mutmut over the sync, the services and auth/crypto/logs; prints score and survivors.

    python -m devtools.mutation [--workers N] [--fresh] [--report] [--save] [MUTANT ...]

mutmut (configured in pyproject.toml, `[tool.mutmut]`) copies the code into `mutants/`, writes every
mutant of the modules in `only_mutate` into that copy, and runs, for each mutant, the tests that
called the mutated function; devtools/mutation_pytest.py narrows those to `tests/unit` for the pure
modules. The Firestore emulator is started once for the whole run (FIRESTORE_EMULATOR_HOST, unless
already exported) and shared by every mutant's tests, each test in a project of its own.

Verdicts are kept in `mutants/` between runs: a mutant already killed (or timed out: it loops, and
learning that again costs ten times its tests' time) is not tested again while its function is
unchanged, but every survivor is, so a new test shows at once, except the excused survivors
(listed as equivalent, or only rewording a message), which no test is meant to kill. Killed (a
timeout as killed) and excused ones are also kept in the repository, `devtools/mutation_verdicts.json`, by
function and the hash of its source as mutmut computes it: a new checkout generates the mutants,
takes over those verdicts for every function whose source is unchanged, and tests only the rest (a
full run takes many hours on 2 cores). `--fresh` forgets both and starts over.
MUTANT limits the run to those mutants (globs as mutmut takes them, e.g. 'functions.logs.*'); of the
ones recorded, only those not killed are run again.
`--report` only prints the summary of the last run.

The summary: killed/total per module and overall, then every survivor that is not listed in
devtools/mutation_equivalent.txt with its mutation, then the listed (equivalent) ones. Lines of
that file: `mutant name | the mutated line | why it is equivalent`; an entry whose mutant no
longer survives or whose line no longer matches is reported as stale.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
EQUIVALENT = ROOT / "devtools" / "mutation_equivalent.txt"
VERDICTS = ROOT / "devtools" / "mutation_verdicts.json"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
RESULT_MARKS = "🙁🫥⏰🤔🔇🧙🛑?🎉💥"

# mutmut's exit codes (mutmut.stats.status_by_exit_code) as this report counts them.
KILLED = {1, 3}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def status_of(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in KILLED:
        return "killed"
    if code in TIMEOUT:
        return "timeout"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "suspicious"


# --- mutmut's files ----------------------------------------------------------------------------

def mutated_sources() -> list[Path]:
    """The source files mutmut mutates, relative to ROOT (its own reading of the config)."""
    from mutmut.utils.file_utils import walk_mutatable_files

    return sorted(walk_mutatable_files())


def meta_path(source: Path) -> Path:
    return MUTANTS / f"{source}.meta"


def verdicts(source: Path) -> dict[str, int | None]:
    try:
        return json.loads(meta_path(source).read_text())["exit_code_by_key"]
    except (OSError, ValueError, KeyError):
        return {}


def module_name(source: Path) -> str:
    name = ".".join(source.with_suffix("").parts)
    return name.removesuffix(".__init__")


def reset_unsettled() -> int:
    """Forget every verdict but killed (timeouts too) and excused survivors (a listed equivalent,
    a reworded message: no test is meant to kill those), so survivors meet the current tests again."""
    count = 0
    equivalents = read_equivalents()
    for source in mutated_sources():
        path = meta_path(source)
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        codes = data["exit_code_by_key"]
        for name, code in codes.items():
            if code is not None and not settled(name, code, source, equivalents):
                codes[name] = None
                count += 1
        path.write_text(json.dumps(data, indent=4))
    return count


def unsettled_matching(patterns: list[str]) -> list[str]:
    """The recorded mutants matching mutmut-style names/globs that are neither killed nor excused
    survivors; the patterns themselves where nothing is recorded yet."""
    equivalents = read_equivalents()
    recorded: dict[str, tuple[int | None, Path]] = {}
    for source in mutated_sources():
        for name, code in verdicts(source).items():
            recorded[name] = (code, source)
    out: list[str] = []
    for pattern in patterns:
        matching = [n for n in recorded if fnmatch.fnmatchcase(n, pattern)]
        if not matching:
            out.append(pattern)
        out.extend(n for n in matching if not settled(n, *recorded[n], equivalents))
    return sorted(set(out))


def settled(name: str, code: int | None, source: Path, equivalents: dict[str, Equivalent]) -> bool:
    """Whether a recorded verdict stands: killed or timed out (mutmut's wall limit is five times the
    tests' own time plus 100 s, not what a busy machine causes), or a survivor no test is meant to
    kill."""
    return code in KILLED or code in TIMEOUT or (code in SURVIVED and excused(name, source, equivalents))


def excused(name: str, source: Path, equivalents: dict[str, Equivalent]) -> bool:
    """A survivor no test is meant to kill: listed as equivalent (its mutated line unchanged), or
    one that only rewords the prose of a message."""
    mutation = mutation_of(name, source)
    entry = equivalents.get(name)
    if entry is not None:
        return entry.line == added_line(mutation)
    return is_wording(mutation)


def split_name(name: str, source: Path) -> tuple[str, int]:
    """`functions.sync.engine.xǁEngineǁrun__mutmut_3` → (`xǁEngineǁrun`, 3): the function as
    mutmut's hashes name it, and the mutant's number within it (stable while the function is)."""
    head, _, number = name.rpartition("__mutmut_")
    return head[len(module_name(source)) + 1:], int(number)


def load_store(path: Path = VERDICTS) -> dict[str, dict[str, list]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def seed_verdicts(sources: list[Path], store: dict[str, dict[str, list]]) -> int:
    """Take over, for every untested mutant whose function's source hash is still the one in the
    store, its verdict: killed, or an excused survivor (kept as such, or listed as equivalent with
    its mutated line unchanged), which is not run again. Returns how many."""
    count = 0
    equivalents = read_equivalents()
    for source in sources:
        kept, path = store.get(str(source)), meta_path(source)
        if not kept or not path.exists():
            continue
        data = json.loads(path.read_text())
        hashes, codes = data.get("hash_by_function_name", {}), data["exit_code_by_key"]
        for name, code in codes.items():
            if code is not None:
                continue
            func, number = split_name(name, source)
            entry = kept.get(func)
            if not entry or hashes.get(func) != entry[0]:
                continue
            if number in entry[1]:
                codes[name] = 1
            elif number in (entry[2] if len(entry) > 2 else ()) or (
                    name in equivalents and excused(name, source, equivalents)):
                codes[name] = 0
            else:
                continue
            count += 1
        path.write_text(json.dumps(data, indent=4))
    return count


def collect_verdicts(sources: list[Path], store: dict[str, dict[str, list]]) -> dict[str, dict[str, list]]:
    """The store after a run: per source, per function, [source hash, killed mutant numbers] and,
    where there are any, the numbers of its excused survivors (equivalent, reworded message), from
    mutmut's files; kept entries of functions whose hash is unchanged are merged in."""
    out: dict[str, dict[str, list]] = {}
    equivalents = read_equivalents()
    for source in sources:
        try:
            data = json.loads(meta_path(source).read_text())
        except (OSError, ValueError):
            if str(source) in store:
                out[str(source)] = store[str(source)]
            continue
        hashes = data.get("hash_by_function_name", {})
        killed: dict[str, set[int]] = defaultdict(set)
        survived: dict[str, set[int]] = defaultdict(set)
        for func, (digest, numbers, *rest) in store.get(str(source), {}).items():
            if hashes.get(func) == digest:
                killed[func].update(numbers)
                survived[func].update(*rest)
        codes = data["exit_code_by_key"]
        for name, code in codes.items():
            func, number = split_name(name, source)
            if func not in hashes:
                continue
            if code in KILLED or code in TIMEOUT:
                killed[func].add(number)
                survived[func].discard(number)
            elif code in SURVIVED and excused(name, source, equivalents):
                survived[func].add(number)
            elif code is not None:
                survived[func].discard(number)
        out_source = {}
        for func in sorted(set(killed) | {f for f, n in survived.items() if n}):
            entry: list = [hashes[func], sorted(killed[func])]
            if survived[func]:
                entry.append(sorted(survived[func]))
            out_source[func] = entry
        if out_source:
            out[str(source)] = out_source
    return out


def save_store(store: dict[str, dict[str, list]], path: Path = VERDICTS) -> None:
    # one function per line: a diff shows which functions' verdicts changed
    lines = []
    for source, funcs in sorted(store.items()):
        inner = ",\n".join(f"  {json.dumps(func, ensure_ascii=False)}: {json.dumps(entry)}"
                           for func, entry in funcs.items())
        lines.append(f"{json.dumps(source)}: {{\n{inner}\n}}")
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def generate() -> None:
    """mutmut's own first step, alone: the copy in mutants/ with every mutant and its .meta file,
    so the kept verdicts can go in before `mutmut run` (which then finds the files up to date)."""
    from mutmut.__main__ import create_mutants
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir

    MUTANTS.mkdir(exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):  # its file-by-file chatter
        copy_src_dir()
        copy_also_copy_files()
        create_mutants(max_children=2)


def refresh_copies() -> None:
    """Drop mutmut's copies of the tests and helpers: it copies them anew, without deleted files."""
    from mutmut.configuration import config

    for path in [*config().also_copy, Path("tests")]:
        target = MUTANTS / path
        if target.is_dir():
            shutil.rmtree(target)


# --- running -----------------------------------------------------------------------------------

def run_mutmut(workers: int, names: list[str]) -> int:
    """`mutmut run`, its output condensed (spinner lines at most every 30 s) and kept in mutants/."""
    from devtools.firestore_emulator import EmulatorMissing, FirestoreEmulator

    emulator = None
    if not os.environ.get("FIRESTORE_EMULATOR_HOST"):
        try:
            emulator = FirestoreEmulator().start()  # exports FIRESTORE_EMULATOR_HOST
        except EmulatorMissing as exc:
            print(exc, file=sys.stderr)
            return 3
    mutmut = Path(sys.executable).parent / "mutmut"
    cmd = [str(mutmut), "run", "--max-children", str(workers), *names]
    MUTANTS.mkdir(exist_ok=True)
    log_path = MUTANTS / "mutmut-run.log"
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,  # noqa: S603
                                    stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
            assert proc.stdout is not None
            last_shown, pending = 0.0, ""
            buffer = ""
            while chunk := proc.stdout.read(256):
                log.write(chunk)
                buffer += chunk
                *segments, buffer = re.split(r"[\r\n]", buffer)
                for segment in segments:
                    text = segment.strip()
                    if not text:
                        continue
                    if text[0] in SPINNER:
                        pending = text[1:].strip()
                        if time.monotonic() - last_shown >= 30:
                            print("   ", pending, flush=True)
                            last_shown, pending = time.monotonic(), ""
                    elif text[0] not in RESULT_MARKS:  # the per-mutant list stays in the log
                        print(text, flush=True)
            if pending:
                print("   ", pending, flush=True)
            code = proc.wait()
    finally:
        if emulator is not None:
            emulator.stop()
    if code != 0:
        print(f"mutmut run failed ({code}); its whole output is in {log_path.relative_to(ROOT)}")
    return code


# --- the report --------------------------------------------------------------------------------

@dataclass
class Equivalent:
    name: str
    line: str
    reason: str


def read_equivalents(path: Path = EQUIVALENT) -> dict[str, Equivalent]:
    out: dict[str, Equivalent] = {}
    if not path.exists():
        return out
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        name, line, reason = (part.strip() for part in raw.split(" | ", 2))
        out[name] = Equivalent(name, line, reason)
    return out


def mutation_of(name: str, source: Path) -> str:
    """The mutated lines of a mutant, `-old` / `+new` joined on one line."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        diff = get_diff_for_mutant(name, path=source)
    except Exception as exc:  # a mutant the source no longer has
        return f"(no diff: {exc})"
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "  ".join(line[0] + " " + line[1:].strip() for line in changed)


_LITERAL = re.compile(r"""(?<![\w'"])[rRuUfF]{0,2}("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
_MESSAGE_LINE = re.compile(r"^(raise \w+\(|\w*(log|logger)\.(debug|info|warning|error|exception)\()")


def is_wording(mutation: str) -> bool:
    """Whether a mutant only rewords the prose message of a `raise` or a log call: the message
    wrapped in XX, lower or upper case, or None. Tests check the error's code and status and that
    it has a message, not the message's wording."""
    removed = [p[2:] for p in mutation.split("  ") if p.startswith("- ")]
    added = [p[2:] for p in mutation.split("  ") if p.startswith("+ ")]
    if len(removed) != 1 or len(added) != 1 or not _MESSAGE_LINE.match(removed[0]):
        return False
    old, new = removed[0], added[0]
    for match in _LITERAL.finditer(old):
        literal = match.group(1)
        quote, text = literal[0], literal[1:-1]
        if " " not in text.strip():
            continue  # a word, not prose: a code, key or name
        if old[:match.start(0)] + "None" + old[match.end(0):] == new:
            return True
        for replacement in (f"{quote}XX{text}XX{quote}", quote + text.lower() + quote,
                            quote + text.upper() + quote):
            if old[:match.start(1)] + replacement + old[match.end(1):] == new:
                return True
    return False


def added_line(mutation: str) -> str:
    """The `+` side of a mutation, what mutation_equivalent.txt records."""
    parts = [p[2:] for p in mutation.split("  ") if p.startswith("+ ")]
    return " ⏎ ".join(parts) if parts else "(line removed)"


def report() -> int:
    os.chdir(ROOT)
    sources = mutated_sources()
    if not any(meta_path(s).exists() for s in sources):
        print("No mutation results yet: run `make mutation` first.")
        return 1
    equivalents = read_equivalents()
    rows = []
    open_survivors: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    wording: dict[str, list[str]] = defaultdict(list)
    listed: list[tuple[Equivalent, str, str]] = []
    seen_listed: set[str] = set()
    totals: Counter[str] = Counter()
    unchecked: set[str] = set()
    for source in sources:
        codes = verdicts(source)
        if not codes:
            continue
        unchecked.update(name for name, code in codes.items() if code is None)
        module = module_name(source)
        count = Counter(status_of(c) for c in codes.values())
        for name, code in sorted(codes.items(), key=lambda kv: _natural(kv[0])):
            status = status_of(code)
            if status not in ("survived", "no tests", "suspicious"):
                continue
            mutation = mutation_of(name, source)
            entry = equivalents.get(name)
            if entry is not None and status == "survived":
                seen_listed.add(name)
                ok = entry.line == added_line(mutation)
                listed.append((entry, mutation, "" if ok else "STALE (the mutated line changed)"))
                if ok:
                    count["equivalent"] += 1
                    continue
            elif status == "survived" and is_wording(mutation):
                wording[module].append(name)
                count["wording"] += 1
                continue
            open_survivors[module].append((name, status, mutation))
        rows.append((module, count))
        totals.update(count)

    print()
    print(f"{'module':32} {'killed':>6} {'total':>6} {'score':>6} {'equiv.':>6} {'wording':>7} "
          f"{'score w/o':>9}   open")
    for module, count in [*rows, ("ALL", totals)]:
        if module == "ALL":
            print("-" * 100)
        killed = count["killed"] + count["timeout"]
        total = sum(v for k, v in count.items() if k not in ("equivalent", "wording"))
        excused = count["equivalent"] + count["wording"]
        rest = ", ".join(f"{v} {k}" for k, v in sorted(count.items())
                         if k not in ("killed", "timeout", "equivalent", "wording") and v)
        rest = (f"{count['survived'] + count['no tests'] + count['suspicious'] - excused}"
                f"{'  (' + rest + ')' if rest else ''}")
        print(f"{module:32} {killed:>6} {total:>6} {_pct(killed, total):>6} {count['equivalent']:>6} "
              f"{count['wording']:>7} {_pct(killed, total - excused):>9}   {rest}")
    print("score: killed (timeouts count as killed) over all mutants. 'score w/o' leaves out the "
          "equivalent\nmutants (devtools/mutation_equivalent.txt) and those that only reword a message.")

    n_open = sum(len(v) for v in open_survivors.values())
    print(f"\nOpen survivors (need a test, or a reason in {EQUIVALENT.relative_to(ROOT)}): {n_open}")
    for module, items in open_survivors.items():
        print(f"  {module}")
        for name, status, mutation in items:
            tag = "" if status == "survived" else f" [{status}]"
            print(f"    {name}{tag}\n        {mutation}")
    print(f"\nEquivalent ({EQUIVALENT.relative_to(ROOT)}): {len(listed)}")
    for entry, mutation, problem in listed:
        print(f"    {entry.name} {problem}\n        {mutation}\n        why: {entry.reason}")
    gone = sorted(set(equivalents) - seen_listed - unchecked)  # not checked yet: not stale
    if gone:
        print(f"\nStale entries (the mutant no longer survives or no longer exists): {len(gone)}")
        for name in gone:
            print(f"    {name}")
    n_wording = sum(len(v) for v in wording.values())
    print(f"\nOnly reword a message (XX…XX, case, None) of a raise or log call: {n_wording}")
    for module, names in wording.items():
        short = ", ".join(n.rpartition(".")[2] for n in names)
        print(f"  {module}: {short}")
    print("\nA mutant's diff: .venv/bin/mutmut show NAME; its tests: .venv/bin/mutmut tests-for-mutant NAME")
    return 0


def _natural(name: str) -> tuple[str, int]:
    head, _, number = name.rpartition("__mutmut_")
    return head, int(number) if number.isdigit() else 0


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("MUTATION_WORKERS", "2")))
    parser.add_argument("--fresh", action="store_true", help="forget every earlier verdict")
    parser.add_argument("--report", action="store_true", help="only print the last run's summary")
    parser.add_argument("--save", action="store_true",
                        help=f"only write the killed mutants of mutants/ to {VERDICTS.name}")
    parser.add_argument("mutants", nargs="*", help="only these mutants (mutmut's names, globs allowed)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    sources = mutated_sources()
    if args.fresh:
        shutil.rmtree(MUTANTS, ignore_errors=True)
        VERDICTS.unlink(missing_ok=True)
    store = load_store()
    if args.save:
        save_store(collect_verdicts(sources, store))
        return 0
    fresh_checkout = not any(meta_path(source).exists() for source in sources)
    if fresh_checkout and store:
        generate()
        print(f"took over {seed_verdicts(sources, store)} verdicts (killed, or an excused survivor) from "
              f"{VERDICTS.relative_to(ROOT)} (functions unchanged since)")
    if not args.report:
        names = args.mutants
        if MUTANTS.exists():
            refresh_copies()
            if names:  # mutmut re-tests every mutant it is given: give it the unsettled ones only
                names = unsettled_matching(names)
                if not names:
                    print("every matching mutant is killed")
                    return report()
                print(f"re-checking {len(names)} matching mutants that are not killed")
            else:
                print(f"re-checking {reset_unsettled()} earlier survivors and timeouts (killed stay killed)")
        started = time.monotonic()
        try:
            code = run_mutmut(args.workers, names)
        finally:  # also after a failed or stopped (Ctrl-C) run: what was killed stays known
            save_store(collect_verdicts(sources, load_store()))
        print(f"mutmut took {(time.monotonic() - started) / 60:.1f} min")
        if code != 0:
            return code
    return report()


if __name__ == "__main__":
    sys.exit(main())
