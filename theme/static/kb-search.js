/* The search page puts the cursor in its search field, ready to type (as the theme's inline script did). */
(function () {
  "use strict";
  var input = document.querySelector("form.bd-search input");
  if (input) { input.focus(); input.select(); }
}());
