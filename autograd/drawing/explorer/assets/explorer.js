/* chainrule explorer: step through the backward pass on a picture laid out once.
 *
 * The picture is Graphviz's SVG of the graph, drawn by the same DOT builder as
 * autograd.draw(). Every value node is <g id="n<k>">, its op <g id="n<k>op">,
 * the edge from its parent i <g id="e<k>_<i>">. Nothing is laid out again: each
 * view (a step, a selection, a nudge, new data after a training step) only
 * changes classes, text and data attributes.
 *
 * The data (JSON, see autograd/drawing/explorer/data.py) holds the nodes in
 * topological order, the backward pass step by step and the op descriptions.
 * User strings from it only ever become text (textContent), never markup, and
 * nothing here evaluates code: op formulas are expression trees interpreted by
 * crEvalTree.
 */
"use strict";

var CR_MAX_LISTED_PATHS = 20;

/* -- numbers ------------------------------------------------------------------------------ */

/* JSON cannot hold NaN or infinities: the data writes them as strings. */
function crNum(x) {
  return typeof x === "string" ? Number(x) : x;
}

/* Python's format(x, ".<p>g"), with "0" for zeros, as the picture's labels are written. */
function crFmt(x, p) {
  if (x === 0) return "0";
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  var parts = x.toExponential(p - 1).split("e");
  var exp = parseInt(parts[1], 10);
  if (exp < -4 || exp >= p) {
    var mant = parts[0];
    if (mant.indexOf(".") >= 0) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    var sign = exp < 0 ? "-" : "+";
    var digits = String(Math.abs(exp));
    if (digits.length < 2) digits = "0" + digits;
    return mant + "e" + sign + digits;
  }
  var fixed = x.toFixed(Math.max(0, p - 1 - exp));
  if (fixed.indexOf(".") >= 0) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}

/* A float as text that reads back to the same float (Python's float() parses it). */
function crExact(x) {
  if (x !== x) return "nan";
  if (x === 0 && 1 / x < 0) return "-0";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return String(x);
}

/* -- the op evaluator: expression trees from autograd.ops.table_json() -----------------------
 * Each primitive matches its Python reference in autograd/ops.py (f_exp, f_pow, ...), IEEE results
 * included: inf and nan instead of errors, so a nudge shows what the engine would compute. */

/* Python's math.pow (f_pow): as Math.pow but 1 ** anything = 1 and (-1) ** +-inf = 1. */
function crPow(a, p) {
  if (a === 1) return 1;
  if (a === -1 && (p === Infinity || p === -Infinity)) return 1;
  return Math.pow(a, p);
}

/* ops.f_spow: a power with a constant exponent, as PyTorch's tensor ** number (0.5 is sqrt, -0.5 its reciprocal). */
function crSpow(a, c) {
  if (c === 0.5 || c === -0.5) {
    var root = a >= 0 ? Math.sqrt(a) : NaN;  // Math.sqrt(-0) is -0, as Python's
    return c === 0.5 ? root : 1 / root;
  }
  return crPow(a, c);
}

/* Python's math.fsum: the correctly rounded sum (Shewchuk's partials), so logsumexp matches bit for bit. */
function crFsum(xs) {
  var partials = [], special = 0, i, j;
  for (i = 0; i < xs.length; i++) {
    var x = xs[i];
    if (!isFinite(x)) { special += x; continue; }
    var kept = 0;
    for (j = 0; j < partials.length; j++) {
      var y = partials[j];
      if (Math.abs(x) < Math.abs(y)) { var t = x; x = y; y = t; }
      var hi = x + y, lo = y - (hi - x);
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    partials.push(x);
  }
  if (special !== 0 || special !== special) return special;
  var n = partials.length;
  if (!n) return 0;
  var sum = partials[--n], low = 0;
  while (n > 0) {
    var xx = sum, yy = partials[--n];
    sum = xx + yy;
    low = yy - (sum - xx);
    if (low !== 0) break;
  }
  // round half even across the remaining partials, as CPython does
  if (n > 0 && ((low < 0 && partials[n - 1] < 0) || (low > 0 && partials[n - 1] > 0))) {
    var yr = low * 2, xr = sum + yr;
    if (yr === xr - sum) sum = xr;
  }
  return sum;
}

var CR_FUNCTIONS = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid: function (a) {
    if (a >= 0) return 1 / (1 + Math.exp(-a));
    if (a < 0) { var e = Math.exp(a); return e / (1 + e); }
    return a;  // nan
  },
  relu: function (a) { return a > 0 || a !== a ? a : 0; },
  abs: Math.abs,
  sin: Math.sin,
  cos: Math.cos,
  sign: function (a) { return a > 0 ? 1 : a < 0 ? -1 : 0; },
  step: function (a) { return a <= 0 ? 0 : 1; },
  spow: crSpow,
  dpow: function (a, p) { return p === 0 ? 0 : p * crPow(a, p - 1); },
  dspow: function (a, c) { return c === 0 ? 0 : c * crSpow(a, c - 1); },
  xlog: function (out, a) { return a === 0 && (out === 0 || out === 1) ? 0 : out * Math.log(a); }
};

function crEvalTree(t, env) {
  var op = t[0];
  switch (op) {
    case "num": return crNum(t[1]);
    case "var":
      if (!Object.prototype.hasOwnProperty.call(env, t[1])) throw new Error("unknown variable " + t[1]);
      return env[t[1]];
    case "neg": return -crEvalTree(t[1], env);
    case "+": return crEvalTree(t[1], env) + crEvalTree(t[2], env);
    case "-": return crEvalTree(t[1], env) - crEvalTree(t[2], env);
    case "*": return crEvalTree(t[1], env) * crEvalTree(t[2], env);
    case "/": return crEvalTree(t[1], env) / crEvalTree(t[2], env);
    case "**": return crPow(crEvalTree(t[1], env), crEvalTree(t[2], env));
    case "call":
      if (!Object.prototype.hasOwnProperty.call(CR_FUNCTIONS, t[1])) throw new Error("unknown function " + t[1]);
      var args = [];
      for (var i = 2; i < t.length; i++) args.push(crEvalTree(t[i], env));
      return CR_FUNCTIONS[t[1]].apply(null, args);
    default:
      throw new Error("unknown expression " + String(op));
  }
}

/* The value of op `key` on parent values `p` with recorded constants `c` (see autograd.ops.evaluate). */
function crEvalOp(table, key, p, c) {
  var i, s, m;
  c = (c || []).map(crNum);
  switch (key) {
    case "sum":
      s = c.length ? c[0] : 0;
      for (i = 0; i < p.length; i++) s += p[i];
      return s;
    case "dot":
      s = c[0];
      var pairs = c[1];
      for (i = 0; i < pairs; i++) s += p[2 * i] * p[2 * i + 1];
      for (i = 0; i < c.length - 2; i++) s += c[2 + i] * p[2 * pairs + i];
      return s;
    case "max":
      m = 0;
      for (i = 0; i < p.length; i++) {
        if (p[i] !== p[i]) return p[i];
        if (p[i] > p[m]) m = i;
      }
      return p[m];
    case "logsumexp":
      m = -Infinity;
      for (i = 0; i < p.length; i++) {
        if (p[i] !== p[i]) return NaN;
        if (p[i] > m) m = p[i];
      }
      if (m === -Infinity || m === Infinity) return m;
      return m + Math.log(crFsum(p.map(function (x) { return Math.exp(x - m); })));
  }
  var entry = table[key];
  if (!entry || !entry.forward) throw new Error("no forward formula for op " + key);
  var env = { a: p[0], b: p[1] };
  if (c.length) env.c = c[0];
  return crEvalTree(entry.forward, env);
}

/* -- the explorer ----------------------------------------------------------------------- */

function crEl(tag, attrs, text) {
  var el = document.createElement(tag);
  if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) el.setAttribute(k, attrs[k]);
  if (text !== undefined) el.textContent = text;
  return el;
}

/* Mount the explorer in `root` (which holds the SVG inside an element of class cr-graph).
 * options: {page: true} on a standalone page (URL fragments, keys on the whole document, data-step on <body>),
 *          {idPrefix: "..."} when the SVG's ids were prefixed (several widgets in one notebook). */
function crMount(root, data, options) {
  options = options || {};
  var prefix = options.idPrefix || "";
  var graph = root.querySelector(".cr-graph");
  var svg = graph.querySelector("svg");
  var state = { step: 0, selected: -1, playing: null, nudge: null };
  var D, N, users, nodeEls, gradText, dataText, edgeEls, shownGrad, shownData, edgeClass;

  function byId(id) { return svg.querySelector('[id="' + prefix + id + '"]'); }
  function p() { return D.precision; }

  /* -- data in, elements found ------------------------------------------------------------- */
  function load(newData) {
    D = newData;
    N = D.nodes.length;
    users = [];
    for (var k = 0; k < N; k++) users.push([]);
    D.nodes.forEach(function (node, k) {
      node.v = crNum(node.v);
      node.g = crNum(node.g);
      (node.p || []).forEach(function (parent, i) { users[parent].push([k, i]); });
      if (node.l) node.l = node.l.map(crNum);
    });
    D.steps.forEach(function (s) { s[2] = crNum(s[2]); s[3] = crNum(s[3]); s[4] = crNum(s[4]); });
    shownGrad = new Array(N).fill(undefined);
    shownData = new Array(N).fill(null);  // null: not written yet, so the first write always happens
  }

  function findElements() {
    nodeEls = []; gradText = []; dataText = []; edgeEls = [];
    edgeClass = [];
    for (var k = 0; k < N; k++) {
      var g = byId("n" + k);
      nodeEls.push(g);
      var texts = g ? g.getElementsByTagName("text") : [];
      dataText.push(texts.length >= 2 ? texts[1] : null);
      gradText.push(texts.length >= 3 ? texts[2] : null);
      if (g) {
        g.setAttribute("data-name", D.nodes[k].n);
        g.setAttribute("data-index", String(k));
        g.classList.add("cr-value");
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
      }
      var row = [];
      (D.nodes[k].p || []).forEach(function (_, i) { row.push(byId("e" + k + "_" + i)); });
      edgeEls.push(row);
      edgeClass.push(row.map(function () { return ""; }));
    }
  }

  /* -- the controls ------------------------------------------------------------------------ */
  var ui = {};
  function buildControls() {
    var bar = crEl("div", { "class": "cr-toolbar", role: "toolbar" });
    function button(name, label, title) {
      var b = crEl("button", { type: "button", "class": "cr-" + name, title: title }, label);
      ui[name] = b;
      bar.appendChild(b);
      return b;
    }
    button("first", "\u00ab first", "first step (Home)");
    button("prev", "\u25c0 previous", "previous step (\u2190)");
    button("play", "\u25b6 play", "play / pause (space)");
    button("next", "next \u25b6", "next step (\u2192)");
    button("last", "last \u00bb", "last step (End)");
    ui.slider = crEl("input", { type: "range", min: "0", max: String(D.steps.length), value: "0",
                                "class": "cr-slider", "aria-label": "step" });
    bar.appendChild(ui.slider);
    ui.counter = crEl("span", { "class": "cr-counter" });
    bar.appendChild(ui.counter);
    var speedLabel = crEl("label", { "class": "cr-speed-label" }, "speed ");
    ui.speed = crEl("select", { "class": "cr-speed" });
    [["0.5", "0.5 steps/s"], ["1", "1 step/s"], ["2", "2 steps/s"], ["5", "5 steps/s"], ["20", "20 steps/s"]]
      .forEach(function (o) {
        var opt = crEl("option", { value: o[0] }, o[1]);
        if (o[0] === "2") opt.selected = true;
        ui.speed.appendChild(opt);
      });
    speedLabel.appendChild(ui.speed);
    bar.appendChild(speedLabel);

    var side = crEl("div", { "class": "cr-side" });
    ui.stepBox = crEl("section", { "class": "cr-box cr-stepbox" });
    ui.stepBox.appendChild(crEl("h2", null, "This step"));
    ui.caption = crEl("div", { "class": "cr-caption", "aria-live": "polite" });
    ui.stepBox.appendChild(ui.caption);
    side.appendChild(ui.stepBox);

    ui.pathBox = crEl("section", { "class": "cr-box cr-pathbox" });
    ui.pathBox.appendChild(crEl("h2", null, "Paths"));
    ui.pathInfo = crEl("div", { "class": "cr-pathinfo" }, "Click a value in the picture to see its paths to the output.");
    ui.pathList = crEl("ol", { "class": "cr-paths" });
    ui.pathSum = crEl("div", { "class": "cr-pathsum" });
    ui.pathBox.appendChild(ui.pathInfo);
    ui.pathBox.appendChild(ui.pathList);
    ui.pathBox.appendChild(ui.pathSum);
    side.appendChild(ui.pathBox);

    ui.nudgeBox = crEl("section", { "class": "cr-box cr-nudgebox" });
    ui.nudgeBox.appendChild(crEl("h2", null, "Nudge"));
    ui.nudgeInfo = crEl("div", { "class": "cr-nudgeinfo" });
    var row = crEl("div", { "class": "cr-nudgerow" });
    ui.nudgeLabel = crEl("label", { "for": prefix + "cr-delta" }, "\u0394 = ");
    ui.delta = crEl("input", { type: "number", step: "any", value: "0.01", id: prefix + "cr-delta", "class": "cr-delta" });
    ui.reset = crEl("button", { type: "button", "class": "cr-reset" }, "reset");
    row.appendChild(ui.nudgeLabel);
    row.appendChild(ui.delta);
    row.appendChild(ui.reset);
    ui.nudgeBox.appendChild(ui.nudgeInfo);
    ui.nudgeBox.appendChild(row);
    ui.nudgeResult = crEl("div", { "class": "cr-nudgeresult" });
    ui.nudgeBox.appendChild(ui.nudgeResult);
    side.appendChild(ui.nudgeBox);

    ui.gradBox = crEl("section", { "class": "cr-box cr-gradbox" });
    ui.gradBox.appendChild(crEl("h2", null, "Gradients so far"));
    ui.gradTable = crEl("table", { "class": "cr-grads" });
    ui.gradBox.appendChild(ui.gradTable);

    var help = crEl("p", { "class": "cr-help" },
      "\u2190 \u2192 step, Home/End first/last, space play/pause. Click a value for its paths; " +
      "click an input or parameter to nudge it.");

    ui.legend = crEl("div", { "class": "cr-legend", "aria-label": "legend" });
    root.insertBefore(bar, graph);
    root.insertBefore(ui.legend, graph);
    var main = crEl("div", { "class": "cr-main" });
    var left = crEl("div", { "class": "cr-left" });
    root.insertBefore(main, graph);
    left.appendChild(graph);
    left.appendChild(ui.gradBox);
    main.appendChild(left);
    main.appendChild(side);
    root.appendChild(help);
  }

  var CR_COLOR = /^#[0-9a-fA-F]{6}$/;
  function buildLegend() {
    ui.legend.textContent = "";
    (D.legend || []).forEach(function (entry) {
      var item = crEl("span", { "class": "cr-legend-item" });
      var swatch = crEl("span", { "class": entry[2] === "line" ? "cr-swatch cr-line" : "cr-swatch" });
      if (CR_COLOR.test(entry[1])) {  // a colour from the drawing's palette, nothing else
        if (entry[2] === "line") swatch.style.borderTopColor = entry[1];
        else swatch.style.backgroundColor = entry[1];
      }
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(entry[0]));
      ui.legend.appendChild(item);
    });
  }

  function fitPicture() {
    // grow a small picture up to 1.5 times its natural size, never past the box
    var w = parseFloat(svg.getAttribute("width")), unit = /pt$/.test(svg.getAttribute("width") || "") ? 4 / 3 : 1;
    if (w > 0) {
      svg.style.width = "100%";
      svg.style.maxWidth = Math.round(w * unit * 1.5) + "px";
    }
  }

  function buildGradTable() {
    ui.gradTable.textContent = "";
    ui.gradCells = [];
    var head = crEl("tr");
    ["value", "data", "grad"].forEach(function (h) { head.appendChild(crEl("th", null, h)); });
    ui.gradTable.appendChild(head);
    D.nodes.forEach(function (node, k) {
      if (node.p && k !== D.root) return;  // leaves and the output
      var tr = crEl("tr", { "data-index": String(k) });
      tr.appendChild(crEl("td", { "class": "cr-name" }, node.n));
      tr.appendChild(crEl("td", { "class": "cr-num" }, crFmt(node.v, p())));
      var cell = crEl("td", { "class": "cr-num" }, "?");
      tr.appendChild(cell);
      ui.gradTable.appendChild(tr);
      ui.gradCells[k] = cell;
    });
  }

  /* -- stepping ------------------------------------------------------------------------------ */
  function gradsAt(step) {
    var g = new Array(N).fill(undefined);
    g[D.root] = 1;
    for (var j = 0; j < step; j++) g[D.nodes[D.steps[j][0]].p[D.steps[j][1]]] = D.steps[j][4];
    return g;
  }

  function setEdgeClass(k, i, cls) {
    if (edgeClass[k][i] === cls) return;
    var el = edgeEls[k][i];
    if (el) {
      if (edgeClass[k][i]) el.classList.remove(edgeClass[k][i]);
      if (cls) el.classList.add(cls);
    }
    edgeClass[k][i] = cls;
  }

  function showStep(step) {
    var total = D.steps.length;
    step = Math.max(0, Math.min(total, step | 0));
    state.step = step;
    var g = gradsAt(step);
    for (var k = 0; k < N; k++) {
      if (g[k] !== shownGrad[k] || shownGrad[k] === undefined) {
        var txt = g[k] === undefined ? "grad ?" : "grad " + crFmt(g[k], p());
        if (gradText[k]) {
          gradText[k].textContent = txt;
          gradText[k].classList.toggle("cr-unknown", g[k] === undefined);
        }
        if (nodeEls[k]) nodeEls[k].setAttribute("data-grad", g[k] === undefined ? "?" : crExact(g[k]));
        if (ui.gradCells[k]) ui.gradCells[k].textContent = g[k] === undefined ? "?" : crFmt(g[k], p());
        shownGrad[k] = g[k];
      }
    }
    for (var j = 0; j < total; j++) {
      var s = D.steps[j];
      setEdgeClass(s[0], s[1], j < step - 1 ? "cr-used" : j === step - 1 ? "cr-current" : "");
    }
    ui.slider.value = String(step);
    ui.counter.textContent = "step " + step + " / " + total;
    ui.first.disabled = ui.prev.disabled = step === 0;
    ui.last.disabled = ui.next.disabled = step === total;
    if (step === total && state.playing) pause();
    caption(step);
    if (options.page) document.body.setAttribute("data-step", String(step));
    root.setAttribute("data-step", String(step));
  }

  function caption(step) {
    var out = D.nodes[D.root].n;
    ui.caption.textContent = "";
    function line(text, cls) { ui.caption.appendChild(crEl("div", cls ? { "class": cls } : null, text)); }
    if (step === 0) {
      line("Forward pass done. The backward pass starts at the output with d " + out + " / d " + out + " = 1.");
      line("Press next (or \u2192) to apply the chain rule one edge at a time.", "cr-dim");
      return;
    }
    var s = D.steps[step - 1], node = D.nodes[s[0]], parent = D.nodes[node.p[s[1]]];
    var f = function (x) { return crFmt(x, p()); };
    line("step " + step + ": edge " + parent.n + " \u2192 " + node.n + " (" + node.op + ")", "cr-strong");
    line("upstream  d " + out + "/d " + node.n + " = " + f(s[2]));
    line("local     d " + node.n + "/d " + parent.n + " = " + f(node.l[s[1]]));
    line("upstream \u00d7 local = " + f(s[2]) + " \u00d7 " + f(node.l[s[1]]) + " = " + f(s[3]), "cr-strong");
    line(parent.n + ".grad is now " + f(s[4]));
  }

  function play() {
    if (state.step >= D.steps.length) showStep(0);
    ui.play.textContent = "\u23f8 pause";
    var rate = parseFloat(ui.speed.value) || 2;
    state.playing = setInterval(function () { showStep(state.step + 1); }, 1000 / rate);
  }
  function pause() {
    if (state.playing) clearInterval(state.playing);
    state.playing = null;
    ui.play.textContent = "\u25b6 play";
  }

  /* -- paths ----------------------------------------------------------------------------------- */
  function clearSelection() {
    svg.querySelectorAll(".cr-path, .cr-onpath, .cr-selected").forEach(function (el) {
      el.classList.remove("cr-path", "cr-onpath", "cr-selected");
    });
  }

  function select(k) {
    clearSelection();
    state.selected = k;
    ui.pathList.textContent = "";
    if (k < 0) {
      ui.pathInfo.textContent = "Click a value in the picture to see its paths to the output.";
      ui.pathSum.textContent = "";
      showNudge();
      return;
    }
    var reach = new Array(N).fill(false);
    reach[k] = true;
    var count = new Array(N).fill(0), sum = new Array(N).fill(0);
    count[k] = 1; sum[k] = 1;
    for (var n = k + 1; n < N; n++) {
      var node = D.nodes[n];
      if (!node.p) continue;
      for (var i = 0; i < node.p.length; i++) {
        var q = node.p[i];
        if (reach[q]) {
          reach[n] = true;
          count[n] += count[q];
          sum[n] += sum[q] * node.l[i];
          if (edgeEls[n][i]) edgeEls[n][i].classList.add("cr-path");
        }
      }
      if (reach[n]) {
        var opEl = byId("n" + n + "op"), outEl = byId("n" + n + "op_out");
        if (opEl) opEl.classList.add("cr-onpath");
        if (outEl) outEl.classList.add("cr-path");
      }
    }
    for (n = 0; n < N; n++) if (reach[n] && nodeEls[n]) nodeEls[n].classList.add("cr-onpath");
    if (nodeEls[k]) nodeEls[k].classList.add("cr-selected");
    var name = D.nodes[k].n, out = D.nodes[D.root].n, total = count[D.root];
    var f = function (x) { return crFmt(x, p()); };
    ui.pathInfo.textContent = total === 1 ? "1 path from " + name + " to " + out + ":"
      : total.toLocaleString("en-US") + " paths from " + name + " to " + out + " (product of the edge labels on each):";
    ui.pathBox.setAttribute("data-count", String(total));
    ui.pathBox.setAttribute("data-node", name);
    // the first paths, depth first; a linked list of steps keeps each step O(1)
    var stack = [[null, k, 1]], listed = 0;
    while (stack.length && listed < CR_MAX_LISTED_PATHS) {
      var link = stack.pop(), at = link[1];
      if (at === D.root) {
        var nodes = [], factors = [];
        for (var l = link; l; l = l[0]) { nodes.push(l[1]); factors.push(l[2]); }
        nodes.reverse(); factors.reverse(); factors.shift();
        var product = 1;
        factors.forEach(function (x) { product *= x; });
        var li = crEl("li", { "data-product": crExact(product) });
        li.appendChild(crEl("span", { "class": "cr-route" },
          nodes.map(function (m) { return D.nodes[m].n; }).join(" \u2192 ")));
        li.appendChild(crEl("span", { "class": "cr-factors" },
          (factors.length ? factors.map(f).join(" \u00d7 ") : "1") + " = " + f(product)));
        ui.pathList.appendChild(li);
        listed++;
        continue;
      }
      var us = users[at];
      for (var u = us.length - 1; u >= 0; u--) {
        if (reach[us[u][0]]) stack.push([link, us[u][0], D.nodes[us[u][0]].l[us[u][1]]]);
      }
    }
    ui.pathSum.textContent = "";
    if (total > listed) ui.pathSum.appendChild(crEl("div", null, "\u2026 and " + (total - listed).toLocaleString("en-US") + " more paths"));
    var line = crEl("div", { "class": "cr-strong", "data-sum": crExact(sum[D.root]), "data-grad": crExact(D.nodes[k].g) },
      "sum over " + total.toLocaleString("en-US") + (total === 1 ? " path" : " paths") + " = d " + out + "/d " + name +
      " = " + f(sum[D.root]) + "   (backward: " + f(D.nodes[k].g) + ")");
    ui.pathSum.appendChild(line);
    showNudge();
  }

  /* -- nudging: the whole forward pass again, in the browser ----------------------------------- */
  function forward(leaf, delta) {
    var v = new Array(N);
    for (var k = 0; k < N; k++) {
      var node = D.nodes[k];
      if (!node.p) { v[k] = node.v + (k === leaf ? delta : 0); continue; }
      var args = node.p.map(function (q) { return v[q]; });
      v[k] = crEvalOp(D.ops, node.key, args, node.c);
    }
    return v;
  }

  function setDataText(k, value) {
    if (shownData[k] === value) return;
    shownData[k] = value;
    var original = value === undefined;
    var x = original ? D.nodes[k].v : value;
    if (dataText[k]) {
      dataText[k].textContent = "data " + crFmt(x, p());
      dataText[k].classList.toggle("cr-nudged", !original && x !== D.nodes[k].v);
    }
    if (nodeEls[k]) nodeEls[k].setAttribute("data-value", crExact(x));
  }

  function clearNudge() {
    state.nudge = null;
    for (var k = 0; k < N; k++) setDataText(k, undefined);
    ui.nudgeResult.textContent = "";
    root.removeAttribute("data-nudged");
  }

  function showNudge() {
    var k = state.selected;
    var leaf = k >= 0 && !D.nodes[k].p;
    ui.delta.disabled = ui.reset.disabled = !(leaf && D.nudge.ok);
    if (!D.nudge.ok) {
      ui.nudgeInfo.textContent = "Nudging is off: " + D.nudge.reason + ".";
      clearNudge();
      return;
    }
    if (!leaf) {
      ui.nudgeInfo.textContent = "Select an input or a parameter (a leaf) to nudge it by \u0394.";
      clearNudge();
      return;
    }
    ui.nudgeInfo.textContent = "Change " + D.nodes[k].n + " by \u0394: every value is recomputed here, " +
      "and the output's change is compared with the prediction grad \u00d7 \u0394.";
    applyNudge();
  }

  function applyNudge() {
    var k = state.selected;
    var delta = parseFloat(ui.delta.value);
    if (k < 0 || D.nodes[k].p || !D.nudge.ok || !isFinite(delta)) { clearNudge(); return; }
    var v = forward(k, delta);
    for (var n = 0; n < N; n++) setDataText(n, v[n]);
    var out = D.nodes[D.root], name = D.nodes[k].n;
    var predicted = D.nodes[k].g * delta, actual = v[D.root] - out.v;
    var f = function (x) { return crFmt(x, p()); };
    ui.nudgeResult.textContent = "";
    ui.nudgeResult.setAttribute("data-leaf", name);
    ui.nudgeResult.setAttribute("data-delta", crExact(delta));
    ui.nudgeResult.setAttribute("data-predicted", crExact(predicted));
    ui.nudgeResult.setAttribute("data-actual", crExact(actual));
    ui.nudgeResult.setAttribute("data-new-output", crExact(v[D.root]));
    ui.nudgeResult.appendChild(crEl("div", null, name + ": " + f(D.nodes[k].v) + " \u2192 " + f(D.nodes[k].v + delta)));
    ui.nudgeResult.appendChild(crEl("div", null, out.n + ": " + f(out.v) + " \u2192 " + f(v[D.root])));
    ui.nudgeResult.appendChild(crEl("div", { "class": "cr-strong" },
      "predicted \u0394" + out.n + " = grad \u00d7 \u0394 = " + f(D.nodes[k].g) + " \u00d7 " + f(delta) + " = " + f(predicted)));
    ui.nudgeResult.appendChild(crEl("div", { "class": "cr-strong" }, "actual \u0394" + out.n + " = " + f(actual)));
    root.setAttribute("data-nudged", name);
    state.nudge = { leaf: k, delta: delta };
  }

  /* -- links ------------------------------------------------------------------------------------- */
  function nodeByName(name) {
    for (var k = 0; k < N; k++) if (D.nodes[k].n === name) return k;
    return -1;
  }

  function readHash() {
    var hash = location.hash.replace(/^#/, "");
    if (!hash) return;
    hash.split("&").forEach(function (part) {
      var eq = part.indexOf("="), key = part.slice(0, eq), value;
      try { value = decodeURIComponent(part.slice(eq + 1)); } catch (e) { return; }
      if (key === "step") showStep(value === "end" ? D.steps.length : parseInt(value, 10) || 0);
      else if (key === "node") select(nodeByName(value));
    });
  }

  /* -- events -------------------------------------------------------------------------------------- */
  function wire() {
    ui.first.addEventListener("click", function () { pause(); showStep(0); });
    ui.prev.addEventListener("click", function () { pause(); showStep(state.step - 1); });
    ui.next.addEventListener("click", function () { pause(); showStep(state.step + 1); });
    ui.last.addEventListener("click", function () { pause(); showStep(D.steps.length); });
    ui.play.addEventListener("click", function () { if (state.playing) pause(); else play(); });
    ui.speed.addEventListener("change", function () { if (state.playing) { pause(); play(); } });
    ui.slider.addEventListener("input", function () { pause(); showStep(parseInt(ui.slider.value, 10)); });
    ui.delta.addEventListener("input", applyNudge);
    ui.reset.addEventListener("click", function () { ui.delta.value = "0"; applyNudge(); });
    svg.addEventListener("click", function (e) {
      var g = e.target.closest ? e.target.closest("g.cr-value") : null;
      if (!g || !svg.contains(g)) return;
      var k = parseInt(g.getAttribute("data-index"), 10);
      select(k === state.selected ? -1 : k);
    });
    svg.addEventListener("keydown", function (e) {
      var g = e.target.closest ? e.target.closest("g.cr-value") : null;
      if (g && (e.key === "Enter" || e.key === " ")) {
        select(parseInt(g.getAttribute("data-index"), 10));
        e.preventDefault();
        e.stopPropagation();
      }
    });
    var keyTarget = options.page ? document : root;
    if (!options.page && !root.hasAttribute("tabindex")) root.setAttribute("tabindex", "0");
    keyTarget.addEventListener("keydown", function (e) {
      var tag = e.target && e.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
      if (e.key === "ArrowRight") { pause(); showStep(state.step + 1); }
      else if (e.key === "ArrowLeft") { pause(); showStep(state.step - 1); }
      else if (e.key === "Home") { pause(); showStep(0); }
      else if (e.key === "End") { pause(); showStep(D.steps.length); }
      else if (e.key === " " && tag !== "BUTTON") { if (state.playing) pause(); else play(); }
      else return;
      e.preventDefault();
    });
    if (options.page) window.addEventListener("hashchange", readHash);
  }

  load(data);
  findElements();
  buildControls();
  buildLegend();
  fitPicture();
  buildGradTable();
  wire();
  if (!D.nudge.ok) ui.nudgeInfo.textContent = "Nudging is off: " + D.nudge.reason + ".";
  showStep(0);
  select(-1);
  if (options.page) readHash();

  return {
    showStep: showStep,
    select: function (name) { select(nodeByName(name)); },
    /* New data for a graph of the same shape (a training step): the layout stays, numbers change. */
    update: function (newData) {
      var selected = state.selected, step = state.step, nudge = state.nudge;
      pause();
      load(newData);
      findElements();
      ui.slider.max = String(D.steps.length);
      buildGradTable();
      for (var k = 0; k < N; k++) setDataText(k, undefined);
      showStep(Math.min(step, D.steps.length));
      select(selected);
      if (nudge) applyNudge();
    },
    state: state
  };
}
