"""Vendor KaTeX from the npm registry into ``docs/assets/katex/``: ``python docs/scripts/vendor_katex.py [VERSION]``.

The site renders math with these files only (no CDN). Kept: ``katex.min.js``, the
auto-render extension, ``katex.min.css`` and the WOFF2 fonts, which every browser
the site supports reads; the stylesheet's WOFF and TrueType fallbacks are dropped
from its ``src:`` lists, so it names no file that is not here. Needs ``npm``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

DEST = Path(__file__).resolve().parent.parent / "assets" / "katex"
# ",url(fonts/X.woff) format("woff"),url(fonts/X.ttf) format("truetype")" after each woff2 entry
FALLBACKS = re.compile(r',url\(fonts/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)')


def vendor(version: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", f"katex@{version}", "--silent"], cwd=tmp, check=True,
                             capture_output=True, text=True).stdout.split()[-1]
        with tarfile.open(Path(tmp) / out) as tar:
            tar.extractall(tmp, filter="data")
        dist = Path(tmp) / "package" / "dist"
        if DEST.exists():
            shutil.rmtree(DEST)
        (DEST / "fonts").mkdir(parents=True)
        shutil.copy(dist / "katex.min.js", DEST)
        shutil.copy(dist / "contrib" / "auto-render.min.js", DEST)
        shutil.copy(Path(tmp) / "package" / "LICENSE", DEST / "LICENSE")
        css = (dist / "katex.min.css").read_text(encoding="utf-8")
        (DEST / "katex.min.css").write_text(FALLBACKS.sub("", css), encoding="utf-8")
        for font in sorted((dist / "fonts").glob("*.woff2")):
            shutil.copy(font, DEST / "fonts")
        real = (Path(tmp) / out).name.removeprefix("katex-").removesuffix(".tgz")
        (DEST / "VERSION").write_text(f"katex {real} from the npm registry (docs/scripts/vendor_katex.py)\n")
    print(f"vendored KaTeX {real} into {DEST}")


if __name__ == "__main__":
    vendor(sys.argv[1] if len(sys.argv) > 1 else "0.16")
