/* The Jupyter widget (anywidget): the same explorer, with the data sent by the kernel.
 * The page lays the graph out itself; a training step sends new data only (ex.update(new_root)),
 * and what is expanded, the layouts and the view stay. */
var crWidgets = 0;

export default {
  render: function (ctx) {
    var model = ctx.model, el = ctx.el;
    var prefix = "crw" + (++crWidgets) + "-";
    var root = crEl("div", { "class": "cr-explorer cr-widget" });
    root.appendChild(crEl("div", { "class": "cr-graph" }));
    el.appendChild(root);
    var explorer = crMount(root, JSON.parse(model.get("data")), { idPrefix: prefix, title: true });
    model.on("change:data", function () { explorer.update(JSON.parse(model.get("data"))); });
    return function () { explorer.showStep(0, true); };
  }
};
