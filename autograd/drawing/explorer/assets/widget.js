/* The Jupyter widget (anywidget): the same explorer, with the picture and data sent by the kernel.
 * The SVG arrives once (the layout); a training step sends new data only (ex.update(new_root)). */
var crWidgets = 0;

function crParseSvg(text) {
  var doc = new DOMParser().parseFromString(text, "image/svg+xml");
  var svg = doc.documentElement;
  if (!svg || svg.nodeName.toLowerCase() !== "svg") throw new Error("the explorer's picture is not an SVG document");
  return document.importNode(svg, true);
}

export default {
  render: function (ctx) {
    var model = ctx.model, el = ctx.el;
    var prefix = "crw" + (++crWidgets) + "-";
    var root = crEl("div", { "class": "cr-explorer cr-widget" });
    var graph = crEl("div", { "class": "cr-graph" });
    var svg = crParseSvg(model.get("svg"));
    // ids unique in the notebook: several explorers may share one document
    svg.querySelectorAll("[id]").forEach(function (node) { node.setAttribute("id", prefix + node.getAttribute("id")); });
    graph.appendChild(svg);
    root.appendChild(graph);
    el.appendChild(root);
    var explorer = crMount(root, JSON.parse(model.get("data")), { idPrefix: prefix });
    model.on("change:data", function () { explorer.update(JSON.parse(model.get("data"))); });
    return function () { explorer.showStep(0); };
  }
};
