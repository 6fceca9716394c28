"""Execute the notebooks in place and store their outputs, so they read well on a code host.

    python notebooks/run_all.py                 # every notebook, in file order
    python notebooks/run_all.py 10 03_softmax   # the notebooks whose names start with these

Each notebook runs top to bottom on a fresh ``python3`` kernel (the interpreter running
this script) with ``notebooks/`` as its working directory, as nbmake runs it in the tests.
A failing cell stops that notebook, leaves its file untouched and makes the exit status 1.
Timing metadata, object addresses, the kernel's process id and the folder of the checkout are not
stored, so re-running an unchanged notebook changes only what really changed (timings printed by the
notebooks themselves, for instance).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNEL = "python3"
CELL_TIMEOUT = 600  # seconds; the slowest cell takes a few
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")  # "<DrawnGraph at 0x7f...>": differs on every run


_KERNEL_FILE = re.compile(r"/tmp/ipykernel_\d+/")  # a cell's file: the kernel's process id changes on every run


def _machine_free(text: str) -> str:
    """``text`` without what differs from run to run and machine to machine: object addresses, the kernel's
    process id, and the folder this repository is checked out in (paths are written relative to it)."""
    text = _ADDRESS.sub(">", text)
    text = _KERNEL_FILE.sub("<ipykernel>/", text)
    return text.replace(str(HERE.parent) + "/", "")


def _drop_addresses(nb) -> None:
    """Make outputs machine-free (see :func:`_machine_free`), so that an unchanged notebook re-runs to the same file."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if isinstance(data.get("text/plain"), str):
                data["text/plain"] = _machine_free(data["text/plain"])
            if isinstance(out.get("text"), str):
                out["text"] = _machine_free(out["text"])
            if isinstance(out.get("traceback"), list):
                out["traceback"] = [_machine_free(line) for line in out["traceback"]]


def notebooks(prefixes: list[str]) -> list[Path]:
    """The notebooks of this folder whose names start with one of ``prefixes`` (all when empty)."""
    found = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if not prefixes:
        return found
    chosen = [p for p in found if any(p.stem.startswith(x) for x in prefixes)]
    unknown = [x for x in prefixes if not any(p.stem.startswith(x) for p in found)]
    if unknown:
        raise SystemExit(f"no notebook name starts with {', '.join(map(repr, unknown))}; "
                         f"notebooks: {', '.join(p.stem for p in found)}")
    return chosen


def run(path: Path) -> float:
    """Execute ``path`` in place with its outputs stored; returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # store_widget_state=False: a widget's state holds its whole script (the explorer's, with Graphviz,
    # is 850 KB); a stored notebook cannot run it anyway, so notebooks keep pictures of widgets instead
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL, record_timing=False,
                            store_widget_state=False, resources={"metadata": {"path": str(HERE)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    _drop_addresses(nb)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}  # no interpreter version: it changes from machine to machine
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    failed = []
    total = 0.0
    for path in notebooks(argv):
        try:
            seconds = run(path)
        except Exception as e:  # a cell raised: report it, keep the file as it was, go on
            failed.append(path.name)
            print(f"{path.name}: FAILED\n{e}", file=sys.stderr)
            continue
        total += seconds
        print(f"{path.name}: {seconds:.1f} s, {path.stat().st_size / 1024:.0f} KiB")
    print(f"total: {total:.1f} s")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
