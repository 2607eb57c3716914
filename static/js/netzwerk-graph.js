/* Draws the network graph with the self-hosted Cytoscape.js (progressive enhancement).
 *
 * The page always contains the same information as tables (the screen-reader version); this script
 * only reveals and fills the drawing area. Positions come from the server (a seeded spring layout),
 * so the same network always looks the same. Edge kinds differ by line style, not only by colour.
 */
(function () {
  "use strict";

  function init() {
    var container = document.getElementById("netzwerk-graph");
    var source = document.getElementById("netzwerk-daten");
    if (!container || !source || typeof window.cytoscape !== "function") {
      return;
    }
    var data;
    try {
      data = JSON.parse(source.textContent);
    } catch (e) {
      return;
    }
    if (!data.nodes || data.nodes.length === 0) {
      return;
    }
    // Distinguishable colours for communities (Okabe–Ito palette); the number is in the table too.
    var palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7f6a00", "#000000"];
    var scale = 220;
    var elements = [];
    data.nodes.forEach(function (n) {
      elements.push({
        group: "nodes",
        data: {
          id: n.id,
          label: n.name,
          colour: n.community === null || n.community === undefined ? "#6b7280" : palette[n.community % palette.length],
          size: 18 + Math.round(60 * (n.betweenness || 0)),
          isolated: n.isolated ? 1 : 0
        },
        position: { x: n.x * scale, y: n.y * scale }
      });
    });
    data.links.forEach(function (l, i) {
      elements.push({
        group: "edges",
        data: {
          id: "e" + i,
          source: l.source,
          target: l.target,
          width: 1 + 2 * Math.min(l.weight, 4),
          style: l.kinds.indexOf("partnerschaft") >= 0 ? "solid" : "dashed"
        }
      });
    });
    container.hidden = false;
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      layout: { name: "preset", fit: true, padding: 40 },
      userZoomingEnabled: true,
      boxSelectionEnabled: false,
      autoungrabify: false,
      style: [
        {
          selector: "node",
          style: {
            "background-color": "data(colour)",
            label: "data(label)",
            width: "data(size)",
            height: "data(size)",
            "font-size": 12,
            "font-family": "Fira Sans, system-ui, sans-serif",
            color: "#131525",
            "text-valign": "bottom",
            "text-margin-y": 4,
            "text-background-color": "#ffffff",
            "text-background-opacity": 0.8,
            "text-background-padding": 2
          }
        },
        {
          selector: "node[isolated = 1]",
          style: { "background-color": "#ffffff", "border-width": 3, "border-color": "#c0142b", "border-style": "double" }
        },
        {
          selector: "edge",
          style: { width: "data(width)", "line-color": "#4a4f63", "line-style": "data(style)", "curve-style": "bezier" }
        }
      ]
    });
    // The server's spring layout pushes isolated members far out and squeezes clusters together;
    // a force layout started from those positions (no randomness) spreads the labels readably.
    cy.layout({
      name: "cose",
      randomize: false,
      animate: false,
      fit: true,
      padding: 40,
      nodeRepulsion: function () { return 400000; },
      idealEdgeLength: function () { return 110; },
      componentSpacing: 80,
      nodeOverlap: 20
    }).run();
    // Cytoscape scales labels with the zoom: fitted to the canvas, a 12 px label was drawn at 5-6 px.
    // Labels (and node sizes) are set in model units so that on screen they stay readable at any
    // fitted zoom: LABEL_PX on screen, nodes at least MIN_NODE_PX.
    var LABEL_PX = 13, MIN_NODE_PX = 14;
    function readable() {
      var z = cy.zoom() || 1;
      cy.batch(function () {
        cy.nodes().forEach(function (n) {
          var size = Math.max(n.data("size"), MIN_NODE_PX / z);
          n.style({ "font-size": LABEL_PX / z, width: size, height: size, "text-margin-y": 4 / z,
                    "text-background-padding": 2 / z });
        });
      });
      // The smallest label as drawn on screen (Cytoscape's rendered style), for the browser test.
      var smallest = Infinity;
      cy.nodes().forEach(function (n) { smallest = Math.min(smallest, parseFloat(n.renderedStyle("font-size"))); });
      container.setAttribute("data-schrift-px", smallest.toFixed(1));
    }
    function fitAll() {
      cy.resize();
      // Fit the nodes with their labels, with a small margin: the drawing fills the canvas.
      cy.fit(cy.elements(), 16);
      readable();
      cy.fit(cy.elements(), 16);
      readable();
      var bb = cy.elements().renderedBoundingBox({ includeLabels: true });
      var fill = Math.max(bb.w / container.clientWidth, bb.h / container.clientHeight);
      container.setAttribute("data-fuellung", fill.toFixed(2));
    }
    fitAll();
    cy.on("zoom", readable);
    window.addEventListener("resize", fitAll);
    container.setAttribute("data-gezeichnet", String(data.nodes.length));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
