/* Light or dark before the page is drawn: the reader's saved choice, else the site's default (the
   data-theme the page is written with). The theme does this with an inline script, which a strict
   Content Security Policy refuses; this file does the same from our own origin. */
(function () {
  "use strict";
  var root = document.documentElement;
  var fallback = root.getAttribute("data-theme") || "auto";
  var saved = function (key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } };
  root.dataset.mode = saved("mode") || fallback;
  root.dataset.theme = saved("theme") || fallback;
}());
