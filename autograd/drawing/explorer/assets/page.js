/* The standalone page: read the graph data and mount the explorer on the page's picture. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cr-data").textContent);
  window.chainruleExplorer = crMount(document.getElementById("cr-explorer"), data, { page: true });
})();
