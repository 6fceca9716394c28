"""The engine in the browser: a JupyterLite REPL with the Pyodide kernel and chainrule, from PyPI and npm only.

``make docs-lite`` runs ``python docs/scripts/build_lite.py site/lite`` (after ``make docs``), then
``--check`` opens it in headless Chromium. What it assembles, and why each source:

- JupyterLite and its Pyodide kernel: PyPI (``jupyterlite-core``, ``jupyterlite-pyodide-kernel``, the ``lite``
  extra). The kernel names the Pyodide release it was built for (it would load it from a CDN).
- Pyodide itself: the npm registry's ``pyodide`` package of that release, which is the interpreter and the
  standard library only (its ``pyodide-lock.json`` names 356 packages; none of their files are in it).
- The packages the kernel loads to start (micropip, IPython, jedi and their dependencies): pure-Python wheels
  from PyPI, the versions the lock file names; the lock is cut down to them, with their checksums.
- chainrule's own wheel, built here (pure Python), and ``graphviz`` (the Python package), for piplite.

What it cannot assemble is written down on the docs' contributing page: the compiled packages of Pyodide's
distribution (numpy, matplotlib, scikit-learn) are on no registry, and drawing needs a Graphviz layout that
does not run in Pyodide. The REPL runs the engine, ``nn``, higher order, checks and traces; ``draw`` and
``explore`` raise ``RendererNotFoundError``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
# the kernel starts by loading these from the Pyodide distribution, then piplite-installs the rest
KERNEL_NEEDS = ("micropip", "ipython", "jedi")
PIPLITE_EXTRA = ("comm", "ipython-pygments-lexers", "graphviz")
# chainrule without its dependencies, then the ones that run in Pyodide: the WebAssembly renderer's
# runtime (wasmtime) is a native library, which piplite cannot install there
STARTUP = ("import piplite\nawait piplite.install(['graphviz'])\nawait piplite.install('chainrule', deps=False)\n"
           "from autograd import Value, grad, hessian\nimport nn")
CHECK = ("x = Value(3.0, label='x'); y = x * x + x; y.backward()\n"
         "print('check', x.grad, hessian(lambda v: v[0] ** 2 * v[1], [1.0, 2.0]))")


def run(*cmd: str, cwd: Path | None = None) -> str:
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def pyodide_version() -> str:
    """The Pyodide release the installed kernel was built for (the one it would fetch from a CDN)."""
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    return str(PYODIDE_VERSION)


def closure(lock: dict, names: tuple[str, ...]) -> list[str]:
    """The packages ``names`` need, by the lock file's ``depends``."""
    packages, todo, seen = lock["packages"], list(names), []
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()  # the lock's keys are normalised names
        if name not in seen:
            seen.append(name)
            todo.extend(packages[name].get("depends", []))
    return sorted(seen)


def pip_download(dest: Path, python: str, specs: list[str]) -> None:
    run(sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--only-binary",
        ":all:", "--python-version", python, "-d", str(dest), *specs)


def pyodide_distribution(work: Path, version: str) -> tuple[Path, str]:
    """A Pyodide distribution tarball (npm's core, the kernel's start-up wheels from PyPI) and its Python."""
    tgz = work / run("npm", "pack", f"pyodide@{version}", "--silent", cwd=work).split()[-1]
    with tarfile.open(tgz) as tar:
        tar.extractall(work, filter="data")
    dist = work / "pyodide"
    (work / "package").rename(dist)
    lock = json.loads((dist / "pyodide-lock.json").read_text(encoding="utf-8"))
    needed = closure(lock, KERNEL_NEEDS)
    python = ".".join(lock["info"]["python"].split(".")[:2])
    pip_download(dist, python, [f"{n}=={lock['packages'][n]['version']}" for n in needed])
    kept = {}
    for name in needed:
        entry = lock["packages"][name]
        wheel = dist / entry["file_name"]
        if not wheel.is_file():
            raise SystemExit(f"error: PyPI gave no {entry['file_name']} (a pure-Python wheel was expected)")
        entry["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
        kept[name] = entry
    print(f"Pyodide {version} from npm: {len(lock['packages'])} packages in its lock, "
          f"{len(kept)} of them brought from PyPI: {', '.join(kept)}")
    lock["packages"] = kept
    (dist / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    out = work / "pyodide-dist.tar.bz2"
    with tarfile.open(out, "w:bz2") as tar:
        tar.add(dist, arcname="pyodide")
    return out, python


def build(out: Path) -> None:
    out = out.resolve()  # jupyter lite runs in a scratch folder
    with tempfile.TemporaryDirectory(prefix="chainrule-lite-") as tmp:
        work = Path(tmp)
        distribution, python = pyodide_distribution(work, pyodide_version())
        wheels = work / "wheels"
        run(sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-deps", "-q", "-w",
            str(wheels), str(ROOT))
        pip_download(wheels, python, list(PIPLITE_EXTRA))
        if out.exists():
            shutil.rmtree(out)
        args = ["jupyter", "lite", "build", "--apps", "repl", "--no-unused-shared-packages", "--pyodide",
                str(distribution), "--output-dir", str(out), "--lite-dir", str(work)]
        for wheel in sorted(wheels.glob("*.whl")):
            args += ["--piplite-wheels", str(wheel)]
        run(*[str(Path(sys.executable).parent / args[0]), *args[1:]], cwd=work)
    config_path = out / "jupyter-lite.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    settings = config["jupyter-config-data"]["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    settings["disablePyPIFallback"] = True  # everything comes from this folder, never from PyPI
    config_path.write_text(json.dumps(config, indent=1), encoding="utf-8")
    for source_map in out.rglob("*.map"):
        source_map.unlink()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    print(f"wrote {out} ({size:.0f} MB); open {repl_url('')}")


def repl_url(origin: str, code: str = STARTUP) -> str:
    return f"{origin}/repl/index.html?kernel=python&toolbar=1&code={quote(code)}"


def check(out: Path) -> int:
    """Open the REPL offline in headless Chromium, run the engine, and time it."""
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from docs.sitegen.check import CHROMIUM_ARGS, chromium, serve

    with serve(out) as origin, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        context = browser.new_context()
        foreign: list[str] = []
        context.on("request", lambda r: None if r.url.startswith((origin, "data:", "blob:")) else foreign.append(r.url))
        page = context.new_page()
        start = time.perf_counter()
        page.goto(repl_url(origin, f"{STARTUP}\n{CHECK}"))
        text = ""
        while time.perf_counter() - start < 300 and "check 7.0" not in text and "Error" not in text:
            time.sleep(1)
            text = page.locator("body").inner_text()
        took = time.perf_counter() - start
        browser.close()
    ok = "check 7.0 [[4.0, 2.0], [2.0, 0.0]]" in text and not foreign
    print(f"REPL: {'ran the engine' if ok else 'FAILED'} in {took:.1f} s from opening the page; "
          f"requests to other origins: {foreign or 'none'}")
    if not ok:
        print(text[-2000:])
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "site" / "lite"))
    parser.add_argument("--check", action="store_true", help="only open the built REPL in headless Chromium")
    args = parser.parse_args()
    if args.check:
        raise SystemExit(check(Path(args.out)))
    build(Path(args.out))
