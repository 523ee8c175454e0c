/* What the pages used from the theme's Bootstrap bundle (80 KB with Popper, which the build leaves
   out: kb_ext/site/purge.py): the colour-mode dropdown in the header and the
   back-to-top button. Tooltips are the browser's own, from the buttons' title attributes. */
(function () {
  "use strict";
  var TOGGLE = '[data-bs-toggle="dropdown"]';

  function menuOf(toggle) { return toggle.parentElement && toggle.parentElement.querySelector(".dropdown-menu"); }

  function setOpen(toggle, open) {
    var menu = menuOf(toggle);
    if (!menu) { return; }
    menu.classList.toggle("show", open);
    toggle.classList.toggle("show", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {  // where Popper put it: just below the button, aligned to its end (or start)
      var end = menu.classList.contains("dropdown-menu-end");
      menu.style.position = "absolute";
      menu.style.inset = end ? "0px 0px auto auto" : "0px auto auto 0px";
      menu.style.margin = "0px";
      menu.style.transform = "translate(0px, " + (toggle.offsetHeight + 2) + "px)";
    }
  }

  function openToggles() { return Array.prototype.slice.call(document.querySelectorAll(TOGGLE + '[aria-expanded="true"]')); }

  function items(menu) { return Array.prototype.slice.call(menu.querySelectorAll(".dropdown-item:not(.disabled):not(:disabled)")); }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(TOGGLE), function (toggle) {
      toggle.setAttribute("aria-expanded", "false");
    });

    document.addEventListener("click", function (event) {
      var toggle = event.target.closest(TOGGLE);
      openToggles().forEach(function (other) { if (other !== toggle) { setOpen(other, false); } });
      if (toggle) {
        event.preventDefault();
        setOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
      }
    });

    document.addEventListener("keydown", function (event) {
      var open = openToggles()[0];
      if (!open) {
        var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(TOGGLE);
        if (focused && event.key === "ArrowDown") {
          event.preventDefault();
          setOpen(focused, true);
          (items(menuOf(focused))[0] || focused).focus();
        }
        return;
      }
      if (event.key === "Escape" || event.key === "Tab") {
        setOpen(open, false);
        if (event.key === "Escape") { open.focus(); }
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var list = items(menuOf(open));
        var at = list.indexOf(document.activeElement);
        var next = event.key === "ArrowDown" ? Math.min(at + 1, list.length - 1) : Math.max(at - 1, 0);
        if (list[next]) { list[next].focus(); }
      }
    });

    var top = document.getElementById("pst-back-to-top");
    var header = document.querySelector(".bd-header");
    if (top) {
      top.addEventListener("click", function () {
        document.body.scrollTop = 0;
        document.documentElement.scrollTop = 0;
      });
      var last = window.scrollY;
      var limit = header ? header.getBoundingClientRect().bottom : 0;
      window.addEventListener("scroll", function () {
        top.style.display = last > window.scrollY && window.scrollY > limit ? "block" : "none";
        last = window.scrollY;
      }, { passive: true });
    }
  }

  if (document.readyState !== "loading") { init(); } else { document.addEventListener("DOMContentLoaded", init); }
}());
