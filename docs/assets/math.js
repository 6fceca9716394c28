// Math with the site's own KaTeX (docs/assets/katex): no CDN, no request.
// Markdown pages: pymdownx.arithmatex wraps math in .arithmatex as \( \) or \[ \].
// Notebook pages (.jupyter-wrapper): the notebooks' Markdown cells write $ $ and $$ $$.
(function () {
  "use strict";
  function render() {
    if (typeof renderMathInElement !== "function") return;
    var options = { throwOnError: false, ignoredClasses: ["highlight", "jp-OutputArea"] };
    document.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, Object.assign({}, options, {
        delimiters: [{ left: "\\(", right: "\\)", display: false }, { left: "\\[", right: "\\]", display: true }],
      }));
    });
    if (document.querySelector(".jupyter-wrapper") === null) return;
    // a notebook's headings carry their math into the table of contents too
    document.querySelectorAll(".jupyter-wrapper .jp-MarkdownOutput, .md-sidebar--secondary .md-nav__link").forEach(function (el) {
      renderMathInElement(el, Object.assign({}, options, {
        delimiters: [
          { left: "$$", right: "$$", display: true }, { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false }, { left: "\\[", right: "\\]", display: true },
        ],
      }));
    });
  }
  // Material's instant navigation swaps pages without a load event; document$ tells of each page.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(render);
  } else {
    document.addEventListener("DOMContentLoaded", render);
  }
})();
