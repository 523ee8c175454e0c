/* Renders the page's mermaid diagrams with the local mermaid.min.js, in the theme's light or dark
   mode, and again whenever the reader switches mode. A classic script, so it works from file://. */
function kbRenderDiagrams() {
  "use strict";
  var diagrams = Array.prototype.slice.call(document.querySelectorAll("pre.mermaid"));
  if (!diagrams.length || !window.mermaid) { return; }
  diagrams.forEach(function (el) { el.setAttribute("data-kb-source", el.textContent); });

  function isDark() {
    return document.documentElement.getAttribute("data-theme") === "dark";
  }

  // Our own palettes, so every label keeps a contrast of at least 4.5:1 in both modes.
  var PALETTES = {
    light: {
      background: "#ffffff", primaryColor: "#e8eefc", primaryTextColor: "#111827", primaryBorderColor: "#3b6fc4",
      secondaryColor: "#fdf3e1", tertiaryColor: "#f3f5f9", lineColor: "#374151", textColor: "#111827",
      edgeLabelBackground: "#ffffff", clusterBkg: "#f3f5f9", clusterBorder: "#8792a2", titleColor: "#111827",
      xyChart: { plotColorPalette: "#3b6fc4", titleColor: "#111827", xAxisLabelColor: "#111827",
                 yAxisLabelColor: "#111827", xAxisTitleColor: "#111827", yAxisTitleColor: "#111827",
                 xAxisLineColor: "#374151", yAxisLineColor: "#374151", xAxisTickColor: "#374151",
                 yAxisTickColor: "#374151", backgroundColor: "#ffffff" }
    },
    dark: {
      background: "#121212", primaryColor: "#1f2a3d", primaryTextColor: "#f3f4f6", primaryBorderColor: "#8db4f5",
      secondaryColor: "#3a2f1c", tertiaryColor: "#1a1f27", lineColor: "#d1d5db", textColor: "#f3f4f6",
      edgeLabelBackground: "#121212", clusterBkg: "#1a1f27", clusterBorder: "#6b7280", titleColor: "#f3f4f6",
      xyChart: { plotColorPalette: "#8db4f5", titleColor: "#f3f4f6", xAxisLabelColor: "#f3f4f6",
                 yAxisLabelColor: "#f3f4f6", xAxisTitleColor: "#f3f4f6", yAxisTitleColor: "#f3f4f6",
                 xAxisLineColor: "#d1d5db", yAxisLineColor: "#d1d5db", xAxisTickColor: "#d1d5db",
                 yAxisTickColor: "#d1d5db", backgroundColor: "#121212" }
    }
  };

  var rendering = Promise.resolve();
  var renderedMode = null;

  function render() {
    var mode = isDark() ? "dark" : "light";
    if (mode === renderedMode) { return rendering; }
    renderedMode = mode;
    rendering = rendering.then(function () {
      diagrams.forEach(function (el) {
        el.removeAttribute("data-processed");
        el.classList.remove("kb-rendered");
        el.textContent = el.getAttribute("data-kb-source");
      });
      window.mermaid.initialize({
        startOnLoad: false,
        securityLevel: "loose",
        theme: "base",
        themeVariables: PALETTES[mode],
        flowchart: { htmlLabels: true, useMaxWidth: false },
        xyChart: { useMaxWidth: false, width: 640, height: 400 },
        fontFamily: "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif"
      });
      return window.mermaid.run({ nodes: diagrams }).then(function () {
        diagrams.forEach(function (el) {
          // Keep labels at their natural size: a diagram wider than the screen scrolls in its box.
          var svg = el.querySelector("svg");
          if (svg && svg.getAttribute("width") === "100%" && svg.style.maxWidth) {
            svg.style.width = svg.style.maxWidth;
            svg.style.maxWidth = "none";
          }
          el.classList.add("kb-rendered");
        });
        document.documentElement.setAttribute("data-kb-diagrams", mode);
      });
    }).catch(function (error) {
      console.error("Diagram rendering failed:", error);
    });
    return rendering;
  }

  new MutationObserver(render).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  render();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", kbRenderDiagrams);
} else {
  kbRenderDiagrams();
}
