/* Reader aids, from the page itself (no request, so they work from file://; no inline script):
   1. Reference previews: hover, keyboard focus or a tap on a citation marker shows the cited paragraph,
      taken from the page's own References list (built with the paragraph's full text, quotes marked).
   2. "Cite this": one shared dialog, filled from the page's data attributes, for the page and for each
      entry (directory entries, figures, events, measures, source paragraphs): plain text and BibTeX,
      with the published address (never a file:// path) and copy buttons that say "Copied".
   3. Directory pages: a filter box that narrows the entries as you type, and an A–Z strip. */
(function () {
  "use strict";

  function text(node) {
    if (!node) return "";
    var copy = node.cloneNode(true);
    copy.querySelectorAll(".headerlink, .kb-cite, .kb-cite-entry, button").forEach(function (n) { n.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  /* ---------- 1. Reference previews ---------------------------------------------------------------- */

  function initPreviews() {
    var references = {};
    document.querySelectorAll("ol.kb-references > li").forEach(function (item) {
      var link = item.querySelector("a.kb-ref-link, a");
      if (link) references[link.getAttribute("href")] = item;
    });
    var markers = Array.prototype.filter.call(
      document.querySelectorAll("sup.kb-cite a.kb-cite-link"),
      function (m) { return references[m.getAttribute("href")]; });
    if (!markers.length) return;

    var popover = document.createElement("div");
    popover.id = "kb-ref-preview";
    popover.className = "kb-preview";
    popover.setAttribute("popover", "manual");
    popover.setAttribute("role", "dialog");
    popover.setAttribute("aria-labelledby", "kb-ref-preview-title");
    document.body.appendChild(popover);
    var supported = typeof popover.showPopover === "function";

    var current = null;
    var openTimer = 0;
    var closeTimer = 0;
    var pointer = "mouse";
    var refocusing = false;  // focus given back to the marker on close must not reopen the preview

    function isOpen() { return popover.classList.contains("kb-open"); }

    function fill(marker) {
      var item = references[marker.getAttribute("href")];
      var link = item.querySelector("a");
      var label = link.textContent;
      var cut = label.lastIndexOf(", ¶");
      var title = cut > 0 ? label.slice(0, cut) : label;
      var number = cut > 0 ? label.slice(cut + 3) : "";
      popover.textContent = "";
      var head = document.createElement("p");
      head.className = "kb-preview-head";
      var strong = document.createElement("strong");
      strong.id = "kb-ref-preview-title";
      strong.textContent = title;
      head.appendChild(strong);
      if (number) {
        var para = document.createElement("span");
        para.className = "kb-preview-para";
        para.textContent = "Paragraph " + number;
        head.appendChild(para);
      }
      popover.appendChild(head);
      var body = item.querySelector(".kb-ref-text");
      if (body) {
        var quote = document.createElement("blockquote");
        quote.className = "kb-preview-text";
        var copy = body.cloneNode(true);
        copy.removeAttribute("class");
        quote.appendChild(copy);
        popover.appendChild(quote);
      }
      var actions = document.createElement("p");
      actions.className = "kb-preview-actions";
      var open = document.createElement("a");
      open.href = marker.getAttribute("href");
      open.textContent = "Open in source";
      actions.appendChild(open);
      popover.appendChild(actions);
    }

    function place(marker) {
      var box = marker.getBoundingClientRect();
      var width = popover.offsetWidth;
      var height = popover.offsetHeight;
      var viewWidth = document.documentElement.clientWidth;
      var viewHeight = window.innerHeight;
      var left = Math.min(Math.max(8, box.left + box.width / 2 - width / 2), Math.max(8, viewWidth - width - 8));
      var top = box.bottom + 8;
      if (top + height > viewHeight - 8 && box.top - 8 - height >= 8) top = box.top - 8 - height;
      else if (top + height > viewHeight - 8) top = Math.max(8, viewHeight - height - 8);
      popover.style.left = Math.round(left) + "px";
      popover.style.top = Math.round(top) + "px";
    }

    function show(marker) {
      clearTimeout(openTimer);
      clearTimeout(closeTimer);
      if (current && current !== marker) current.setAttribute("aria-expanded", "false");
      current = marker;
      fill(marker);
      if (!isOpen()) {
        if (supported) popover.showPopover();
        popover.classList.add("kb-open");
      }
      place(marker);
      marker.setAttribute("aria-expanded", "true");
    }

    function hide(returnFocus) {
      clearTimeout(openTimer);
      clearTimeout(closeTimer);
      if (!isOpen()) return;
      var hadFocus = popover.contains(document.activeElement);
      popover.classList.remove("kb-open");
      if (supported) popover.hidePopover();
      if (current) {
        current.setAttribute("aria-expanded", "false");
        if (returnFocus || hadFocus) {
          refocusing = true;
          current.focus({ preventScroll: true });
          refocusing = false;
        }
      }
    }

    function later(fn, delay) { return setTimeout(fn, delay); }

    markers.forEach(function (marker) {
      if (marker.title) { marker.dataset.kbTitle = marker.title; marker.removeAttribute("title"); }
      marker.setAttribute("aria-controls", popover.id);
      marker.setAttribute("aria-expanded", "false");
      marker.addEventListener("pointerdown", function (event) { pointer = event.pointerType || "mouse"; });
      marker.addEventListener("pointerenter", function (event) {
        if (event.pointerType !== "mouse") return;
        clearTimeout(closeTimer);
        openTimer = later(function () { show(marker); }, 120);
      });
      marker.addEventListener("pointerleave", function (event) {
        if (event.pointerType !== "mouse") return;
        clearTimeout(openTimer);
        closeTimer = later(hide, 300);
      });
      marker.addEventListener("focus", function () {
        if (refocusing || pointer === "touch" || pointer === "pen") return;  // a tap: the click decides
        show(marker);
      });
      marker.addEventListener("blur", function (event) {
        if (event.relatedTarget && popover.contains(event.relatedTarget)) return;
        if (pointer === "mouse" && marker.matches(":hover")) return;
        closeTimer = later(hide, 150);
      });
      marker.addEventListener("click", function (event) {
        // On touch, the first tap previews; a second tap on the same marker (or "Open in source") goes on.
        if ((pointer === "touch" || pointer === "pen") && !(isOpen() && current === marker)) {
          event.preventDefault();
          show(marker);
        }
      });
    });

    popover.addEventListener("pointerenter", function () { clearTimeout(closeTimer); });
    popover.addEventListener("pointerleave", function (event) {
      if (event.pointerType === "mouse") closeTimer = later(hide, 300);
    });
    popover.addEventListener("focusout", function (event) {
      if (!popover.contains(event.relatedTarget) && event.relatedTarget !== current) closeTimer = later(hide, 150);
    });
    document.addEventListener("keydown", function (event) {
      pointer = "keyboard";
      if (event.key === "Escape" && isOpen()) {
        event.preventDefault();
        hide(document.activeElement === current || popover.contains(document.activeElement));
      } else if (event.key === "Tab" && !event.shiftKey && isOpen() && document.activeElement === current) {
        // Tab from the marker enters the preview (its "Open in source" link); Tab again leaves it.
        event.preventDefault();
        popover.querySelector("a").focus();
      }
    });
    popover.addEventListener("keydown", function (event) {
      if (event.key === "Tab" && current) {
        event.preventDefault();
        var back = current;
        hide(false);
        var all = Array.prototype.slice.call(document.querySelectorAll("a[href], button:not([hidden]), input, [tabindex='0']"))
          .filter(function (n) { return n.offsetParent !== null || n === back; });
        var index = all.indexOf(back);
        var next = event.shiftKey ? back : all[index + 1] || back;
        next.focus();
      }
    });
    document.addEventListener("pointerdown", function (event) {
      pointer = event.pointerType || "mouse";
      if (isOpen() && !popover.contains(event.target) && !(current && current.contains(event.target))) hide(false);
    }, true);
    window.addEventListener("scroll", function () { if (isOpen() && current) place(current); }, { passive: true });
    window.addEventListener("resize", function () { if (isOpen() && current) place(current); });
  }

  /* ---------- 2. Cite this -------------------------------------------------------------------------- */

  function bibEscape(value) { return value.replace(/([{}%&#_$\\])/g, "\\$1"); }

  function slug(value) { return value.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, ""); }

  function citation(page, entry) {
    var url = page.url + (entry ? "#" + entry.id : "");
    var title = entry ? entry.title : page.title;
    var plain = "“" + title + "”. " + (entry ? "In: " + page.title + ". " : "") + page.site +
      ", edition of " + page.edition + ". " + url;
    var key = "nhekb-" + slug(page.url.replace(/^https?:\/\/[^/]+\//, "").replace(/\.html$/, "") || "index") +
      (entry ? "-" + slug(entry.id) : "") + "-" + page.edition.slice(0, 4);
    var bib = "@misc{" + key + ",\n" +
      "  title        = {" + bibEscape(title) + "},\n" +
      (entry ? "  booktitle    = {" + bibEscape(page.title) + "},\n" : "") +
      "  organization = {" + bibEscape(page.site) + "},\n" +
      "  year         = {" + page.edition.slice(0, 4) + "},\n" +
      "  note         = {Edition of " + page.edition + "},\n" +
      "  url          = {" + url + "}\n}";
    return { url: url, title: title, plain: plain, bib: bib };
  }

  function copyText(value) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(value).catch(function () { return legacyCopy(value); });
    }
    return legacyCopy(value);
  }

  function legacyCopy(value) {
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = value;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
      if (ok) resolve(); else reject(new Error("copy refused"));
    });
  }

  function entryTitle(node, pageTitle) {
    if (node.classList.contains("kb-para")) {
      var number = node.id.replace(/^p/, "");
      return pageTitle.replace(/^Source:\s*/, "") + ", paragraph " + number;
    }
    if (node.tagName === "SECTION") return text(node.querySelector("h1, h2, h3, h4"));
    var cells = node.querySelectorAll("td, th");
    var first = text(cells[0]);
    var event = node.querySelector(".kb-event-title");
    if (event) return first + ": " + text(event);
    var strong = cells[0] && cells[0].querySelector("strong");
    return strong ? text(strong) : first;
  }

  function initCite() {
    var pageButton = document.querySelector("button.kb-cite-page");
    if (!pageButton) return;
    var page = {
      url: pageButton.dataset.kbUrl, title: pageButton.dataset.kbTitle,
      site: pageButton.dataset.kbSite, edition: pageButton.dataset.kbEdition
    };

    var dialog = document.createElement("dialog");
    dialog.id = "kb-cite-dialog";
    dialog.className = "kb-cite-dialog";
    dialog.setAttribute("aria-labelledby", "kb-cite-heading");
    dialog.innerHTML =
      '<h2 id="kb-cite-heading">Cite this</h2>' +
      '<p class="kb-cite-what"></p>' +
      '<p class="kb-cite-address"><span>Address:</span> <a class="kb-cite-url"></a></p>' +
      '<h3>Plain text</h3><pre class="kb-cite-plain"></pre>' +
      '<h3>BibTeX</h3><pre class="kb-cite-bib"></pre>' +
      '<div class="kb-cite-buttons">' +
      '<button type="button" class="kb-copy" data-kb-copy="url">Copy address</button>' +
      '<button type="button" class="kb-copy" data-kb-copy="plain" autofocus>Copy plain text</button>' +
      '<button type="button" class="kb-copy" data-kb-copy="bib">Copy BibTeX</button>' +
      '<button type="button" class="kb-cite-close">Close</button></div>' +
      '<p class="kb-cite-status" role="status" aria-live="polite"></p>';
    document.body.appendChild(dialog);
    var currentCitation = null;
    var opener = null;

    function open(entry, button) {
      currentCitation = citation(page, entry);
      opener = button;
      dialog.querySelector(".kb-cite-what").textContent = entry ? "“" + currentCitation.title + "”, on " + page.title : page.title;
      var link = dialog.querySelector(".kb-cite-url");
      link.href = currentCitation.url;
      link.textContent = currentCitation.url;
      dialog.querySelector(".kb-cite-plain").textContent = currentCitation.plain;
      dialog.querySelector(".kb-cite-bib").textContent = currentCitation.bib;
      dialog.querySelector(".kb-cite-status").textContent = "";
      dialog.querySelectorAll(".kb-copy").forEach(function (b) { b.textContent = b.dataset.kbLabel || b.textContent; });
      dialog.showModal();
    }

    dialog.querySelectorAll(".kb-copy").forEach(function (button) {
      button.dataset.kbLabel = button.textContent;
      button.addEventListener("click", function () {
        if (!currentCitation) return;
        var status = dialog.querySelector(".kb-cite-status");
        status.textContent = "";
        copyText(currentCitation[button.dataset.kbCopy]).then(function () {
          dialog.querySelectorAll(".kb-copy").forEach(function (b) { b.textContent = b.dataset.kbLabel; });
          button.textContent = "Copied";
          status.textContent = "Copied to the clipboard.";
        }, function () {
          status.textContent = "Your browser refused to copy: select the text above and copy it.";
        });
      });
    });
    dialog.querySelector(".kb-cite-close").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("click", function (event) { if (event.target === dialog) dialog.close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); dialog.close(); }
    });
    dialog.addEventListener("close", function () { if (opener) opener.focus(); });

    pageButton.hidden = false;
    pageButton.addEventListener("click", function () { open(null, pageButton); });

    // Every entry gets a small "Cite" button: directory entries and measures (sections), figures, events
    // and themes (table rows with an id), and source paragraphs.
    var entries = document.querySelectorAll(
      "article section.kb-entry[id], article tr[id], article .kb-source-text .kb-para[id]");
    entries.forEach(function (node) {
      var title = entryTitle(node, page.title);
      if (!title) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kb-cite-entry";
      button.textContent = "Cite";
      button.setAttribute("aria-label", "Cite " + title);
      button.addEventListener("click", function () { open({ id: node.id, title: title }, button); });
      if (node.tagName === "SECTION") {
        var heading = node.querySelector("h1, h2, h3, h4");
        heading.insertAdjacentElement("afterend", button);
      } else if (node.tagName === "TR") {
        node.querySelector("td, th").appendChild(button);
      } else {
        node.appendChild(button);
      }
    });
  }

  /* ---------- 3. Directory filter and A–Z ----------------------------------------------------------- */

  // The letter the build gave the entry (class kb-az-X, from its sort key: people by family name).
  function letterOf(entry) {
    for (var i = 0; i < entry.classList.length; i += 1) {
      var match = /^kb-az-(.+)$/.exec(entry.classList[i]);
      if (match) return match[1] === "other" ? "#" : match[1];
    }
    return "#";
  }

  function initDirectory() {
    // The filter and the A–Z strip are in the page already (kb_ext/site/navigation.py): added here,
    // they moved every entry down after the page was shown.
    var tools = document.querySelector(".kb-dir-tools");
    var entries = Array.prototype.slice.call(document.querySelectorAll("section.kb-dir-entry"));
    if (!tools || entries.length < 2) return;
    var records = entries.map(function (entry) {
      var name = text(entry.querySelector("h2, h3"));
      var summary = entry.querySelector(".kb-summary");
      return { node: entry, letter: letterOf(entry), haystack: (name + " " + text(summary)).toLowerCase() };
    });
    var input = tools.querySelector("input");
    var count = tools.querySelector(".kb-dir-count");
    var list = tools.querySelector(".kb-az ul");
    // The strip's letters as the build wrote them (A–Z, and "#" only where an entry needs it).
    var letters = Array.prototype.map.call(list.children, function (li) { return li.textContent; });

    function update() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      var first = {};
      records.forEach(function (record) {
        var match = words.every(function (w) { return record.haystack.indexOf(w) !== -1; });
        record.node.hidden = !match;
        if (match) {
          shown += 1;
          if (!first[record.letter]) first[record.letter] = record.node.id;
        }
      });
      count.textContent = words.length ? shown + " of " + records.length + " entries match"
        : records.length + " entries";
      list.textContent = "";
      letters.forEach(function (letter) {
        var li = document.createElement("li");
        if (first[letter]) {
          var a = document.createElement("a");
          a.href = "#" + first[letter];
          a.textContent = letter;
          li.appendChild(a);
        } else {
          var span = document.createElement("span");
          span.textContent = letter;
          span.className = "kb-az-none";
          li.appendChild(span);
        }
        list.appendChild(li);
      });
    }
    input.addEventListener("input", update);
    update();
  }

  /* ---------- 4. Phones: stacked tables, the source's name in view --------------------------------- */

  function initLayout() {
    // Each body cell is labelled with its column's header, shown above the cell when a table is stacked.
    document.querySelectorAll(".bd-article table").forEach(function (table) {
      var head = table.querySelector("thead tr");
      if (!head) return;
      var labels = Array.prototype.map.call(head.children, function (cell) { return text(cell); });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (labels[index]) cell.setAttribute("data-label", labels[index]);
        });
      });
      table.classList.add("kb-stack");
    });
    // Source pages: a slim sticky title above the paragraphs, below the theme's sticky header.
    var source = document.querySelector(".kb-source-text");
    var heading = document.querySelector(".bd-article h1");
    if (source && heading) {
      var sticky = document.createElement("p");
      sticky.className = "kb-source-sticky";
      sticky.setAttribute("aria-hidden", "true");
      sticky.textContent = text(heading);
      source.insertBefore(sticky, source.firstChild);
    }
    var header = document.querySelector(".bd-header-article");
    function measure() {
      var height = header && getComputedStyle(header).position === "sticky" ? header.offsetHeight : 0;
      document.documentElement.style.setProperty("--kb-header-height", height + "px");
    }
    measure();
    window.addEventListener("resize", measure);
    if (source && location.hash && /^#p\d+$/.test(location.hash)) {
      var target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  function init() {
    initLayout();
    initPreviews();
    initCite();
    initDirectory();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
