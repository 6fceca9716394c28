/* chainrule explorer: the backward pass of a graph at every scale, from the whole model down to one edge.
 *
 * The data (JSON, see autograd/drawing/explorer/data.py) holds the values in topological order, their
 * parents, local derivatives and ops, and the graph's boxes (modules, examples, scopes, chunks). The page
 * replays the backward pass itself, and lays out only what is expanded: each view is a Graphviz layout
 * (WebAssembly, crGraphviz) of the expanded boxes' values and the collapsed boxes inside them, cached per
 * view, never larger than data.maxNodes drawn nodes (expanding more collapses other boxes first).
 *
 * In a view, value k is <g id="n<k>">, its op <g id="n<k>op">, the edge from its parent i <g id="e<k>_<i>">,
 * a collapsed box b <g id="b<b>">, an expanded one the cluster <g id="c<b>">, the edge from value x into a
 * collapsed box b <g id="x<x>_<b>">.
 *
 * User strings only ever become text (textContent), never markup: Graphviz's SVG is parsed as XML, stripped
 * to the drawing elements it needs, and every label in it is rewritten from the data. Nothing evaluates
 * code: op formulas are expression trees interpreted by crEvalTree.
 */
"use strict";

var CR_MAX_LISTED_PATHS = 20;
var CR_MAX_TABLE_ROWS = 400;
var CR_MAX_LISTED_LEAVES = 40;  // the leaves a clicked proxy lists
var CR_NAME_CHARS = 22;       // longer names are cut (the whole name on hover)
var CR_MIN_TEXT_PX = 10;      // the focused part of a view is never shown with text smaller than this
var CR_SMALLEST_FONT = 11;    // the smallest font size in a view (ops, edge labels; see buildDot)
var CR_MARGIN = 16;           // px kept free around what the view is made to show
var CR_MAX_FIT_SCALE = 1.5;   // "fit" never blows a small picture up further
var CR_MAX_FOCUS_SCALE = 1.4; // nor does zooming to an expanded box
var CR_FIELD_PADDING = 14;    // px around the widest text of a record node
var CR_OPEN_WHOLE = 60;       // a graph with modules or scopes opens whole up to this many drawn nodes
var CR_MOVE_MS = 260;         // an animated move of the view (following a step, fit, zoom buttons)
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

/* a and b equal but for rounding (autograd.drawing.explorer.data.same_up_to_rounding): a recomputed forward
 * pass may add a dot's terms in another order than the engine did. */
function crSameUpToRounding(a, b, relative, absolute) {
  if (a === b || (a !== a && b !== b)) return true;
  if (!isFinite(a) || !isFinite(b)) return false;
  return Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)) + absolute;
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

/* -- text -------------------------------------------------------------------------------------------- */

function crEl(tag, attrs, text) {
  var el = document.createElement(tag);
  if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) el.setAttribute(k, attrs[k]);
  if (text !== undefined) el.textContent = text;
  return el;
}

/* The width in px of `text` in the picture's font at `size` px (a canvas measures it as the page will draw it). */
var crMeasure = null;
function crTextWidth(text, size) {
  if (crMeasure === null) {
    var canvas = document.createElement("canvas");
    crMeasure = (canvas.getContext && canvas.getContext("2d")) || false;
  }
  if (!crMeasure) return Array.from(text).length * size * 0.62;  // no canvas: a generous estimate
  crMeasure.font = size + "px Helvetica, Arial, sans-serif";
  return crMeasure.measureText(text).width;
}

/* `text` cut to `max` characters (counting code points) with an ellipsis. */
function crCut(text, max) {
  var chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - 1).join("") + "\u2026";
}

/* A DOT string literal whose text Graphviz shows as `text` (sized right; the page rewrites it anyway). */
function crDotString(text, record) {
  var s = String(text).replace(/[\x00-\x1f\x7f]/g, "?").replace(/\\/g, "\\\\").replace(/"/g, "\\\"")
    .replace(/&/g, "&amp;");
  if (record) s = s.replace(/([{}|<>])/g, "\\$1");
  return "\"" + s + "\"";
}

/* An op formula (a tree from autograd.ops.table_json) as text; `env` maps names to numbers to put in. */
var CR_PRECEDENCE = { "+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4 };
function crFormula(t, env, fmt) {
  function go(t, outer) {
    var op = t[0], s, prec = CR_PRECEDENCE[op] || 5;
    switch (op) {
      case "num": s = crFmt(crNum(t[1]), 6); break;
      case "var":
        s = env && Object.prototype.hasOwnProperty.call(env, t[1]) ? fmt(env[t[1]]) : t[1];
        if (env && env[t[1]] < 0) prec = 3;  // a negative number in a product needs brackets
        break;
      case "neg": s = "-" + go(t[1], 3); break;
      case "call": s = t[1] + "(" + t.slice(2).map(function (a) { return go(a, 0); }).join(", ") + ")"; break;
      default:
        s = go(t[1], prec) + " " + op + " " + go(t[2], op === "-" || op === "/" || op === "**" ? prec + 1 : prec);
    }
    return prec < outer ? "(" + s + ")" : s;
  }
  return go(t, 0);
}

/* Local derivative formulas of the ops the table describes in prose (any number of inputs). */
function crNaryDerivative(key, i, consts) {
  switch (key) {
    case "sum": return "1";
    case "dot":
      var pairs = consts ? crNum(consts[1]) : 0;
      if (i < 2 * pairs) return "p" + (i % 2 ? i - 1 : i + 1) + " (the other factor of its product)";
      return "its coefficient";
    case "max": return "1 for the first largest input, else 0";
    case "logsumexp": return "exp(p" + i + " - out) (the softmax)";
  }
  return "";
}

var CR_NARY_FORWARD = {
  sum: "c + p0 + p1 + ...", dot: "c + p0*p1 + p2*p3 + ... (+ coefficient * input ...)",
  max: "the largest input", logsumexp: "log(exp(p0) + exp(p1) + ...)"
};

/* -- Graphviz ---------------------------------------------------------------------------------------- */

var crGraphvizLoading = null;
function crLoadGraphviz() {
  if (!crGraphvizLoading) crGraphvizLoading = crGraphviz.load();
  return crGraphvizLoading;
}

var CR_SVG_TAGS = { svg: 1, g: 1, title: 1, polygon: 1, path: 1, ellipse: 1, text: 1, polyline: 1 };

/* Graphviz's SVG as a clean element: only drawing elements, no event handler or link attributes. */
function crParsePicture(text) {
  var doc = new DOMParser().parseFromString(text, "image/svg+xml");
  var svg = doc.documentElement;
  if (!svg || svg.nodeName !== "svg") throw new Error("Graphviz did not return an SVG picture");
  var all = svg.querySelectorAll("*");
  for (var j = all.length - 1; j >= 0; j--) {
    var el = all[j];
    if (!CR_SVG_TAGS[el.nodeName]) { el.parentNode.removeChild(el); continue; }
    for (var a = el.attributes.length - 1; a >= 0; a--) {
      var name = el.attributes[a].name.toLowerCase();
      if (name.indexOf("on") === 0 || name.indexOf("href") >= 0) el.removeAttribute(el.attributes[a].name);
    }
  }
  return document.importNode(svg, true);
}

/* -- the explorer -------------------------------------------------------------------------------------- */

/* Mount the explorer in `root` (an element holding an empty element of class cr-graph).
 * options: {page: true} on a standalone page (URL fragment, keys on the whole document, data-step on <body>),
 *          {idPrefix: "..."} to keep ids unique when several explorers share a document,
 *          {title: true} to show the data's title (the widget). */
function crMount(root, data, options) {
  options = options || {};
  var prefix = options.idPrefix || "";
  var graph = root.querySelector(".cr-graph");
  var state = { step: 0, selected: -1, playing: null, nudge: null, expanded: {}, sort: ["made", 1], view: null,
                crumbBox: -1 };  // crumbBox: the box last expanded or collapsed into, while nothing else is in focus
  var D, N, P, L, users, stepStart, nSteps, stepNode, stepIdx, stepUp, stepContrib, stepAfter, stepBefore;
  var finalGrad, values, boxParent, boxChildren, boxNodes, boxDepth, boxEnd, boxLast, boxInfos, opTable, flowColor;
  var boxLeafOnly, boxLeafRoles;
  var ui = {};
  var pic = null;  // the view on screen: {svg, el: {id: element}, repBox, visible, edges: [...], key}
  var layouts = {};  // view key -> SVG text
  var pending = null;

  function p() { return D.precision; }
  function f(x) { return crFmt(x, p()); }
  function name(k) { return D.n[k]; }

  /* -- data in -------------------------------------------------------------------------------------- */
  function load(newData) {
    D = newData;
    N = D.n.length;
    P = D.p;
    L = D.l.map(function (ls) { return ls.map(crNum); });
    values = D.v.map(crNum);
    opTable = {};
    D.ops.forEach(function (row) { if (row.key) opTable[row.key] = row; });
    users = [];
    var k, i;
    for (k = 0; k < N; k++) users.push([]);
    for (k = 0; k < N; k++) for (i = 0; i < P[k].length; i++) users[P[k][i]].push([k, i]);
    // the backward pass, as autograd.graph.chain_rule_steps runs it: values N-1 .. 0, parents in order
    nSteps = 0;
    stepStart = new Int32Array(N);
    for (k = N - 1; k >= 0; k--) { stepStart[k] = nSteps; nSteps += P[k].length; }
    stepNode = new Int32Array(nSteps); stepIdx = new Int32Array(nSteps);
    stepUp = new Float64Array(nSteps); stepContrib = new Float64Array(nSteps);
    stepAfter = new Float64Array(nSteps); stepBefore = new Float64Array(nSteps);
    finalGrad = new Float64Array(N);
    var seen = new Uint8Array(N);
    finalGrad[D.root] = 1; seen[D.root] = 1;
    var j = 0;
    for (k = N - 1; k >= 0; k--) {
      var g = finalGrad[k];
      if (Object.prototype.hasOwnProperty.call(D.u, String(k))) g = finalGrad[k] = crNum(D.u[String(k)]);
      for (i = 0; i < P[k].length; i++, j++) {
        var q = P[k][i], contribution = L[k][i] * g;
        stepNode[j] = k; stepIdx[j] = i; stepUp[j] = g; stepContrib[j] = contribution;
        stepBefore[j] = finalGrad[q];
        finalGrad[q] = finalGrad[q] + contribution;
        seen[q] = 1;
        stepAfter[j] = finalGrad[q];
      }
    }
    // boxes: preorder rows; the direct values of each, its children, its depth
    var B = D.boxes.length;
    boxParent = D.boxes.map(function (b) { return b.parent; });
    boxChildren = D.boxes.map(function () { return []; });
    boxNodes = D.boxes.map(function () { return []; });
    boxDepth = new Int32Array(B);
    for (var b = 1; b < B; b++) { boxChildren[boxParent[b]].push(b); boxDepth[b] = boxDepth[boxParent[b]] + 1; }
    for (k = 0; k < N; k++) boxNodes[D.box[k]].push(k);
    // boxes are in preorder: box b and its descendants are b .. boxEnd[b] - 1; boxLast: its last value
    boxEnd = new Int32Array(B); boxLast = new Int32Array(B);
    for (b = B - 1; b >= 0; b--) {
      boxEnd[b] = boxChildren[b].length ? boxEnd[boxChildren[b][boxChildren[b].length - 1]] : b + 1;
      var last = boxNodes[b].length ? boxNodes[b][boxNodes[b].length - 1] : -1;
      boxChildren[b].forEach(function (c) { if (boxLast[c] > last) last = boxLast[c]; });
      boxLast[b] = last;
    }
    // boxes of leaves only (a model's parameters box and its parts), and which roles their leaves have
    boxLeafOnly = new Uint8Array(B);
    boxLeafRoles = D.boxes.map(function () { return ""; });
    for (b = B - 1; b >= 0; b--) {
      var only = true, roles = "";
      boxNodes[b].forEach(function (k) {
        if (P[k].length) only = false;
        else if (roles.indexOf(D.r[k]) < 0) roles += D.r[k];
      });
      boxChildren[b].forEach(function (c) {
        if (!boxLeafOnly[c]) only = false;
        for (var j = 0; j < boxLeafRoles[c].length; j++) if (roles.indexOf(boxLeafRoles[c][j]) < 0) roles += boxLeafRoles[c][j];
      });
      boxLeafOnly[b] = only && b > 0 ? 1 : 0;
      boxLeafRoles[b] = roles.split("").sort().join("");
    }
    boxInfos = {};
    flowColor = boxColors();
  }

  /* Module boxes coloured by the mean |dL/dw| of their parameters, on a log scale relative to the largest
   * module at the same depth (nn.health's rule): pale below `vanishing` times it, red for non-finite sizes
   * or above `exploding` times the last (output) module's at that depth. */
  function boxColors() {
    var largest = {}, last = {}, colors = {};
    D.boxes.forEach(function (b, j) {
      if (b.gs === undefined) return;
      var gs = crNum(b.gs), d = boxDepth[j];
      if (isFinite(gs) && (largest[d] === undefined || gs > largest[d])) largest[d] = gs;
      var outAt = boxLast[j];
      if (last[d] === undefined || outAt >= last[d][0]) last[d] = [outAt, gs];
    });
    D.boxes.forEach(function (b, j) {
      if (b.gs === undefined) return;
      var gs = crNum(b.gs), d = boxDepth[j], top = largest[d];
      var ref = last[d] ? last[d][1] : top;
      if (!isFinite(gs) || (ref > 0 && gs > D.flow.exploding * ref)) { colors[j] = ["#f4a6a0", "exploding"]; return; }
      if (!(top > 0) || gs < D.flow.vanishing * top) { colors[j] = ["#eeeeee", "vanishing"]; return; }
      var t = 1 + Math.log10(gs / top) / Math.log10(1 / D.flow.vanishing);  // 0 .. 1
      var light = Math.round(92 - 40 * t);
      colors[j] = ["hsl(265, 55%, " + light + "%)", t > 0.67 ? "strong" : t > 0.33 ? "medium" : "weak"];
    });
    return colors;
  }

  /* A box's inputs (values outside it that feed it, in order of first use), outputs (values used outside it,
   * or the root) and, with one output, d output / d input for each input: a backward pass inside the box, as
   * autograd.hierarchy.box_derivatives runs it (the same float operations in the same order). Computed for
   * the boxes a view draws, once per box. */
  function boxInfo(b) {
    if (boxInfos[b]) return boxInfos[b];
    var lo = b, hi = boxEnd[b], members = [], k, i;
    function inside(k) { var x = D.box[k]; return x >= lo && x < hi; }
    for (var c = lo; c < hi; c++) boxNodes[c].forEach(function (k) { members.push(k); });
    members.sort(function (x, y) { return x - y; });
    var inputs = [], seenIn = {}, outs = [];
    members.forEach(function (k) {
      P[k].forEach(function (q) { if (!inside(q) && !seenIn[q]) { seenIn[q] = true; inputs.push(q); } });
      if (k === D.root || users[k].some(function (u) { return !inside(u[0]); })) outs.push(k);
    });
    var d = null;
    if (outs.length === 1 && b > 0) {
      var acc = {}, outside = {};
      acc[outs[0]] = 1;
      for (var j = members.length - 1; j >= 0; j--) {
        k = members[j];
        if (!Object.prototype.hasOwnProperty.call(acc, k)) continue;
        var g = acc[k];
        for (i = 0; i < P[k].length; i++) {
          var q = P[k][i], term = L[k][i] * g;
          if (inside(q)) acc[q] = (acc[q] || 0) + term;
          else outside[q] = (outside[q] || 0) + term;
        }
      }
      d = {};
      inputs.forEach(function (q) { d[q] = outside[q] || 0; });
    }
    boxInfos[b] = { "in": inputs, out: outs, d: d };
    return boxInfos[b];
  }

  /* -- forward pass (nudges, and the check that the values are current) ------------------------------- */
  function forward(leaf, delta) {
    var v = new Float64Array(N);
    for (var k = 0; k < N; k++) {
      if (!P[k].length) { v[k] = values[k] + (k === leaf ? delta : 0); continue; }
      var row = D.ops[D.o[k]];
      v[k] = crEvalOp(opTable, row.key, P[k].map(function (q) { return v[q]; }), D.c[String(k)]);
    }
    return v;
  }

  function staleMessage() {
    if (!D.nudge.ok) return D.stale;
    var v = forward(-1, 0), wrong = [], tol = D.staleTolerance || [0, 0];
    for (var k = 0; k < N && wrong.length < 3; k++) {
      if (!crSameUpToRounding(v[k], values[k], tol[0], tol[1])) {
        var shown = f(v[k]), stored = f(values[k]);
        if (shown === stored) { shown = crExact(v[k]); stored = crExact(values[k]); }  // past the shown digits
        wrong.push(name(k) + " = " + shown + ", not " + stored);
      }
    }
    if (!wrong.length) return "";
    return "The leaves changed after this graph was computed: a forward pass from them gives " + wrong.join("; ") +
      ". The values, local derivatives and gradients shown are the old ones: run the forward pass again " +
      "(and backward()) for a current picture.";
  }

  /* -- what a view shows ------------------------------------------------------------------------------- */
  /* For each box: -1 when it and its ancestors are expanded, else the outermost collapsed box above it. */
  function collapsedAbove(expanded) {
    var B = D.boxes.length, rep = new Int32Array(B);
    rep[0] = -1;
    for (var b = 1; b < B; b++) {
      var up = rep[boxParent[b]];
      rep[b] = up !== -1 ? up : (expanded[b] ? -1 : b);
    }
    return rep;
  }

  /* Drawn nodes of the view: values and their ops, and collapsed boxes. */
  function viewSize(expanded) {
    var rep = collapsedAbove(expanded), count = 0;
    for (var b = 0; b < D.boxes.length; b++) {
      if (rep[b] === -1) boxNodes[b].forEach(function (k) { count += P[k].length ? 2 : 1; });
      else if (rep[b] === b) count += 1;
    }
    return count;
  }

  function repOf(rep, k) {  // a value's representative: k (drawn) or ~b (inside collapsed box b)
    var b = rep[D.box[k]];
    return b === -1 ? k : ~b;
  }
  function repId(r) { return r >= 0 ? "n" + r : "b" + (~r); }

  /* A record label whose fields are stacked (name over data over grad): narrow nodes, so that a neuron's graph
   * fits a window's width at a legible scale. A record's top-level fields run across the ranks' direction in
   * LR/RL and along it in TB/BT, hence the braces there. */
  function recordLabel(fields) {
    var body = fields.map(function (t) { return crDotString(t, true).slice(1, -1); }).join(" | ");
    var dir = D.rankdir || "LR";
    return dir === "LR" || dir === "RL" ? body : "{ " + body + " }";
  }

  /* The widest number a label may show at this precision ("-8.888e-88"), so that no later number (a step's
   * gradient, a nudge, a widget update) overflows the node it was laid out with. */
  function widestNumber() { return "-8." + new Array(p()).join("8") + "e-88"; }

  /* A record's width (inches, Graphviz's unit: 72 px) for fields shown in the page's own font: Graphviz
   * measures text with its own metrics, which are narrower than most fonts a browser falls back to. */
  function recordWidth(fields, size) {
    var widest = 0;
    for (var j = 0; j < fields.length; j++) widest = Math.max(widest, crTextWidth(fields[j], size));
    return ((widest + CR_FIELD_PADDING) / 72).toFixed(3);
  }

  function valueLabel(k) {
    return recordLabel([crCut(name(k), CR_NAME_CHARS), "data " + f(values[k]), "grad " + f(finalGrad[k])]);
  }
  function valueWidth(k) {
    return recordWidth([crCut(name(k), CR_NAME_CHARS), "data " + widestNumber(), "grad " + widestNumber()], 12);
  }

  function boxTitle(b) {
    var row = D.boxes[b];
    return "\u25b8 " + crCut(row.name, CR_NAME_CHARS) + "  (" + row.count.toLocaleString("en-US") + " values)";
  }

  /* What a box of leaves only holds ("337 parameters", "64 inputs", "5 leaves"). */
  function leavesText(b, count) {
    var kinds = boxLeafRoles[b], word = kinds === "p" ? "parameter" : kinds === "i" ? "input" :
      kinds === "c" ? "constant" : "lea";
    return count.toLocaleString("en-US") + " " + word + (count === 1 ? (word === "lea" ? "f" : "") :
      (word === "lea" ? "ves" : "s"));
  }

  /* The fields of a collapsed box's node: its name and size, its output's data and gradient (the gradient so
   * far with `grads`, else the final one) and its parameters' gradient size. `compact` (a box beside an
   * expanded sibling, context for it): the name and the gradient only. */
  function boxFields(b, grads, compact) {
    var row = D.boxes[b], info = boxInfo(b), fields = [boxTitle(b)];
    function grad(o) { return "grad " + (grads && grads.known[o] ? f(grads.g[o]) : grads ? "?" : f(finalGrad[o])); }
    if (compact) {
      fields[0] = "\u25b8 " + crCut(row.name, CR_NAME_CHARS);
      fields.push(boxLeafOnly[b] ? leavesText(b, row.count) : info.out.length === 1 ? grad(info.out[0]) :
        info.out.length + " outputs");
      return fields;
    }
    if (boxLeafOnly[b]) {
      fields.push(leavesText(b, row.count));
    } else if (info.out.length === 1) {
      var o = info.out[0];
      fields.push("out " + crCut(name(o), 14) + ": data " + f(values[o]));
      fields.push(grad(o));
    } else {
      fields.push(info.out.length + " outputs");
    }
    if (row.gs !== undefined) {
      fields.push("params mean |grad| " + f(crNum(row.gs)) + (flowColor[b] ? " (" + flowColor[b][1] + ")" : ""));
    }
    return fields;
  }
  function boxWidth(b, compact) {
    var fields = boxFields(b, null, compact), info = boxInfo(b);
    if (!boxLeafOnly[b] && info.out.length === 1) {
      if (compact) fields[1] = "grad " + widestNumber();
      else {
        fields[1] = "out " + crCut(name(info.out[0]), 14) + ": data " + widestNumber();
        fields[2] = "grad " + widestNumber();
      }
    }
    return recordWidth(fields, 12);
  }

  /* The smallest box holding every value of `qs` (their lowest common ancestor in the box tree). */
  function commonBox(qs) {
    var a = D.box[qs[0]];
    for (var j = 1; j < qs.length; j++) {
      var b = D.box[qs[j]];
      while (boxDepth[a] > boxDepth[b]) a = boxParent[a];
      while (boxDepth[b] > boxDepth[a]) b = boxParent[b];
      while (a !== b) { a = boxParent[a]; b = boxParent[b]; }
    }
    return a;
  }

  /* The DOT of a view. Edges from a collapsed box into a drawn op are bundled into one edge per (box, op); edges
   * into a collapsed box into one per (source, box); one input carries d output / d input. A collapsed box of
   * leaves only (a model's parameters, shared by every example) that feeds into an expanded box it is not part of
   * is drawn again beside each target inside that box, as a small proxy node: otherwise one box would pull an
   * edge across the picture into every neuron. */
  function buildDot(rep) {
    var edges = [], edgeLines = [], proxies = {}, compact = {};
    // a collapsed box beside an expanded sibling is context for it: drawn small (its name and gradient)
    for (var c0 = 1; c0 < D.boxes.length; c0++) {
      if (rep[c0] === -1 && c0 > 0) boxChildren[boxParent[c0]].forEach(function (c) { if (rep[c] === c) compact[c] = true; });
    }
    var font = "fontname=\"Helvetica,Arial,sans-serif\"";
    var lines = ["digraph G {", "rankdir=" + (D.rankdir || "LR") + "; nodesep=0.25; ranksep=0.35;",
      "graph [" + font + ", fontsize=12];", "node [" + font + ", fontsize=12];",
      "edge [" + font + ", fontsize=" + CR_SMALLEST_FONT + ", color=\"#555555\", arrowsize=0.7];"];
    var colors = { i: "#bcd7f5", p: "#ffd9a0", c: "#e2e2e2", v: "#ffffff", o: "#b7e4b0" };
    /* The node an edge from representative `src` into target `target` (in expanded box `within`) starts at. */
    function source(src, target, within, qs, usedBy) {
      if (src >= 0) return repId(src);
      var s = ~src;
      if (!boxLeafOnly[s] || within === 0 || (within <= s && s < boxEnd[within])) return repId(src);
      var id = "q" + s + "_" + target, shows = commonBox(qs);
      var fields = ["from " + crCut(D.boxes[s].name, CR_NAME_CHARS), leavesText(s, qs.length)];
      var fill = boxLeafRoles[s].length === 1 ? colors[boxLeafRoles[s]] : "#e6dcf5";
      (proxies[within] = proxies[within] || []).push(id + " [id=\"" + id + "\", shape=record, " +
        "style=\"rounded,filled,dashed\", color=\"#8064a2\", fillcolor=\"" + fill + "\", fontsize=" +
        CR_SMALLEST_FONT + ", width=" + recordWidth(fields, CR_SMALLEST_FONT) + ", label=\"" +
        recordLabel(fields) + "\"];");
      proxyNodes.push({ id: id, source: s, shows: shows, count: qs.length, within: within, qs: qs, usedBy: usedBy });
      return id;
    }
    var proxyNodes = [];
    // edges into drawn ops: one per chain-rule step from a drawn value; from a collapsed box, one per box
    // (a sum over 1,500 examples would otherwise get 1,500 edges)
    var aliases = {}, bundles = {}, bundleKeys = [];
    for (var b = 0; b < D.boxes.length; b++) {
      if (rep[b] !== -1) continue;
      boxNodes[b].forEach(function (k) {
        P[k].forEach(function (q, i) {
          var id = "e" + k + "_" + i, src = repOf(rep, q);
          if (src < 0) {
            var key = src + ">n" + k;
            if (!bundles[key]) {
              bundles[key] = { id: id, src: src, k: k, locals: [], steps: [], qs: [], seen: {} };
              bundleKeys.push(key);
            }
            var bundle = bundles[key];
            bundle.locals.push(i);
            bundle.steps.push(stepStart[k] + i);
            if (!bundle.seen[q]) { bundle.seen[q] = true; bundle.qs.push(q); }
            aliases[id] = bundle.id;
            return;
          }
          edges.push({ id: id, steps: [stepStart[k] + i], head: "n" + k + "op" });
          edgeLines.push(repId(src) + " -> n" + k + "op [id=\"" + id + "\"" +
            (D.edgeLabels ? ", label=\"" + f(L[k][i]) + "\"" : "") + "];");
        });
      });
    }
    // bundled edges: a count as label ("16 values"), unless the edge starts at a proxy (which says it) or its
    // source sends counts to many targets (a layer feeding 16 neurons: sixteen equal labels crowd the picture;
    // the source's node says how many outputs it has, and each edge's tooltip says its count)
    var bundled = [], counted = {};
    function bundle(from, to, id, count, word, title, derivative) {
      var spec = { from: from, to: to, id: id, count: count > 1 ? count + " " + word : "", derivative: derivative };
      if (spec.count && from.charAt(0) !== "q") counted[from] = (counted[from] || 0) + 1;
      bundled.push(spec);
      return title + (count > 1 ? " (" + count + " " + word + ")" : "");
    }
    bundleKeys.forEach(function (key) {
      var e = bundles[key], from = source(e.src, "n" + e.k + "op", D.box[e.k], e.qs, name(e.k));
      var title = bundle(from, "n" + e.k + "op", e.id, e.locals.length, "edges",
        "from \u201c" + D.boxes[~e.src].name + "\u201d into " + name(e.k),
        e.locals.length === 1 && D.edgeLabels ? f(L[e.k][e.locals[0]]) : "");
      edges.push({ id: e.id, steps: e.steps, title: title, head: "n" + e.k + "op" });
    });
    // edges into collapsed boxes: one per drawn source (one pass over every edge)
    var into = {}, keys = [];
    for (var k = 0; k < N; k++) {
      var r = repOf(rep, k);
      if (r >= 0) continue;
      for (var i = 0; i < P[k].length; i++) {
        var q = P[k][i], rq = repOf(rep, q);
        if (rq === r) continue;
        var key = rq + ">" + (~r);
        if (!into[key]) { into[key] = { src: rq, box: ~r, inputs: [], seen: {}, steps: [] }; keys.push(key); }
        var e = into[key];
        if (!e.seen[q]) { e.seen[q] = true; e.inputs.push(q); }
        e.steps.push(stepStart[k] + i);
      }
    }
    keys.forEach(function (key) {
      var e = into[key], c = e.box, id = "x" + e.inputs[0] + "_" + c, d = boxInfo(c).d;
      var from = source(e.src, "b" + c, boxParent[c], e.inputs, "\u201c" + D.boxes[c].name + "\u201d");
      var title = bundle(from, "b" + c, id, compact[c] ? 0 : e.inputs.length, "values",
        "from " + (e.src >= 0 ? name(e.src) : "\u201c" + D.boxes[~e.src].name + "\u201d") + " into \u201c" +
        D.boxes[c].name + "\u201d", D.edgeLabels && e.inputs.length === 1 && d ? f(d[e.inputs[0]]) : "");
      edges.push({ id: id, steps: e.steps, inputs: e.inputs, box: c, key: key, title: title, head: "b" + c });
    });
    bundled.forEach(function (e) {
      var label = e.derivative ? ", label=\"" + e.derivative + "\"" :
        e.count && e.from.charAt(0) !== "q" && counted[e.from] <= 2 ? ", label=\"" + e.count + "\", fontcolor=\"#666666\"" : "";
      // a proxy sits beside its target: a heavy, short edge
      var weight = e.from.charAt(0) === "q" ? ", weight=8" : "";
      edgeLines.push(e.from + " -> " + e.to + " [id=\"" + e.id + "\", style=bold" + weight + label + "];");
    });
    function emitBox(b, indent) {
      boxNodes[b].forEach(function (k) {
        lines.push(indent + "n" + k + " [id=\"n" + k + "\", shape=record, style=filled, fillcolor=\"" +
          colors[D.r[k]] + "\", width=" + valueWidth(k) + ", label=\"" + valueLabel(k) + "\"];");
        if (P[k].length) {
          var sym = crCut(D.ops[D.o[k]].symbol, 10);
          lines.push(indent + "n" + k + "op [id=\"n" + k + "op\", shape=ellipse, style=filled, fillcolor=\"#f3f3f3\"," +
            " fontsize=" + CR_SMALLEST_FONT + ", height=0.3, label=" + crDotString(sym) + "];");
          lines.push(indent + "n" + k + "op -> n" + k + " [id=\"n" + k + "op_out\"];");
        }
      });
      (proxies[b] || []).forEach(function (line) { lines.push(indent + line); });
      boxChildren[b].forEach(function (c) {
        if (rep[c] === -1) {
          lines.push(indent + "subgraph cluster_" + c + " {");
          lines.push(indent + "  id=\"c" + c + "\"; label=" + crDotString("\u25be " + crCut(D.boxes[c].name, 40)) +
            "; style=\"rounded,dashed\"; color=\"#8064a2\"; fontcolor=\"#5b3f8c\"; margin=10;");
          emitBox(c, indent + "  ");
          lines.push(indent + "}");
        } else {
          var fill = flowColor[c] ? flowColor[c][0] : "#e6dcf5";
          lines.push(indent + "b" + c + " [id=\"b" + c + "\", shape=record, style=\"rounded,filled,bold\", " +
            "color=\"#5b3f8c\", fillcolor=\"" + fill + "\", width=" + boxWidth(c, compact[c]) + ", label=\"" +
            recordLabel(boxFields(c, null, compact[c])) + "\"];");
        }
      });
    }
    emitBox(0, "");
    lines.push.apply(lines, edgeLines);
    lines.push("}");
    // many edges (shared parameters feeding every example): Graphviz's crossing minimisation dominates;
    // fewer passes and straight edges lay out a 65-node, 875-edge view in 1.1 s instead of 4.3 s
    if (edges.length > 250) lines[1] += " mclimit=0.1; splines=line;";
    return { dot: lines.join("\n"), edges: edges, aliases: aliases, proxies: proxyNodes, compact: compact };
  }

  /* -- showing a view ---------------------------------------------------------------------------------- */
  function viewKey(expanded) {
    return Object.keys(expanded).filter(function (b) { return expanded[b]; }).sort().join(",");
  }

  function render() {
    var expanded = state.expanded, key = viewKey(expanded), t0 = Date.now();
    var rep = collapsedAbove(expanded);
    var built = buildDot(rep);
    var token = pending = {}, t1 = Date.now();
    return crLoadGraphviz().then(function (gv) {
      if (pending !== token) return;  // a later view was asked for meanwhile
      var t2 = Date.now();
      if (!Object.prototype.hasOwnProperty.call(layouts, key)) layouts[key] = gv.dot(built.dot);
      var t3 = Date.now();
      mountPicture(layouts[key], rep, built, key);
      // where a view's time goes (milliseconds): building its DOT, Graphviz's layout, showing it
      graph.setAttribute("data-timing", "dot " + (t1 - t0) + ", layout " + (t3 - t2) + ", show " + (Date.now() - t3));
    }).catch(function (err) {
      status("The layout failed: " + (err && err.message ? err.message : String(err)), true);
    });
  }

  function mountPicture(svgText, rep, built, key) {
    var svg = crParsePicture(svgText), edges = built.edges;
    var els = {};
    svg.querySelectorAll("[id]").forEach(function (el) {
      var id = el.getAttribute("id");
      els[id] = el;
      el.setAttribute("id", prefix + id);
    });
    for (var alias in built.aliases) els[alias] = els[built.aliases[alias]];  // the steps of a bundled edge
    var vb = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[ ,]+/).map(Number);
    svg.setAttribute("width", String(vb[2]));
    svg.setAttribute("height", String(vb[3]));
    svg.removeAttribute("style");
    var visible = [], boxesShown = [];
    for (var b = 0; b < D.boxes.length; b++) {
      if (rep[b] === -1) boxNodes[b].forEach(function (k) { visible.push(k); });
      else if (rep[b] === b) boxesShown.push(b);
    }
    pic = { svg: svg, el: els, rep: rep, dot: built.dot, visible: visible, boxes: boxesShown, edges: edges, key: key,
            w: vb[2], h: vb[3], shownGrad: {}, compact: built.compact, proxies: built.proxies };
    pic.into = {};
    edges.forEach(function (e) {
      if (e.key) pic.into[e.key] = e;
      e.el = els[e.id] || null;
      if (e.el && e.title) setTitle(e.el, e.title);
      e.min = Infinity;
      for (var j = 0; j < e.steps.length; j++) if (e.steps[j] < e.min) e.min = e.steps[j];
      e.cls = "";
    });
    visible.forEach(function (k) {
      var g = els["n" + k];
      if (!g) return;
      g.classList.add("cr-value");
      g.setAttribute("data-index", String(k));
      g.setAttribute("data-name", name(k));
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      var texts = g.getElementsByTagName("text");
      if (texts[0]) texts[0].textContent = crCut(name(k), CR_NAME_CHARS);
      setTitle(g, name(k) + (P[k].length ? "" : " (click to select; nudge it in the Nudge panel)"));
      var op = els["n" + k + "op"];
      if (op) {
        op.classList.add("cr-op");
        op.setAttribute("data-index", String(k));
        op.setAttribute("tabindex", "0");
        op.setAttribute("role", "button");
        var t = op.getElementsByTagName("text");
        if (t[0]) t[0].textContent = crCut(D.ops[D.o[k]].symbol, 10);
        setTitle(op, "op " + D.ops[D.o[k]].symbol + " making " + name(k) + ": click for its formulas");
      }
    });
    boxesShown.forEach(function (b) {
      var g = els["b" + b];
      if (!g) return;
      g.classList.add("cr-boxnode");
      g.setAttribute("data-box", String(b));
      g.setAttribute("data-name", D.boxes[b].name);
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-expanded", "false");
      setTitle(g, boxPathText(b) + ": click (or Enter) to expand");
    });
    (built.proxies || []).forEach(function (x) {
      var g = els[x.id];
      if (!g) return;
      g.classList.add("cr-proxy");
      g.setAttribute("data-box", String(x.shows));
      g.setAttribute("data-source", String(x.source));
      g.setAttribute("data-within", String(x.within));
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      var texts = g.getElementsByTagName("text");
      if (texts[0]) texts[0].textContent = "from " + crCut(D.boxes[x.source].name, CR_NAME_CHARS);
      if (texts[1]) texts[1].textContent = leavesText(x.source, x.count);
      setTitle(g, leavesText(x.source, x.count) + " of \u201c" + boxPathText(x.shows) + "\u201d, drawn where " +
        "they are used: click (or Enter) to list them");
    });
    for (var c = 1; c < D.boxes.length; c++) {
      if (rep[c] !== -1 || rep[boxParent[c]] !== -1) continue;
      var cl = els["c" + c];
      if (!cl) continue;
      cl.classList.add("cr-cluster");
      cl.setAttribute("data-box", String(c));
      var label = cl.querySelector("text");
      if (label) {
        label.textContent = "\u25be " + crCut(D.boxes[c].name, 40);
        label.classList.add("cr-collapse");
        label.setAttribute("tabindex", "0");
        label.setAttribute("role", "button");
        label.setAttribute("aria-expanded", "true");
        label.setAttribute("data-box", String(c));
      }
      setTitle(cl, boxPathText(c) + ": click its name (or press -) to collapse");
    }
    var canvas = ui.canvas;
    canvas.textContent = "";
    canvas.appendChild(svg);
    graph.setAttribute("data-view", key);
    graph.setAttribute("data-drawn", String(visible.length + boxesShown.length));
    root.setAttribute("data-layouts", String(Object.keys(layouts).length));
    updateNumbers();
    markSelection();
    breadcrumb();
    if (state.afterLayout) { var then = state.afterLayout; state.afterLayout = null; then(); }
    else follow();
    root.setAttribute("data-ready", "yes");
  }

  function setTitle(g, text) {
    var title = g.querySelector("title");
    if (!title) { title = document.createElementNS("http://www.w3.org/2000/svg", "title"); g.insertBefore(title, g.firstChild); }
    title.textContent = text;
  }

  function boxPath(b) {
    var path = [];
    for (; b > 0; b = boxParent[b]) path.unshift(b);
    return path;
  }
  function boxPathText(b) {
    return boxPath(b).map(function (c) { return D.boxes[c].name; }).join(" \u203a ") || D.boxes[0].name;
  }

  /* -- expanding and collapsing -------------------------------------------------------------------------- */
  function expand(b, then) {
    if (b <= 0) return;
    var wanted = Object.assign({}, state.expanded);
    boxPath(b).forEach(function (c) { wanted[c] = true; });
    if (viewSize(wanted) > D.maxNodes) {
      // keep the path to b open, fold the rest: every layout stays small
      var keep = {};
      boxPath(b).forEach(function (c) { keep[c] = true; });
      var others = Object.keys(wanted).map(Number).filter(function (c) { return !keep[c]; });
      others.sort(function (x, y) { return boxDepth[y] - boxDepth[x]; });
      for (var j = 0; j < others.length && viewSize(wanted) > D.maxNodes; j++) delete wanted[others[j]];
      if (viewSize(wanted) > D.maxNodes) {
        status("\u201c" + D.boxes[b].name + "\u201d holds too much to draw at once (" + viewSize(wanted) +
          " nodes, more than " + D.maxNodes + "): expand its parts instead.", true);
        return;
      }
      status("Other boxes were collapsed so that no view draws more than " + D.maxNodes + " nodes.");
    } else status("");
    state.expanded = wanted;
    state.crumbBox = b;
    var anchor = pic ? screenCentre(pic.rep[b] === -1 ? pic.el["c" + b] : pic.el["b" + pic.rep[b]]) : null;
    state.afterLayout = function () {
      var el = pic.el["c" + b];
      var outer = pic.el["c" + boxPath(b)[0]];
      if (el) { placeAt(el, anchor); focusOn(el, outer ? picRect(outer) : null); }
      if (then) then();
    };
    render();
  }

  function collapse(b) {
    if (b <= 0) return;
    var wanted = Object.assign({}, state.expanded);
    Object.keys(wanted).forEach(function (c) { if (boxPath(+c).indexOf(b) >= 0) delete wanted[c]; });
    state.expanded = wanted;
    state.crumbBox = b;  // shown closed: one click opens it again
    status("");
    var anchor = pic ? screenCentre(pic.el["c" + b]) : null;
    state.afterLayout = function () {
      var el = pic.el["b" + b];
      if (el) { placeAt(el, anchor); ensureVisible(el); el.focus({ preventScroll: true }); }
    };
    render();
  }

  function collapseAll() {
    state.expanded = {};
    state.crumbBox = -1;
    status("");
    state.afterLayout = function () { fit(); };
    render();
  }

  /* Where the centre of `el` is in the viewport (null without an element): a new view puts the box the reader
   * clicked where it was, then moves, so the eye can follow. */
  function screenCentre(el) {
    if (!el) return null;
    var r = el.getBoundingClientRect(), box = graph.getBoundingClientRect();
    return { x: (r.left + r.right) / 2 - box.left, y: (r.top + r.bottom) / 2 - box.top };
  }
  function placeAt(el, anchor) {
    if (!anchor) return;
    var r = picRect(el), v = state.view;
    setView(v.s, anchor.x - (r.x0 + r.x1) / 2 * v.s, anchor.y - (r.y0 + r.y1) / 2 * v.s);
  }

  /* Show value k in the picture: expand the boxes around it (if needed), then run `then`. */
  function reveal(k, then) {
    var b = D.box[k];
    if (pic && pic.rep[b] === -1) { if (then) then(); return; }
    expand(b, then);
  }

  /* The view a graph opens with: everything when it is small, else the top levels that fit. */
  function initialExpansion() {
    var all = {}, named = false;
    for (var b = 1; b < D.boxes.length; b++) { all[b] = true; if (D.boxes[b].kind !== "chunk") named = true; }
    // a graph with parts the user thinks in (modules, scopes, examples) opens on them unless it is small
    // enough to read whole; chunks are only there to bound a layout, so those open up to the limit
    var size = viewSize(all);
    if (size <= (named ? CR_OPEN_WHOLE : D.maxNodes)) return all;
    // a level-by-level overview small enough to read at once (model › examples › layers)
    var open = {}, level = [0], budget = Math.min(D.maxNodes, 16);
    while (level.length) {
      var next = [];
      level.forEach(function (b) { boxChildren[b].forEach(function (c) { next.push(c); }); });
      var trial = Object.assign({}, open);
      next.forEach(function (c) { trial[c] = true; });
      if (!next.length || viewSize(trial) > budget) break;
      open = trial;
      level = next;
    }
    return open;
  }

  /* -- pan and zoom -------------------------------------------------------------------------------------- */
  /* state.view is where the view is going; shown is the transform on screen now (they differ while a move is
   * animated). Positions of picture elements are read from the screen and mapped back with `shown`, so a
   * move asked for in the middle of another starts from where the picture is. */
  var shown = null, moving = 0;
  function applyView(v) {
    shown = v;
    ui.canvas.style.transform = "translate(" + v.tx + "px, " + v.ty + "px) scale(" + v.s + ")";
  }
  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }
  /* Go to scale s with the picture's origin at (tx, ty); `animate`: a short move (the reader can follow where
   * the view went), else at once (wheel, drag, a new layout). */
  function setView(s, tx, ty, animate) {
    var to = { s: s, tx: tx, ty: ty };
    state.view = to;
    ui.zoomLevel.textContent = Math.round(s * 100) + "%";
    root.setAttribute("data-scale", String(s));
    if (moving) { cancelAnimationFrame(moving); moving = 0; }
    if (!animate || state.instant || !shown || reducedMotion() || typeof requestAnimationFrame !== "function") {
      applyView(to);
      root.removeAttribute("data-moving");
      return;
    }
    // the camera glides: the picture point at the viewport's centre moves in a straight line and the scale
    // changes geometrically, easing out
    var from = shown, size = viewportSize(), t0 = null;
    var c0 = { x: (size.w / 2 - from.tx) / from.s, y: (size.h / 2 - from.ty) / from.s };
    var c1 = { x: (size.w / 2 - to.tx) / to.s, y: (size.h / 2 - to.ty) / to.s };
    root.setAttribute("data-moving", "yes");
    function frame(now) {
      if (t0 === null) t0 = now;
      var t = Math.min(1, (now - t0) / CR_MOVE_MS), e = 1 - Math.pow(1 - t, 3);
      if (t >= 1) { moving = 0; applyView(to); root.removeAttribute("data-moving"); return; }
      var sc = from.s * Math.pow(to.s / from.s, e);
      var cx = c0.x + (c1.x - c0.x) * e, cy = c0.y + (c1.y - c0.y) * e;
      applyView({ s: sc, tx: size.w / 2 - cx * sc, ty: size.h / 2 - cy * sc });
      moving = requestAnimationFrame(frame);
    }
    moving = requestAnimationFrame(frame);
  }
  function zoomAt(factor, cx, cy, animate) {
    var v = state.view, s = Math.max(0.05, Math.min(4, v.s * factor));
    // keep the picture point under (cx, cy) in place
    setView(s, cx - (cx - v.tx) * s / v.s, cy - (cy - v.ty) * s / v.s, animate);
  }
  function viewportSize() { return { w: graph.clientWidth, h: graph.clientHeight }; }
  /* The smallest scale at which every text of the view is at least CR_MIN_TEXT_PX high on screen. */
  function legibleScale() {
    return Math.ceil(CR_MIN_TEXT_PX / CR_SMALLEST_FONT * 1000) / 1000;
  }
  /* Where `el` is in picture coordinates (its box on screen mapped back through the transform shown). */
  function picRect(el) {
    var r = el.getBoundingClientRect(), box = graph.getBoundingClientRect(), v = shown || state.view;
    return { x0: (r.left - box.left - v.tx) / v.s, y0: (r.top - box.top - v.ty) / v.s,
             x1: (r.right - box.left - v.tx) / v.s, y1: (r.bottom - box.top - v.ty) / v.s };
  }
  /* The whole picture in the view when its text stays legible; else legible, with the output's end in view
   * (the backward pass starts there) and the output centred across. */
  function fit(animate) {
    if (!pic) return;
    var size = viewportSize(), min = legibleScale();
    var s = Math.min((size.w - 2 * CR_MARGIN) / pic.w, (size.h - 2 * CR_MARGIN) / pic.h, CR_MAX_FIT_SCALE);
    if (s >= min) { setView(s, (size.w - pic.w * s) / 2, (size.h - pic.h * s) / 2, animate); return; }
    s = min;
    var dir = D.rankdir || "LR", tx = (size.w - pic.w * s) / 2, ty = (size.h - pic.h * s) / 2;
    if (pic.w * s > size.w) tx = dir === "RL" ? CR_MARGIN : size.w - pic.w * s - CR_MARGIN;
    if (pic.h * s > size.h) ty = dir === "BT" ? CR_MARGIN : size.h - pic.h * s - CR_MARGIN;
    var out = elementOfValue(D.root);
    if (out) {  // the output's centre across the direction of the flow
      var r = picRect(out);
      if ((dir === "LR" || dir === "RL") && pic.h * s > size.h) ty = size.h / 2 - (r.y0 + r.y1) / 2 * s;
      if ((dir === "TB" || dir === "BT") && pic.w * s > size.w) tx = size.w / 2 - (r.x0 + r.x1) / 2 * s;
    }
    var c = clamped(s, tx, ty);
    setView(s, c.tx, c.ty, animate);
  }
  /* The part of `el` to keep in view when it is too long to be seen whole at a legible scale: an edge's label
   * (its local derivative), else the node it points into (a shared weight's edge across an unrolled RNN). */
  function focusPart(el) {
    if (el.classList && el.classList.contains("edge")) {
      var label = el.querySelector("text");
      if (label) return label;
      for (var j = 0; pic && j < pic.edges.length; j++) {
        var e = pic.edges[j];
        if (e.el === el) return (e.head && pic.el[e.head]) || el;
      }
    }
    return el;
  }
  /* Bring `el` (an element of the picture) into view at a legible scale, moving as little as possible: a
   * part-visible element is pulled in by its margin, one out of sight (or with `center`) is centred. */
  function ensureVisible(el, center) {
    if (!el || !state.view) return;
    var size = viewportSize(), v = state.view, s = Math.max(v.s, legibleScale());
    var tx = v.tx, ty = v.ty;
    if (s !== v.s) {  // zoom in about the viewport's centre
      tx = size.w / 2 - (size.w / 2 - v.tx) * s / v.s;
      ty = size.h / 2 - (size.h / 2 - v.ty) * s / v.s;
    }
    var r = picRect(el), m = CR_MARGIN;
    if (r.x1 - r.x0 > (size.w - 2 * m) / s || r.y1 - r.y0 > (size.h - 2 * m) / s) r = picRect(focusPart(el));
    var left = r.x0 * s + tx, right = r.x1 * s + tx, top = r.y0 * s + ty, bottom = r.y1 * s + ty;
    var away = right < 0 || left > size.w || bottom < 0 || top > size.h;
    if (center || away) {
      tx += size.w / 2 - (left + right) / 2;
      ty += size.h / 2 - (top + bottom) / 2;
    } else {
      if (right - left > size.w - 2 * m) tx += size.w / 2 - (left + right) / 2;
      else if (left < m) tx += m - left;
      else if (right > size.w - m) tx += size.w - m - right;
      if (bottom - top > size.h - 2 * m) ty += size.h / 2 - (top + bottom) / 2;
      else if (top < m) ty += m - top;
      else if (bottom > size.h - m) ty += size.h - m - bottom;
    }
    var c = clamped(s, tx, ty);
    if (c.tx !== v.tx || c.ty !== v.ty || s !== v.s) setView(s, c.tx, c.ty, true);
  }
  /* (tx, ty) moved so that a picture larger than the viewport leaves no empty band at its edges: a move made
   * for the reader shows as much of the picture as it can. */
  function clamped(s, tx, ty, bounds) {
    if (!pic) return { tx: tx, ty: ty };
    var b = bounds || { x0: 0, y0: 0, x1: pic.w, y1: pic.h };
    var size = viewportSize(), w = (b.x1 - b.x0) * s, h = (b.y1 - b.y0) * s, m = CR_MARGIN;
    if (w > size.w - 2 * m) tx = Math.min(m - b.x0 * s, Math.max(size.w - m - b.x1 * s, tx));
    if (h > size.h - 2 * m) ty = Math.min(m - b.y0 * s, Math.max(size.h - m - b.y1 * s, ty));
    return { tx: tx, ty: ty };
  }
  /* Zoom to `el` (an expanded box's cluster): all of it in view when that is legible, else its output's end,
   * centred across; no empty band beyond `bounds` (the outermost expanded box around it: the rest of the
   * picture is another part of the graph). */
  function focusOn(el, bounds) {
    if (!el) return;
    var size = viewportSize(), r = picRect(el), w = r.x1 - r.x0, h = r.y1 - r.y0, min = legibleScale();
    var s = Math.min((size.w - 4 * CR_MARGIN) / w, (size.h - 4 * CR_MARGIN) / h, CR_MAX_FOCUS_SCALE);
    var cx = (r.x0 + r.x1) / 2, cy = (r.y0 + r.y1) / 2;
    if (s < min) {
      s = min;
      var dir = D.rankdir || "LR", half = { w: (size.w / 2 - 2 * CR_MARGIN) / s, h: (size.h / 2 - 2 * CR_MARGIN) / s };
      if (w * s > size.w) cx = dir === "RL" ? r.x0 + half.w : r.x1 - half.w;
      if (h * s > size.h) cy = dir === "BT" ? r.y0 + half.h : r.y1 - half.h;
      if ((dir === "LR" || dir === "RL") && h * s > size.h) cy = (r.y0 + r.y1) / 2;
      if ((dir === "TB" || dir === "BT") && w * s > size.w) cx = (r.x0 + r.x1) / 2;
    }
    var c = clamped(s, size.w / 2 - cx * s, size.h / 2 - cy * s, bounds);
    setView(s, c.tx, c.ty, true);
  }
  /* Keep the current step (or the selection) in view. */
  function follow(center) {
    if (!pic) return;
    var el = null;
    if (state.selected >= 0 && state.followSelection) el = elementOfValue(state.selected);
    if (!el && state.step > 0) el = elementOfStep(state.step - 1);
    if (!el) el = elementOfValue(D.root);
    ensureVisible(el, center);
  }

  function wirePanZoom() {
    var drag = null;
    graph.addEventListener("wheel", function (e) {
      e.preventDefault();
      var box = graph.getBoundingClientRect();
      zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - box.left, e.clientY - box.top);
    }, { passive: false });
    graph.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, tx: state.view.tx, ty: state.view.ty, moved: false, id: e.pointerId };
    });
    graph.addEventListener("pointermove", function (e) {
      if (!drag || e.pointerId !== drag.id) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) return;
      if (!drag.moved) { drag.moved = true; graph.setPointerCapture(e.pointerId); graph.classList.add("cr-dragging"); }
      setView(state.view.s, drag.tx + dx, drag.ty + dy);
    });
    function end(e) {
      if (!drag || e.pointerId !== drag.id) return;
      state.dragged = drag.moved;
      graph.classList.remove("cr-dragging");
      drag = null;
    }
    graph.addEventListener("pointerup", end);
    graph.addEventListener("pointercancel", end);
  }

  /* -- where a step or a value is in the view ------------------------------------------------------------ */
  function elementOfValue(k) {
    if (!pic) return null;
    var r = repOf(pic.rep, k);
    return pic.el[repId(r)] || null;
  }
  function elementOfStep(j) {
    if (!pic) return null;
    var k = stepNode[j], i = stepIdx[j], r = repOf(pic.rep, k);
    if (r >= 0) return pic.el["e" + k + "_" + i] || null;
    var box = ~r, q = P[k][i];
    if (repOf(pic.rep, q) === r) return pic.el["b" + box] || null;  // a step inside a collapsed box
    return intoBox(q, box);
  }

  /* -- the controls ---------------------------------------------------------------------------------------- */
  function buildControls() {
    if (options.title) root.insertBefore(crEl("h1", { "class": "cr-title" }, D.title), root.firstChild);
    var bar = crEl("div", { "class": "cr-toolbar", role: "toolbar" });
    function button(parent, name, label, title) {
      var b = crEl("button", { type: "button", "class": "cr-" + name, title: title }, label);
      ui[name] = b;
      parent.appendChild(b);
      return b;
    }
    button(bar, "first", "\u00ab first", "first step (Home)");
    button(bar, "prev", "\u25c0 previous", "previous step (\u2190)");
    button(bar, "play", "\u25b6 play", "play / pause (space)");
    button(bar, "next", "next \u25b6", "next step (\u2192)");
    button(bar, "last", "last \u00bb", "last step (End)");
    ui.slider = crEl("input", { type: "range", min: "0", max: String(nSteps), value: "0",
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

    var nav = crEl("div", { "class": "cr-navbar" });
    ui.crumbs = crEl("nav", { "class": "cr-crumbs", "aria-label": "where you are in the graph" });
    nav.appendChild(ui.crumbs);
    var zoom = crEl("span", { "class": "cr-zoom", role: "group", "aria-label": "zoom" });
    button(zoom, "zoomout", "\u2212", "zoom out (-)");
    ui.zoomLevel = crEl("span", { "class": "cr-zoomlevel" }, "100%");
    zoom.appendChild(ui.zoomLevel);
    button(zoom, "zoomin", "+", "zoom in (+)");
    button(zoom, "fit", "fit", "fit the picture in the view (f), never below legible text");
    button(zoom, "collapseall", "collapse all", "show the top level only");
    nav.appendChild(zoom);
    ui.status = crEl("div", { "class": "cr-status", role: "status" });
    ui.stale = crEl("div", { "class": "cr-stale", role: "alert" });

    var side = crEl("div", { "class": "cr-side" });
    ui.stepBox = crEl("section", { "class": "cr-box cr-stepbox" });
    ui.stepBox.appendChild(crEl("h2", null, "This step"));
    ui.caption = crEl("div", { "class": "cr-caption", "aria-live": "polite" });
    ui.stepBox.appendChild(ui.caption);
    side.appendChild(ui.stepBox);

    ui.selBox = crEl("section", { "class": "cr-box cr-selbox" });
    ui.selBox.appendChild(crEl("h2", null, "Selected"));
    ui.selInfo = crEl("div", { "class": "cr-selinfo cr-caption" });
    ui.selBox.appendChild(ui.selInfo);
    side.appendChild(ui.selBox);

    ui.pathBox = crEl("section", { "class": "cr-box cr-pathbox" });
    ui.pathBox.appendChild(crEl("h2", null, "Paths"));
    ui.pathInfo = crEl("div", { "class": "cr-pathinfo" });
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
    row.appendChild(ui.nudgeLabel);
    row.appendChild(ui.delta);
    button(row, "apply", "nudge", "change the selected leaf by \u0394 and recompute every value");
    button(row, "reset", "reset", "back to the graph's own values");
    ui.nudgeBox.appendChild(ui.nudgeInfo);
    ui.nudgeBox.appendChild(row);
    ui.nudgeResult = crEl("div", { "class": "cr-nudgeresult" });
    ui.nudgeBox.appendChild(ui.nudgeResult);
    side.appendChild(ui.nudgeBox);

    ui.gradBox = crEl("section", { "class": "cr-box cr-gradbox" });
    ui.gradBox.appendChild(crEl("h2", null, "Gradients so far (leaves and output)"));
    ui.gradTable = crEl("table", { "class": "cr-grads" });
    ui.gradBox.appendChild(ui.gradTable);
    ui.gradMore = crEl("div", { "class": "cr-dim" });
    ui.gradBox.appendChild(ui.gradMore);

    var help = crEl("p", { "class": "cr-help" },
      "\u2190 \u2192 step, Home/End first/last, space play/pause. Click a box to expand it, its name to collapse " +
      "it (or Enter / -). Wheel or +/- to zoom, drag to pan, f to fit. Click a value for its paths, an op for its " +
      "formulas, a dashed \u201cfrom \u2026\u201d node for the shared parameters it stands for; select a leaf and " +
      "press \u201cnudge\u201d to change it.");

    ui.legend = crEl("div", { "class": "cr-legend", "aria-label": "legend" });
    ui.canvas = crEl("div", { "class": "cr-canvas" });
    graph.appendChild(ui.canvas);
    graph.setAttribute("tabindex", "0");
    graph.setAttribute("aria-label", "the computation graph (wheel to zoom, drag to pan)");
    var titleEl = root.querySelector(".cr-title");
    var after = titleEl ? titleEl.nextSibling : root.firstChild;
    [bar, ui.legend, ui.stale, nav, ui.status].forEach(function (el) { root.insertBefore(el, after); });
    var main = crEl("div", { "class": "cr-main" });
    var left = crEl("div", { "class": "cr-left" });
    root.insertBefore(main, graph);
    left.appendChild(graph);
    left.appendChild(ui.gradBox);
    main.appendChild(left);
    main.appendChild(side);
    root.appendChild(help);
  }

  function status(text, warn) {
    ui.status.textContent = text || "";
    ui.status.classList.toggle("cr-warn", !!warn);
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
    if (D.legend && D.legend.length && Object.keys(flowColor).length) {
      var item = crEl("span", { "class": "cr-legend-item cr-flow", title:
        "mean |dL/dw| of a module's parameters, relative to the largest module at its depth (log scale); " +
        "below " + D.flow.vanishing + " times it: vanishing; above " + D.flow.exploding +
        " times the last module's: exploding (nn.health's thresholds)" });
      item.appendChild(document.createTextNode("module |grad| (log):"));
      [["#eeeeee", "vanishing"], ["hsl(265, 55%, 85%)", "weak"], ["hsl(265, 55%, 72%)", "medium"],
       ["hsl(265, 55%, 55%)", "strong"], ["#f4a6a0", "exploding"]].forEach(function (c) {
        var sw = crEl("span", { "class": "cr-swatch" });
        sw.style.backgroundColor = c[0];
        item.appendChild(sw);
        item.appendChild(document.createTextNode(c[1]));
      });
      ui.legend.appendChild(item);
    }
  }

  /* -- the gradient table: leaves (in the order they were made) and the output, sortable ------------------ */
  function buildGradTable() {
    ui.gradTable.textContent = "";
    ui.gradCells = {};
    ui.dataCells = {};
    var head = crEl("tr");
    [["made", "#"], ["name", "value"], ["data", "data"], ["grad", "grad"], ["abs", "|grad|"]].forEach(function (h) {
      var th = crEl("th", { scope: "col" });
      var b = crEl("button", { type: "button", "class": "cr-sort", "data-sort": h[0],
                               title: "sort by " + h[1] + " (again: reverse)" }, h[1]);
      if (state.sort[0] === h[0]) b.textContent += state.sort[1] > 0 ? " \u25b4" : " \u25be";
      th.appendChild(b);
      head.appendChild(th);
    });
    ui.gradTable.appendChild(head);
    var rows = D.t.slice();
    if (rows.indexOf(D.root) < 0) rows.push(D.root);
    var made = {};
    rows.forEach(function (k, j) { made[k] = j; });
    var key = state.sort[0], dir = state.sort[1];
    var grads = gradsAt(state.step);
    function val(k) {
      if (key === "made") return made[k];
      if (key === "data") return values[k];
      var g = grads.known[k] ? grads.g[k] : NaN;
      return key === "grad" ? g : Math.abs(g);
    }
    rows.sort(function (a, b) {
      if (key === "name") return dir * (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
      var x = val(a), y = val(b);
      if (x !== x) return 1; if (y !== y) return -1;  // unknown gradients last
      return dir * (x - y) || made[a] - made[b];
    });
    rows.slice(0, CR_MAX_TABLE_ROWS).forEach(function (k) {
      var tr = crEl("tr", { "data-index": String(k) });
      tr.appendChild(crEl("td", { "class": "cr-num cr-dim" }, String(made[k] + 1)));
      tr.appendChild(crEl("td", { "class": "cr-name", title: name(k) }, crCut(name(k), 28)));
      ui.dataCells[k] = crEl("td", { "class": "cr-num" }, f(values[k]));
      ui.gradCells[k] = crEl("td", { "class": "cr-num" }, "?");
      ui.absCells = ui.absCells || {};
      var abs = crEl("td", { "class": "cr-num" }, "?");
      ui.absCells[k] = abs;
      tr.appendChild(ui.dataCells[k]);
      tr.appendChild(ui.gradCells[k]);
      tr.appendChild(abs);
      ui.gradTable.appendChild(tr);
    });
    ui.gradMore.textContent = rows.length > CR_MAX_TABLE_ROWS ?
      "\u2026 and " + (rows.length - CR_MAX_TABLE_ROWS).toLocaleString("en-US") + " more (sort to see others first)" : "";
    ui.tableGrad = {};
    updateTable(grads);
    if (state.nudge) showNudgedValues(state.nudge.v);
  }

  function updateTable(grads) {
    Object.keys(ui.gradCells).forEach(function (key) {
      var k = +key, known = grads.known[k], text = known ? f(grads.g[k]) : "?";
      if (ui.tableGrad[k] === text) return;
      ui.tableGrad[k] = text;
      ui.gradCells[k].textContent = text;
      ui.absCells[k].textContent = known ? f(Math.abs(grads.g[k])) : "?";
    });
  }

  /* -- stepping ------------------------------------------------------------------------------------------- */
  function gradsAt(step) {
    var g = new Float64Array(N), known = new Uint8Array(N);
    g[D.root] = 1; known[D.root] = 1;
    for (var j = 0; j < step; j++) {
      var q = P[stepNode[j]][stepIdx[j]];
      g[q] = stepAfter[j]; known[q] = 1;
    }
    // a value whose hooks changed its gradient shows the hooked one once its own steps start
    for (var k in D.u) if (Object.prototype.hasOwnProperty.call(D.u, k) && known[+k] && stepStart[+k] < step) g[+k] = crNum(D.u[k]);
    return { g: g, known: known };
  }

  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }

  function updateNumbers() {
    if (!pic) return;
    var grads = gradsAt(state.step), nudged = state.nudge ? state.nudge.v : null;
    pic.visible.forEach(function (k) {
      var g = pic.el["n" + k];
      if (!g) return;
      var texts = g.getElementsByTagName("text");
      var x = nudged ? nudged[k] : values[k];
      setText(texts[1], "data " + f(x));
      if (texts[1]) texts[1].classList.toggle("cr-nudged", !!nudged && x !== values[k]);
      setText(texts[2], grads.known[k] ? "grad " + f(grads.g[k]) : "grad ?");
      if (texts[2]) texts[2].classList.toggle("cr-unknown", !grads.known[k]);
      g.setAttribute("data-grad", grads.known[k] ? crExact(grads.g[k]) : "?");
      g.setAttribute("data-value", crExact(x));
    });
    pic.boxes.forEach(function (b) {
      var g = pic.el["b" + b];
      if (!g) return;
      var texts = g.getElementsByTagName("text"), fields = boxFields(b, grads, pic.compact[b]), shape = g.querySelector("path, polygon");
      if (shape && flowColor[b]) shape.setAttribute("fill", flowColor[b][0]);
      for (var j = 0; j < fields.length && j < texts.length; j++) setText(texts[j], fields[j]);
      var out = boxInfo(b).out;
      if (out.length === 1) {
        g.setAttribute("data-grad", grads.known[out[0]] ? crExact(grads.g[out[0]]) : "?");
        g.setAttribute("data-value", crExact(nudged ? nudged[out[0]] : values[out[0]]));
      }
    });
    // edges: the current step's, the used ones
    var step = state.step, currentEl = step > 0 ? elementOfStep(step - 1) : null;
    pic.edges.forEach(function (e) {
      var cls = "";
      if (e.el && e.el === currentEl) cls = "cr-current";
      else if (e.min < step) cls = "cr-used";
      if (cls === e.cls || !e.el) { e.cls = cls; return; }
      if (e.cls) e.el.classList.remove(e.cls);
      if (cls) e.el.classList.add(cls);
      e.cls = cls;
    });
    pic.boxes.forEach(function (b) { var g = pic.el["b" + b]; if (g) g.classList.remove("cr-current"); });
    if (step > 0) {  // a step inside a collapsed box, or into it, highlights the box
      var el = elementOfStep(step - 1), within = pic.rep[D.box[stepNode[step - 1]]];
      if (el && el.classList.contains("cr-boxnode")) el.classList.add("cr-current");
      else if (within !== undefined && within !== -1 && pic.el["b" + within]) pic.el["b" + within].classList.add("cr-current");
    }
    updateTable(grads);
  }

  function showStep(step, quiet) {
    step = Math.max(0, Math.min(nSteps, step | 0));
    state.step = step;
    updateNumbers();
    ui.slider.value = String(step);
    ui.counter.textContent = "step " + step.toLocaleString("en-US") + " / " + nSteps.toLocaleString("en-US");
    ui.first.disabled = ui.prev.disabled = step === 0;
    ui.last.disabled = ui.next.disabled = step === nSteps;
    if (step === nSteps && state.playing) pause();
    caption(step);
    if (options.page) document.body.setAttribute("data-step", String(step));
    root.setAttribute("data-step", String(step));
    if (!quiet) { state.followSelection = false; state.crumbBox = -1; follow(); breadcrumb(); writeHash(); }
  }

  function caption(step) {
    var out = name(D.root);
    ui.caption.textContent = "";
    function line(text, cls) { ui.caption.appendChild(crEl("div", cls ? { "class": cls } : null, text)); }
    if (step === 0) {
      line("Forward pass done. The backward pass starts at the output with d " + out + " / d " + out + " = 1.");
      line("Press next (or \u2192) to apply the chain rule one edge at a time.", "cr-dim");
      return;
    }
    var j = step - 1, k = stepNode[j], i = stepIdx[j], q = P[k][i];
    var node = name(k), parent = name(q), local = L[k][i];
    line("step " + step + ": edge " + parent + " \u2192 " + node + " (" + D.ops[D.o[k]].symbol + ")", "cr-strong");
    if (pic && pic.rep[D.box[k]] !== -1) {
      var b = pic.rep[D.box[k]];
      line("inside the collapsed box \u201c" + D.boxes[b].name + "\u201d (expand it to see this edge)", "cr-dim");
    }
    line("upstream  d " + out + "/d " + node + " = " + f(stepUp[j]));
    derivativeLines(k, i).forEach(function (t) { line(t, "cr-formula"); });
    line("upstream \u00d7 local = " + f(stepUp[j]) + " \u00d7 " + f(local) + " = " + f(stepContrib[j]), "cr-strong");
    var before = stepBefore[j], uses = users[q].length;
    var firstUse = stepBefore[j] === 0 && !earlierStepInto(q, j);
    if (uses > 1 || !firstUse) {
      line(parent + ".grad = " + f(before) + (firstUse ? " (nothing yet)" : " (so far)") + " + " + f(stepUp[j]) +
        " \u00d7 " + f(local) + " = " + f(stepAfter[j]), "cr-strong cr-accumulate");
      var done = 0;
      users[q].forEach(function (u) { if (stepStart[u[0]] + u[1] <= j) done++; });
      line(parent + " feeds " + uses + " edges: its gradient is the sum of their contributions (" + done + " of " +
        uses + " added).", "cr-dim");
    } else {
      line(parent + ".grad is now " + f(stepAfter[j]));
    }
  }

  function earlierStepInto(q, j) {
    for (var u = 0; u < users[q].length; u++) {
      if (stepStart[users[q][u][0]] + users[q][u][1] < j) return true;
    }
    return false;
  }

  /* "d tanh(a)/da = 1 - out * out = 1 - 0.7071 * 0.7071 = 0.5" for edge i of value k, from the op table. */
  function derivativeLines(k, i) {
    var row = D.ops[D.o[k]], local = L[k][i], names = ["a", "b"];
    var consts = (D.c[String(k)] || []).map(crNum);
    if (!row.grads) {
      if (row.key) {
        var nary = crNaryDerivative(row.key, i, D.c[String(k)]);
        return ["local     d " + row.key + "(p0, p1, ...)/dp" + i + " = " + nary + " = " + f(local)];
      }
      return ["local     d " + name(k) + "/d " + name(P[k][i]) + " = " + f(local) + " (recorded with the node)"];
    }
    var env = { out: values[k] };
    P[k].forEach(function (q, j) { env[names[j]] = values[q]; });
    if (consts.length) env.c = consts[0];
    var fwd = crFormula(row.forward, null), grad = crFormula(row.grads[i], null);
    var withNumbers = crFormula(row.grads[i], env, f);
    if (row.forward[0] !== "call") fwd = "(" + fwd + ")";
    var text = "local     d" + (fwd.charAt(0) === "(" ? "" : " ") + fwd + "/d" + names[i] + " = " + grad;
    if (withNumbers !== grad) text += " = " + withNumbers;
    if (withNumbers !== f(local)) text += " = " + f(local);
    var where = P[k].map(function (q, j) { return names[j] + " = " + name(q); });
    if (/\bout\b/.test(grad)) where.push("out = " + name(k));
    if (env.c !== undefined && /\bc\b/.test(fwd)) where.push("c = " + f(env.c) + " (a constant)");
    return [text, "          where " + where.join(", ")];
  }

  function play() {
    if (state.step >= nSteps) showStep(0);
    ui.play.textContent = "\u23f8 pause";
    var rate = parseFloat(ui.speed.value) || 2;
    state.playing = setInterval(function () { showStep(state.step + 1); }, 1000 / rate);
  }
  function pause() {
    if (state.playing) clearInterval(state.playing);
    state.playing = null;
    ui.play.textContent = "\u25b6 play";
  }

  /* -- breadcrumb: the boxes around the focus (the box just expanded or collapsed into, else the selection,
   * else the current step): what was opened can be closed from it --------------------------------------- */
  function breadcrumb() {
    ui.crumbs.textContent = "";
    var focus = state.selected >= 0 ? state.selected : state.step > 0 ? stepNode[state.step - 1] : D.root;
    var path = [0].concat(state.crumbBox > 0 ? boxPath(state.crumbBox) : boxPath(D.box[focus]));
    path.forEach(function (b, j) {
      if (j) ui.crumbs.appendChild(crEl("span", { "class": "cr-sep", "aria-hidden": "true" }, " \u203a "));
      var open = b === 0 || (pic && pic.rep[b] === -1);
      var item = crEl("button", { type: "button", "class": "cr-crumb" + (open ? "" : " cr-closed"), "data-box": String(b),
        title: b === 0 ? "collapse everything" : open ? "collapse \u201c" + D.boxes[b].name + "\u201d" :
          "expand \u201c" + D.boxes[b].name + "\u201d" }, crCut(D.boxes[b].name, 30));
      ui.crumbs.appendChild(item);
    });
  }

  /* -- selection: a value's paths, its formulas; nothing changes a number --------------------------------- */
  function markSelection() {
    if (!pic) return;
    pic.svg.querySelectorAll(".cr-path, .cr-onpath, .cr-selected").forEach(function (el) {
      el.classList.remove("cr-path", "cr-onpath", "cr-selected");
    });
    var k = state.selected;
    if (k < 0) return;
    var reach = state.reach;
    for (var n = 0; n < N; n++) {
      if (!reach[n]) continue;
      var el = elementOfValue(n);
      if (el) el.classList.add("cr-onpath");
      for (var i = 0; i < P[n].length; i++) {
        if (!reach[P[n][i]]) continue;
        var e = edgeElement(n, i);
        if (e) e.classList.add("cr-path");
      }
    }
    var sel = elementOfValue(k);
    if (sel) sel.classList.add("cr-selected");
  }

  /* The drawn edge that carries value q into collapsed box b (edges are bundled per drawn source). */
  function intoBox(q, b) {
    var e = pic.into[repOf(pic.rep, q) + ">" + b];
    return e ? e.el : null;
  }

  function edgeElement(k, i) {
    var r = repOf(pic.rep, k);
    if (r >= 0) return pic.el["e" + k + "_" + i] || null;
    var q = P[k][i];
    if (repOf(pic.rep, q) === r) return null;
    return intoBox(q, ~r);
  }

  function select(k) {
    state.selected = k;
    root.removeAttribute("data-proxy");
    ui.pathList.textContent = "";
    ui.selInfo.textContent = "";
    if (k < 0) {
      state.reach = null;
      ui.pathInfo.textContent = "Click a value in the picture to see its paths to the output.";
      ui.pathSum.textContent = "";
      ui.selInfo.textContent = "Click a value or an op for its numbers and formulas.";
      markSelection();
      showNudgePanel();
      breadcrumb();
      return;
    }
    state.crumbBox = -1;
    showSelected(k);
    var reach = new Uint8Array(N), count = new Float64Array(N), sum = new Float64Array(N);
    reach[k] = 1; count[k] = 1; sum[k] = 1;
    for (var n = k + 1; n < N; n++) {
      for (var i = 0; i < P[n].length; i++) {
        var q = P[n][i];
        if (reach[q]) { reach[n] = 1; count[n] += count[q]; sum[n] += sum[q] * L[n][i]; }
      }
    }
    state.reach = reach;
    markSelection();
    var nm = name(k), out = name(D.root), total = count[D.root];
    ui.pathInfo.textContent = total === 1 ? "1 path from " + nm + " to " + out + ":"
      : total.toLocaleString("en-US") + " paths from " + nm + " to " + out + " (product of the edge labels on each):";
    ui.pathBox.setAttribute("data-count", String(total));
    ui.pathBox.setAttribute("data-node", nm);
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
        li.appendChild(crEl("span", { "class": "cr-route" }, nodes.map(name).join(" \u2192 ")));
        li.appendChild(crEl("span", { "class": "cr-factors" },
          (factors.length ? factors.map(f).join(" \u00d7 ") : "1") + " = " + f(product)));
        ui.pathList.appendChild(li);
        listed++;
        continue;
      }
      var us = users[at];
      for (var u = us.length - 1; u >= 0; u--) {
        if (reach[us[u][0]]) stack.push([link, us[u][0], L[us[u][0]][us[u][1]]]);
      }
    }
    ui.pathSum.textContent = "";
    if (total > listed) ui.pathSum.appendChild(crEl("div", null, "\u2026 and " + (total - listed).toLocaleString("en-US") + " more paths"));
    ui.pathSum.appendChild(crEl("div", { "class": "cr-strong", "data-sum": crExact(sum[D.root]), "data-grad": crExact(finalGrad[k]) },
      "sum over " + total.toLocaleString("en-US") + (total === 1 ? " path" : " paths") + " = d " + out + "/d " + nm +
      " = " + f(sum[D.root]) + "   (backward: " + f(finalGrad[k]) + ")"));
    showNudgePanel();
    breadcrumb();
  }

  /* A proxy clicked: the leaves it stands for, with their numbers (they stay where they are drawn). */
  function showProxy(id) {
    var x = null;
    (pic && pic.proxies || []).forEach(function (p) { if (p.id === id) x = p; });
    if (!x) return;
    select(-1);
    var box = ui.selInfo;
    box.textContent = "";
    function line(text, cls) { box.appendChild(crEl("div", cls ? { "class": cls } : null, text)); }
    line(leavesText(x.source, x.count) + " of \u201c" + boxPathText(x.shows) + "\u201d, used by " + x.usedBy, "cr-strong");
    var table = crEl("table", { "class": "cr-grads cr-leaves" }), head = crEl("tr");
    ["value", "data", "grad"].forEach(function (h) { head.appendChild(crEl("th", { scope: "col" }, h)); });
    table.appendChild(head);
    x.qs.slice(0, CR_MAX_LISTED_LEAVES).forEach(function (q) {
      var tr = crEl("tr");
      tr.appendChild(crEl("td", { "class": "cr-name", title: name(q) }, crCut(name(q), CR_NAME_CHARS)));
      tr.appendChild(crEl("td", { "class": "cr-num" }, f(values[q])));
      tr.appendChild(crEl("td", { "class": "cr-num" }, f(finalGrad[q])));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (x.qs.length > CR_MAX_LISTED_LEAVES) line("\u2026 and " + (x.qs.length - CR_MAX_LISTED_LEAVES) + " more", "cr-dim");
    line("Expand \u201c" + D.boxes[x.source].name + "\u201d to draw them (its box, or the gradient table).", "cr-dim");
    var g = pic.el[x.id];
    if (g) g.classList.add("cr-selected");
    root.setAttribute("data-proxy", x.id);
  }

  function showSelected(k) {
    var box = ui.selInfo;
    function line(text, cls) { box.appendChild(crEl("div", cls ? { "class": cls } : null, text)); }
    var roles = { i: "input", p: "parameter", c: "constant", v: "intermediate value", o: "output" };
    line(name(k) + "  (" + roles[D.r[k]] + ")", "cr-strong");
    line("data " + f(values[k]) + "   grad " + f(finalGrad[k]) + " (after the whole pass)");
    if (D.box[k] > 0) line("in " + boxPathText(D.box[k]), "cr-dim");
    if (!P[k].length) return;
    var row = D.ops[D.o[k]], names = ["a", "b"];
    if (row.forward) {
      var env = {};
      P[k].forEach(function (q, j) { env[names[j]] = values[q]; });
      var consts = (D.c[String(k)] || []).map(crNum);
      if (consts.length) env.c = consts[0];
      line("forward   " + name(k) + " = " + crFormula(row.forward, null) + " = " + crFormula(row.forward, env, f) +
        " = " + f(values[k]), "cr-formula");
    } else if (row.key) {
      line("forward   " + name(k) + " = " + row.key + ": " + CR_NARY_FORWARD[row.key] + " = " + f(values[k]), "cr-formula");
    } else {
      line("op " + row.symbol + " was made by hand: no formula recorded", "cr-dim");
    }
    P[k].forEach(function (q, i) { derivativeLines(k, i).forEach(function (t) { line(t, "cr-formula"); }); });
  }

  /* -- nudging: an explicit action; the forward pass again, in the browser --------------------------------- */
  function showNudgePanel() {
    var k = state.selected, leaf = k >= 0 && !P[k].length;
    var can = leaf && D.nudge.ok;
    ui.delta.disabled = ui.apply.disabled = !can;
    ui.reset.disabled = !state.nudge;
    if (!D.nudge.ok) ui.nudgeInfo.textContent = "Nudging is off: " + D.nudge.reason + ".";
    else if (!leaf) ui.nudgeInfo.textContent = "Select an input or a parameter (a leaf), then press \u201cnudge\u201d to change it by \u0394.";
    else ui.nudgeInfo.textContent = "Press \u201cnudge\u201d to change " + name(k) + " by \u0394: every value is recomputed " +
      "here, and the output's change is compared with the prediction grad \u00d7 \u0394.";
  }

  function clearNudge() {
    state.nudge = null;
    ui.nudgeResult.textContent = "";
    root.removeAttribute("data-nudged");
    showNudgedValues(null);
    ui.reset.disabled = true;
    updateNumbers();
    if (state.selected >= 0) { ui.selInfo.textContent = ""; showSelected(state.selected); }
  }

  function showNudgedValues(v) {
    Object.keys(ui.dataCells || {}).forEach(function (key) {
      var k = +key, x = v ? v[k] : values[k];
      ui.dataCells[k].textContent = f(x);
      ui.dataCells[k].classList.toggle("cr-nudged", !!v && x !== values[k]);
    });
  }

  function applyNudge() {
    var k = state.selected, delta = parseFloat(ui.delta.value);
    if (k < 0 || P[k].length || !D.nudge.ok) return;
    if (!isFinite(delta)) { ui.nudgeResult.textContent = "\u0394 must be a number."; return; }
    var v = forward(k, delta);
    state.nudge = { leaf: k, delta: delta, v: v };
    updateNumbers();
    showNudgedValues(v);
    var out = D.root, nm = name(k);
    var predicted = finalGrad[k] * delta, actual = v[out] - values[out];
    var r = ui.nudgeResult;
    r.textContent = "";
    r.setAttribute("data-leaf", nm);
    r.setAttribute("data-delta", crExact(delta));
    r.setAttribute("data-predicted", crExact(predicted));
    r.setAttribute("data-actual", crExact(actual));
    r.setAttribute("data-new-output", crExact(v[out]));
    r.appendChild(crEl("div", null, nm + ": " + f(values[k]) + " \u2192 " + f(v[k])));
    r.appendChild(crEl("div", null, name(out) + ": " + f(values[out]) + " \u2192 " + f(v[out])));
    r.appendChild(crEl("div", { "class": "cr-strong" },
      "predicted \u0394" + name(out) + " = grad \u00d7 \u0394 = " + f(finalGrad[k]) + " \u00d7 " + f(delta) + " = " + f(predicted)));
    r.appendChild(crEl("div", { "class": "cr-strong" }, "actual \u0394" + name(out) + " = " + f(actual)));
    // near a minimum (or any flat spot) grad x delta is tiny and the second-order term takes over
    var miss = Math.abs(actual - predicted);
    if (delta !== 0 && isFinite(actual) && miss > 0.5 * Math.abs(actual) && miss > 1e-12 * Math.abs(values[out])) {
      r.setAttribute("data-first-order", "no");
      r.appendChild(crEl("div", { "class": "cr-warn cr-firstorder" },
        "grad \u00d7 \u0394 no longer dominates the change: the gradient here is small (near a minimum or a flat " +
        "spot), so the curvature (the second-order term, about \u00bd f\u2033 \u0394\u00b2) makes most of it. " +
        "The first-order prediction is only good for smaller \u0394 or a larger gradient."));
    } else r.setAttribute("data-first-order", "yes");
    root.setAttribute("data-nudged", nm);
    ui.reset.disabled = false;
  }

  /* -- links: the URL follows the step and the selection ------------------------------------------------- */
  function nodeByName(nm) {
    for (var k = 0; k < N; k++) if (D.n[k] === nm) return k;
    return -1;
  }

  function writeHash() {
    if (!options.page || state.readingHash) return;
    var hash = "#step=" + state.step + (state.selected >= 0 ? "&node=" + encodeURIComponent(name(state.selected)) : "");
    if (location.hash !== hash) {
      try { history.replaceState(null, "", hash); } catch (e) { /* a sandboxed frame may refuse */ }
    }
  }

  function readHash() {
    var hash = location.hash.replace(/^#/, "");
    if (!hash) return;
    var problems = [];
    state.readingHash = true;
    hash.split("&").forEach(function (part) {
      if (!part) return;
      var eq = part.indexOf("="), key = eq < 0 ? part : part.slice(0, eq), value;
      try { value = decodeURIComponent(part.slice(eq + 1)); } catch (e) { problems.push("a part that is not valid: " + part); return; }
      if (key === "step") {
        var n = value === "end" ? nSteps : /^\d+$/.test(value) ? parseInt(value, 10) : NaN;
        if (!(n >= 0 && n <= nSteps)) problems.push("no step " + JSON.stringify(value) + " (steps go from 0 to " + nSteps + ", or end)");
        else showStep(n, true);
      } else if (key === "node") {
        var k = nodeByName(value);
        if (k < 0) problems.push("no value named " + JSON.stringify(value));
        else { state.followSelection = true; select(k); reveal(k, function () { markSelection(); ensureVisible(elementOfValue(k)); }); }
      } else problems.push("an unknown part " + JSON.stringify(key) + " (the page reads step= and node=)");
    });
    state.readingHash = false;
    if (problems.length) status("The address names " + problems.join("; ") + ".", true);
    else status("");
    root.setAttribute("data-hash-problem", problems.length ? "yes" : "no");
    if (pic) { updateNumbers(); follow(); breadcrumb(); }
    writeHash();
  }

  /* -- events ----------------------------------------------------------------------------------------- */
  function wire() {
    ui.first.addEventListener("click", function () { pause(); showStep(0); });
    ui.prev.addEventListener("click", function () { pause(); showStep(state.step - 1); });
    ui.next.addEventListener("click", function () { pause(); showStep(state.step + 1); });
    ui.last.addEventListener("click", function () { pause(); showStep(nSteps); });
    ui.play.addEventListener("click", function () { if (state.playing) pause(); else play(); });
    ui.speed.addEventListener("change", function () { if (state.playing) { pause(); play(); } });
    ui.slider.addEventListener("input", function () { pause(); showStep(parseInt(ui.slider.value, 10)); });
    ui.apply.addEventListener("click", applyNudge);
    ui.delta.addEventListener("keydown", function (e) { if (e.key === "Enter") applyNudge(); });
    ui.reset.addEventListener("click", clearNudge);
    ui.zoomin.addEventListener("click", function () { var s = viewportSize(); zoomAt(1.25, s.w / 2, s.h / 2, true); });
    ui.zoomout.addEventListener("click", function () { var s = viewportSize(); zoomAt(0.8, s.w / 2, s.h / 2, true); });
    ui.fit.addEventListener("click", function () { fit(true); });
    ui.collapseall.addEventListener("click", collapseAll);
    ui.crumbs.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("button.cr-crumb") : null;
      if (!b) return;
      var box = parseInt(b.getAttribute("data-box"), 10);
      if (box === 0) collapseAll();
      else if (pic && pic.rep[box] === -1) collapse(box);
      else expand(box);
    });
    ui.gradTable.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("button.cr-sort") : null;
      if (b) {
        var key = b.getAttribute("data-sort");
        state.sort = state.sort[0] === key ? [key, -state.sort[1]] : [key, key === "abs" ? -1 : 1];
        buildGradTable();
        return;
      }
      var tr = e.target.closest ? e.target.closest("tr[data-index]") : null;
      if (tr) { var k = parseInt(tr.getAttribute("data-index"), 10); chooseValue(k); }
    });
    graph.addEventListener("click", function (e) {
      if (state.dragged) { state.dragged = false; return; }
      var t = e.target;
      var g = t.closest ? t.closest("g.cr-value, g.cr-op, g.cr-boxnode, g.cr-proxy, text.cr-collapse") : null;
      if (!g) return;
      activate(g);
    });
    graph.addEventListener("keydown", function (e) {
      var g = e.target.closest ? e.target.closest("g.cr-value, g.cr-op, g.cr-boxnode, g.cr-proxy, text.cr-collapse") : null;
      if (g && (e.key === "Enter" || e.key === " ")) { activate(g); e.preventDefault(); e.stopPropagation(); return; }
      if (e.key === "-" && g) {
        var b = g.hasAttribute("data-box") ? parseInt(g.getAttribute("data-box"), 10) : D.box[+g.getAttribute("data-index")];
        if (g.classList.contains("cr-boxnode")) b = boxParent[b];
        if (g.classList.contains("cr-proxy")) b = parseInt(g.getAttribute("data-within"), 10);
        if (b > 0) { collapse(b); e.preventDefault(); e.stopPropagation(); }
      }
    });
    var keyTarget = options.page ? document : root;
    if (!options.page && !root.hasAttribute("tabindex")) root.setAttribute("tabindex", "0");
    keyTarget.addEventListener("keydown", function (e) {
      var tag = e.target && e.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
      var size = viewportSize();
      if (e.key === "ArrowRight") { pause(); showStep(state.step + 1); }
      else if (e.key === "ArrowLeft") { pause(); showStep(state.step - 1); }
      else if (e.key === "Home") { pause(); showStep(0); }
      else if (e.key === "End") { pause(); showStep(nSteps); }
      else if (e.key === " " && tag !== "BUTTON") { if (state.playing) pause(); else play(); }
      else if (e.key === "+" || e.key === "=") zoomAt(1.25, size.w / 2, size.h / 2, true);
      else if (e.key === "-" && !(e.target.closest && e.target.closest(".cr-graph g, .cr-graph text"))) zoomAt(0.8, size.w / 2, size.h / 2, true);
      else if (e.key === "f") fit(true);
      else return;
      e.preventDefault();
    });
    if (options.page) window.addEventListener("hashchange", readHash);
    wirePanZoom();
  }

  function chooseValue(k) {
    state.followSelection = true;
    select(k === state.selected ? -1 : k);
    writeHash();
    if (k >= 0 && k !== -1) reveal(k, function () { markSelection(); ensureVisible(elementOfValue(k)); });
  }

  function activate(g) {
    if (g.classList.contains("cr-boxnode")) { expand(parseInt(g.getAttribute("data-box"), 10)); return; }
    if (g.classList.contains("cr-proxy")) { showProxy(g.getAttribute("id").slice(prefix.length)); return; }
    if (g.classList.contains("cr-collapse")) { collapse(parseInt(g.getAttribute("data-box"), 10)); return; }
    var k = parseInt(g.getAttribute("data-index"), 10);
    if (g.classList.contains("cr-op")) { state.followSelection = true; select(k); writeHash(); return; }
    state.followSelection = true;
    select(k === state.selected ? -1 : k);
    writeHash();
  }

  load(data);
  state.expanded = initialExpansion();
  buildControls();
  buildLegend();
  buildGradTable();
  wire();
  var stale = staleMessage();
  ui.stale.textContent = stale;
  root.setAttribute("data-stale", stale ? "yes" : "no");
  setView(1, 10, 10);
  showStep(0, true);
  select(-1);
  state.afterLayout = function () {
    state.instant = true;  // the first view is shown where it belongs, not flown to
    fit();
    if (options.page) readHash();
    if (state.step > 0 || state.selected >= 0) follow();
    state.instant = false;
  };
  render();

  return {
    showStep: showStep,
    select: function (nm) { chooseValue(nodeByName(nm)); },
    expand: expand,
    collapse: collapse,
    /* Pan (and zoom to legible) so that `el`, an element of the picture, is in view. */
    show: function (el) { ensureVisible(el, false); },
    boxInfo: function (b) { return boxInfo(b); },
    /* The DOT source of the view on screen (for Graphviz outside the page). */
    dot: function () { return pic ? pic.dot : ""; },
    /* New data for a graph of the same shape (a training step): what is expanded, the layouts and the
     * view stay; the numbers change. */
    update: function (newData) {
      var selected = state.selected, step = state.step, nudge = state.nudge;
      pause();
      load(newData);
      ui.slider.max = String(nSteps);
      state.nudge = null;
      buildGradTable();
      showStep(Math.min(step, nSteps), true);
      if (pic) {  // the picture's labels: edge derivatives and box numbers are new too
        pic.edges.forEach(function (e) {
          if (!e.el || e.id.charAt(0) !== "e" || e.steps.length > 1) return;
          var m = /^e(\d+)_(\d+)$/.exec(e.id), t = e.el.getElementsByTagName("text");
          if (m && t[0]) t[0].textContent = f(L[+m[1]][+m[2]]);
        });
        pic.edges.forEach(function (e) {
          var d = e.box === undefined ? null : boxInfo(e.box).d;
          if (!d || e.inputs.length !== 1 || !e.el) return;
          var t = e.el.getElementsByTagName("text");
          if (t[0]) t[0].textContent = f(d[e.inputs[0]]);
        });
      }
      select(selected);
      if (nudge) { state.selected = nudge.leaf; applyNudge(); }
      updateNumbers();
      var stale = staleMessage();
      ui.stale.textContent = stale;
    },
    state: state
  };
}
