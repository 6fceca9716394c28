"""Links from Markdown sources to files outside ``docs/`` (a notebook, the benchmarks' README) become links to
the pages made of those files, so each source reads well on a code host and links within the site there."""

from __future__ import annotations

import posixpath
import re

# a Markdown link or image target: ](target) or ](target "title"); code spans and fences are left alone
_TARGET = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?((?:\s+\"[^\"]*\")?\))")
_CODE = re.compile(r"^(```|~~~).*?^\1[ \t]*$|`[^`\n]+`", re.M | re.S)


def rewrite(markdown: str, real_dir: str, site_dir: str, pages: dict[str, str]) -> str:
    """``markdown`` with each link into ``pages`` (repository path -> page source in the site) redirected.

    ``real_dir`` is the folder of the source in the repository (``docs/how-to``) and ``site_dir`` the
    folder of its page among the site's sources (``how-to``), both relative, with ``/``.
    """

    def one(m: re.Match[str]) -> str:
        target = m.group(2)
        if "://" in target or target.startswith(("/", "mailto:")):
            return m.group(0)
        repo_path = posixpath.normpath(posixpath.join(real_dir, target))
        page = pages.get(repo_path)
        if page is None:
            return m.group(0)
        new = posixpath.relpath(page, site_dir or ".")
        return f"{m.group(1)}{new}{m.group(3) or ''}{m.group(4)}"

    out, last = [], 0
    for code in _CODE.finditer(markdown):  # rewrite only outside code
        out.append(_TARGET.sub(one, markdown[last:code.start()]))
        out.append(code.group(0))
        last = code.end()
    out.append(_TARGET.sub(one, markdown[last:]))
    return "".join(out)
