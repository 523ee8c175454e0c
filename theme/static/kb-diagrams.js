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
        theme: mode === "dark" ? "dark" : "default",
        flowchart: { htmlLabels: true, useMaxWidth: false },
        fontFamily: "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif"
      });
      return window.mermaid.run({ nodes: diagrams }).then(function () {
        diagrams.forEach(function (el) { el.classList.add("kb-rendered"); });
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
