"""Run a `pip install` and show its progress in a few lines (the first `make run` would otherwise be
silent for about a minute, or drown in pip's own output).

    python devtools/pip_progress.py PIP_ARGS...      e.g.  .venv/bin/pip install -r requirements.txt

Prints one line per package as pip takes it up (`[12] google-auth 2.40.3`), then how many were
installed and how long it took. On failure it prints pip's whole output and exits with pip's code.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator

# `Collecting name==1.0`, `Processing /opt/.../name-1.0-py3-none-any.whl`, `Downloading name-1.0...`
_COLLECTING = re.compile(r"^\s*Collecting\s+([A-Za-z0-9._-]+)")
_PROCESSING = re.compile(r"^\s*(?:Processing|Downloading)\s+\S*?([A-Za-z0-9_.]+?)-(\d[^-]*)-.*\.whl\b")
_INSTALLED = re.compile(r"^Successfully installed (.*)$")


def progress(lines: Iterable[str]) -> Iterator[str]:
    """The lines to show for pip's output lines: one per new package, and the final count."""
    seen: set[str] = set()
    for line in lines:
        match = _COLLECTING.match(line) or _PROCESSING.match(line)
        if match:
            name = match.group(1).lower().replace("_", "-")
            if name not in seen:
                seen.add(name)
                version = f" {match.group(2)}" if match.re is _PROCESSING else ""
                yield f"  [{len(seen)}] {name}{version}"
            continue
        if line.startswith("Installing collected packages"):
            yield "  installing …"
            continue
        done = _INSTALLED.match(line.strip())
        if done:
            yield f"  installed {len(done.group(1).split())} packages"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.monotonic()
    output: list[str] = []
    proc = subprocess.Popen([*argv, "--progress-bar", "off"], stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    assert proc.stdout is not None

    def lines() -> Iterator[str]:
        for line in proc.stdout:
            output.append(line)
            yield line.rstrip("\n")

    for shown in progress(lines()):
        print(shown, flush=True)
    code = proc.wait()
    if code != 0:
        sys.stdout.write("".join(output))
        print(f"pip failed (exit {code}); its whole output is above", file=sys.stderr)
        return code
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
