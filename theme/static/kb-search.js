/* The knowledge base's search page. Reads the index the build writes (window.KB_SEARCH_INDEX, from
   _static/kb-search-index.js, loaded by a plain <script> tag: no fetch, so it works from file://).

   Ranking: entries whose name (any spelling the texts use) matches every word come first, best match
   first; then pages and sections whose title matches; then everything whose text matches. Words are
   folded (case, diacritics: ø/o, é/e, å/a), may be prefixes, and may have one typo if five letters
   or longer; numbers match as written. Results stay <li> items under #search-results, link first. */
(function () {
  "use strict";

  var KINDS = {
    o: ["Organisation", "Organisations"], c: ["Company", "Companies"], h: ["Person", "People"],
    m: ["Measure", "Measures"], f: ["Figure", "Figures"], e: ["Event", "Events"], t: ["Theme", "Themes"],
    g: ["Term", "Glossary terms"], s: ["Source text", "Source paragraphs"], p: ["Page", "Pages"],
    x: ["Section", "Sections"]
  };
  var ENTRY = "ochmfetg";
  var KIND_ORDER = "ochmgfetpxs";
  var STOP = {};
  ("a an and are as at be by for from has have in is it its of on or s the to was were what when where " +
   "which who with").split(" ").forEach(function (w) { STOP[w] = true; });
  var SPECIAL = { "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ð": "d" };
  var TOKEN = /[\p{L}\p{N}]+(?:[.,]\p{N}+)*/gu;
  var GENERIC = 8;  // entries whose names share a word, above which the word is not distinctive
  var PAGE_SIZE = 30;  // results drawn at once; "Show more" draws the next ones
  var SNIPPET = 220;

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[øæœßđłþð]/g, function (c) { return SPECIAL[c]; });
  }

  function tokens(text) {
    return fold(text).match(TOKEN) || [];
  }

  function isNumber(token) { return /^[0-9]/.test(token); }

  /* At most one edit (insertion, deletion, substitution or swap of neighbours) apart? */
  function oneEdit(a, b) {
    var la = a.length, lb = b.length;
    if (Math.abs(la - lb) > 1) { return false; }
    var i = 0;
    while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) { i++; }
    if (la === lb) {
      if (i === la) { return true; }
      if (a.slice(i + 1) === b.slice(i + 1)) { return true; }
      return i + 1 < la && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
    }
    return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }

  /* Edit distance, or limit + 1 once it is certainly larger. */
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) { return limit + 1; }
    var previous = [], current, i, j;
    for (j = 0; j <= b.length; j++) { previous.push(j); }
    for (i = 1; i <= a.length; i++) {
      current = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost));
        best = Math.min(best, current[j]);
      }
      if (best > limit) { return limit + 1; }
      previous = current;
    }
    return previous[b.length];
  }

  /* ---- The index, prepared once in the browser from the records the build wrote ---- */

  function Index(data) {
    var self = this;
    this.pages = data.pages;
    this.records = [];
    this.text = new Map();   // token -> record ids (names, titles and text)
    this.names = new Map();  // token -> ids of entries with that token in a name
    this.heads = new Map();  // token -> ids of pages and sections with that token in their title
    function post(map, token, id) {
      var ids = map.get(token);
      if (!ids) { map.set(token, [id]); } else if (ids[ids.length - 1] !== id) { ids.push(id); }
    }
    data.records.forEach(function (row, id) {
      var record = { id: id, kind: row[0], page: row[1], anchor: row[2], title: row[3], names: row[4],
                     text: row[5], detail: row[6] || "" };
      var names = [record.title].concat(record.names);
      record.nameTokens = names.map(tokens);
      var foldedText = fold(record.text);  // folded once: for the phrase test and for the words
      record.folded = fold(names.join(" | ")) + " | " + foldedText;
      record.url = data.pages[record.page][0] + (record.anchor ? "#" + record.anchor : "");
      var isEntry = ENTRY.indexOf(record.kind) >= 0, isHead = record.kind === "p" || record.kind === "x";
      record.nameTokens.forEach(function (list) {
        list.forEach(function (token) {
          post(self.text, token, id);
          if (isEntry) { post(self.names, token, id); }
          if (isHead) { post(self.heads, token, id); }
        });
      });
      (foldedText.match(TOKEN) || []).forEach(function (token) { post(self.text, token, id); });
      self.records.push(record);
    });
    this.vocabulary = Array.from(this.text.keys()).sort();
    this.nameVocabulary = Array.from(this.names.keys());
  }

  /* The index's words a query word stands for, each with how well it matches (1 exact, less if not). */
  Index.prototype.expand = function (word) {
    var found = new Map(), vocabulary = this.vocabulary;
    if (this.text.has(word)) { found.set(word, 1); }
    if (isNumber(word)) { return found; }
    var singular = word.length >= 4 && /[^s]s$/.test(word) ? word.slice(0, -1) : "";  // "SMEs" finds "SME"
    if (singular && this.text.has(singular) && !found.has(singular)) { found.set(singular, 0.9); }
    if (word.length >= 2) {
      var low = 0, high = vocabulary.length;
      while (low < high) {
        var middle = (low + high) >> 1;
        if (vocabulary[middle] < word) { low = middle + 1; } else { high = middle; }
      }
      for (var i = low; i < vocabulary.length && vocabulary[i].lastIndexOf(word, 0) === 0; i++) {
        if (!found.has(vocabulary[i])) { found.set(vocabulary[i], 0.75 * word.length / vocabulary[i].length + 0.1); }
      }
    }
    if (word.length >= 5 && !this.text.has(word)) {  // a typo only where the word itself is not in the texts
      for (var j = 0; j < vocabulary.length; j++) {
        var candidate = vocabulary[j];
        if (!found.has(candidate) && Math.abs(candidate.length - word.length) <= 1 && oneEdit(word, candidate)) {
          found.set(candidate, 0.6);
        }
      }
    }
    return found;
  };

  /* Per record, the best quality with which one query word matched, in the map's field. */
  function qualities(map, expansion) {
    var best = new Map();
    expansion.forEach(function (quality, token) {
      (map.get(token) || []).forEach(function (id) {
        if (!(best.get(id) >= quality)) { best.set(id, quality); }
      });
    });
    return best;
  }

  Index.prototype.search = function (query) {
    var self = this;
    var words = tokens(query);
    var meaningful = words.filter(function (w) { return !STOP[w]; });
    if (meaningful.length) { words = meaningful; }
    words = words.filter(function (w, i) { return words.indexOf(w) === i; });
    if (!words.length) { return { words: [], results: [], partial: false, marks: new Set() }; }
    var expansions = words.map(function (w) { return self.expand(w); });
    var marks = new Set();
    expansions.forEach(function (e) { e.forEach(function (q, token) { marks.add(token); }); });
    var inText = expansions.map(function (e) { return qualities(self.text, e); });
    // A word in the names of many entries ("measure", "norway") does not single one out: entries found
    // by such words alone are not put first, unless the query is their whole name.
    var distinctive = expansions.some(function (e) { return qualities(self.names, e).size <= GENERIC; });
    var inHeads = expansions.map(function (e) { return qualities(self.heads, e); });
    var phrase = words.length > 1 ? fold(query).replace(/\s+/g, " ").trim() : "";

    function collect(required) {
      var candidates = new Map();
      inText.forEach(function (found, w) {
        found.forEach(function (quality, id) {
          var entry = candidates.get(id);
          if (!entry) { entry = { count: 0, sum: 0 }; candidates.set(id, entry); }
          entry.count++;
          entry.sum += quality;
        });
      });
      var results = [];
      candidates.forEach(function (entry, id) {
        if (entry.count < required) { return; }
        var record = self.records[id];
        var tier = 2, score = entry.sum / words.length;
        var name = ENTRY.indexOf(record.kind) >= 0 ? self.nameScore(record, expansions) : 0;
        if (name > 0 && entry.count === words.length && (distinctive || name >= 0.9)) {
          tier = 0;
          score = name;
        } else if (inHeads.every(function (found) { return found.has(record.id); })) {
          tier = 1;
          var heading = record.nameTokens[0].filter(function (t) { return !STOP[t]; }).length || 1;
          score = inHeads.reduce(function (sum, found) { return sum + found.get(record.id); }, 0) / words.length *
            Math.min(1, words.length / heading);  // the heading that is most nearly the query first
        } else {
          score += name;  // among the rest, a name that matches still counts most
        }
        if (phrase && record.folded.indexOf(phrase) >= 0) { score += 0.5; }
        results.push({ record: record, tier: tier, score: score + entry.count });
      });
      return results;
    }

    var results = collect(words.length), partial = false;
    if (!results.length && words.length > 1) {
      results = collect(1);
      partial = results.length > 0;
    }
    results.sort(function (a, b) {
      return a.tier - b.tier || b.score - a.score || a.record.id - b.record.id;
    });
    var seen = new Set();
    results = results.filter(function (r) {
      if (seen.has(r.record.url)) { return false; }
      seen.add(r.record.url);
      return true;
    });
    return { words: words, results: results, partial: partial, marks: marks, expansions: expansions };
  };

  /* How well the query names an entry: by its best name, where every word must match. */
  Index.prototype.nameScore = function (record, expansions) {
    var best = 0;
    record.nameTokens.forEach(function (nameTokens) {
      if (!nameTokens.length) { return; }
      var sum = 0;
      for (var w = 0; w < expansions.length; w++) {
        var quality = 0;
        for (var t = 0; t < nameTokens.length; t++) {
          var q = expansions[w].get(nameTokens[t]);
          if (q > quality) { quality = q; }
        }
        if (!quality) { return; }
        sum += quality;
      }
      var significant = nameTokens.filter(function (t) { return !STOP[t]; }).length || nameTokens.length;
      var score = sum / expansions.length * Math.min(1, expansions.length / significant);
      if (score > best) { best = score; }
    });
    return best;
  };

  /* Entries whose names are close to the query's words: the empty state's "did you mean". */
  Index.prototype.similar = function (words) {
    var self = this, found = new Map();
    words.forEach(function (word) {
      if (word.length < 4 || isNumber(word)) { return; }
      var limit = word.length >= 7 ? 3 : 2;
      self.nameVocabulary.forEach(function (token) {
        var d = distance(word, token, limit);
        if (d <= limit) {
          self.names.get(token).forEach(function (id) {
            if (!found.has(id) || found.get(id) > d) { found.set(id, d); }
          });
        }
      });
    });
    return Array.from(found.keys()).sort(function (a, b) { return found.get(a) - found.get(b) || a - b; })
      .slice(0, 6).map(function (id) { return self.records[id]; });
  };

  /* ---- Rendering ---- */

  function escape(text) {
    return text.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }

  /* The text as HTML, each word that matched the query in <mark>. */
  function marked(text, marks) {
    var html = "", last = 0, match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (marks.has(fold(match[0]))) {
        html += escape(text.slice(last, match.index)) + "<mark>" + escape(match[0]) + "</mark>";
        last = match.index + match[0].length;
      }
    }
    return html + escape(text.slice(last));
  }

  /* A short excerpt of the text around its first matching word. */
  function excerpt(text, marks) {
    var start = 0, match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (marks.has(fold(match[0]))) { start = match.index; break; }
    }
    if (text.length <= SNIPPET) { return text; }
    var from = Math.max(0, start - 70);
    if (from > 0) {
      var space = text.indexOf(" ", from);
      from = space >= 0 && space < start ? space + 1 : from;
    }
    var to = Math.min(text.length, from + SNIPPET);
    if (to < text.length) {
      var cut = text.lastIndexOf(" ", to);
      if (cut > start) { to = cut; }
    }
    return (from > 0 ? "… " : "") + text.slice(from, to) + (to < text.length ? " …" : "");
  }

  function label(record) {
    if (record.kind === "m") { return "Measure " + record.detail; }
    if (record.kind === "s") { return "Source text ¶" + record.detail; }
    return KINDS[record.kind][0];
  }

  function element(tag, className, html) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (html !== undefined) { node.innerHTML = html; }
    return node;
  }

  function Page(index) {
    this.index = index;
    this.input = document.querySelector(".kb-search form.bd-search input[name=q]");
    this.results = document.getElementById("search-results");
    this.filter = "";
    this.last = null;
  }

  Page.prototype.run = function (query, keepUrl) {
    var started = performance.now();
    var found = this.index.search(query);
    this.last = { query: query, found: found };
    this.render(query, found);
    if (!keepUrl) { this.remember(query); }
    var ms = performance.now() - started;
    document.dispatchEvent(new CustomEvent("kb-search:rendered",
      { detail: { query: query, count: found.results.length, ms: ms } }));
  };

  Page.prototype.remember = function (query) {
    try {
      var url = new URL(window.location.href);
      if (query) { url.searchParams.set("q", query); } else { url.searchParams.delete("q"); }
      window.history.replaceState(null, "", url.href);
    } catch (error) { /* some browsers refuse history changes on file:// pages: the page still works */ }
  };

  Page.prototype.render = function (query, found) {
    var self = this, box = this.results, status = this.status;
    while (box.lastChild && box.lastChild !== status) { box.removeChild(box.lastChild); }
    if (!query.trim()) {
      status.textContent = "Type a name, a number or any words of the texts.";
      return;
    }
    if (!found.results.length) {
      this.renderEmpty(query, found, status);
      return;
    }
    var counts = {};
    found.results.forEach(function (r) { counts[r.record.kind] = (counts[r.record.kind] || 0) + 1; });
    var total = found.results.length;
    status.textContent = total + (total === 1 ? " result" : " results") + " for “" + query + "”" +
      (found.partial ? " (no result has all the words; these have some of them)" : "") + ".";
    var kinds = element("p", "kb-search-kinds");
    kinds.setAttribute("aria-label", "Show results of one kind");
    kinds.appendChild(document.createTextNode("Show: "));
    var all = element("button", "kb-kind-filter");
    all.type = "button";
    all.textContent = "all " + total;
    all.dataset.kind = "";
    kinds.appendChild(all);
    KIND_ORDER.split("").forEach(function (kind) {
      if (!counts[kind]) { return; }
      var button = element("button", "kb-kind-filter");
      button.type = "button";
      button.dataset.kind = kind;
      button.textContent = counts[kind] + " " + KINDS[kind][counts[kind] === 1 ? 0 : 1].toLowerCase();
      kinds.appendChild(button);
    });
    if (this.filter && !counts[this.filter]) { this.filter = ""; }
    kinds.querySelectorAll("button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.kind === self.filter));
      button.addEventListener("click", function () {
        self.filter = button.dataset.kind;
        self.render(query, found);
      });
    });
    box.appendChild(kinds);
    var list = element("ul", "search kb-search-list");
    var shown = found.results.filter(function (r) { return !self.filter || r.record.kind === self.filter; });
    box.appendChild(list);
    var drawn = 0;
    var more = element("button", "kb-search-more");
    more.type = "button";
    function draw() {
      var first = drawn;
      shown.slice(drawn, drawn + PAGE_SIZE).forEach(function (result) {
        list.appendChild(self.item(result.record, found.marks));
      });
      drawn = Math.min(shown.length, drawn + PAGE_SIZE);
      if (drawn < shown.length) {
        more.textContent = "Show more (" + (shown.length - drawn) + " left)";
      } else if (more.parentNode) {
        more.parentNode.removeChild(more);
      }
      return list.children[first];
    }
    draw();
    if (drawn < shown.length) {
      box.appendChild(more);
      more.addEventListener("click", function () {
        var next = draw();
        if (next) { next.querySelector("a").focus(); }
      });
    }
  };

  Page.prototype.item = function (record, marks) {
    var item = element("li", "kb-result kb-kind-" + record.kind);
    var link = element("a", "kb-result-title", marked(record.title, marks));
    link.href = record.url;
    item.appendChild(link);
    var meta = element("span", "kb-result-meta");
    var kind = element("span", "kb-result-kind");
    kind.textContent = label(record);
    meta.appendChild(kind);
    var where = this.index.pages[record.page][1];
    var other = record.names.filter(function (n) { return n !== record.title; });
    var about = record.kind === "m" ? "" : record.detail && record.kind !== "s" ? record.detail : "";
    if (record.kind === "p") { where = ""; }
    var context = [about, where ? "in " + where : ""].filter(Boolean).join(" · ");
    if (context) { meta.appendChild(document.createTextNode(" · " + context)); }
    item.appendChild(meta);
    var text = record.text || other.join("; ");
    if (other.length && ENTRY.indexOf(record.kind) >= 0 && record.kind !== "m" && record.kind !== "f" &&
        other.some(function (n) { return tokens(n).some(function (t) { return marks.has(t); }); })) {
      text = "Also named: " + other.join("; ") + ". " + text;
    }
    item.appendChild(element("p", "kb-result-snippet", marked(excerpt(text, marks), marks)));
    return item;
  };

  Page.prototype.renderEmpty = function (query, found, status) {
    var box = this.results, index = this.index;
    status.textContent = "Nothing matches “" + query + "”.";
    var help = element("div", "kb-search-empty");
    var similar = index.similar(found.words.length ? found.words : tokens(query));
    if (similar.length) {
      help.appendChild(element("p", "", "Did you mean one of these?"));
      var list = element("ul", "kb-search-similar");
      similar.forEach(function (record) {
        var item = element("li");
        var link = element("a", "", escape(record.title));
        link.href = record.url;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" (" + label(record) + ")"));
        list.appendChild(item);
      });
      help.appendChild(list);
    }
    var links = index.pages.filter(function (p) {
      return p[0] === "directory/index.html" || p[0] === "glossary.html";
    });
    var browse = element("p", "", "Check the spelling, use fewer words, or browse ");
    links.forEach(function (p, i) {
      var link = element("a", "", escape(p[1]));
      link.href = p[0];
      if (i) { browse.appendChild(document.createTextNode(" or ")); }
      browse.appendChild(link);
    });
    browse.appendChild(document.createTextNode("."));
    help.appendChild(browse);
    box.appendChild(help);
  };

  /* Arrow keys: from the field into the results, and between them; Escape goes back to the field. */
  Page.prototype.keys = function (event) {
    var links = Array.prototype.slice.call(this.results.querySelectorAll("li > a"));
    var position = links.indexOf(document.activeElement);
    var next = null;
    if (event.key === "ArrowDown") {
      next = event.target === this.input ? links[0] : links[position + 1];
    } else if (event.key === "ArrowUp" && position >= 0) {
      next = position === 0 ? this.input : links[position - 1];
    } else if (event.key === "Escape" && position >= 0) {
      next = this.input;
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  };

  /* The index is a script of its own (_static/kb-search-index.js), loaded when first needed: at once
     for ?q=, else at the reader's first key press, so the page itself stays light. A <script> element,
     not fetch(): it works from file:// and under the Content Security Policy. */
  function loadIndex(url, done) {
    if (window.KB_SEARCH_INDEX) { done(); return; }
    var script = document.createElement("script");
    script.src = url;
    script.addEventListener("load", done);
    script.addEventListener("error", function () {
      var results = document.getElementById("search-results");
      if (results) { results.textContent = "The search index could not be loaded: rebuild the site (make html)."; }
    });
    document.head.appendChild(script);
  }

  Page.prototype.ready = function (then) {
    var self = this;
    if (this.index) { if (then) { then(); } return; }
    if (then) { this.waiting = then; }  // the latest query wins; a mere preload (no then) keeps it
    if (this.loading) { return; }
    this.loading = true;
    loadIndex(this.results.dataset.index, function () {
      self.index = new Index(window.KB_SEARCH_INDEX);
      var waiting = self.waiting;
      self.waiting = null;
      if (waiting) { waiting(); }
    });
  };

  Page.prototype.start = function () {
    var self = this;
    if (!this.input || !this.results) { return; }
    this.results.setAttribute("role", "region");
    this.results.setAttribute("aria-label", "Search results");
    // One live region for the whole visit, so screen readers announce each new count.
    this.status = element("p", "kb-search-summary");
    this.status.setAttribute("role", "status");
    this.results.textContent = "";
    this.results.appendChild(this.status);
    var query = new URLSearchParams(window.location.search).get("q") || "";
    this.input.value = query;
    this.input.setAttribute("aria-describedby", "kb-search-help");
    this.input.setAttribute("aria-controls", "search-results");
    this.input.addEventListener("input", function () {
      self.ready(function () { self.run(self.input.value); });
    });
    this.input.addEventListener("keydown", function (event) {
      self.ready();
      self.keys(event);
    });
    // A reader about to type (a tap or click, the pointer over the field) already starts the loading.
    var form = this.input.form;
    ["pointerdown", "pointerover", "touchstart"].forEach(function (name) {
      form.addEventListener(name, function () { self.ready(); }, { once: true, passive: true });
    });
    this.results.addEventListener("keydown", function (event) { self.keys(event); });
    document.querySelectorAll("form.bd-search").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var field = form.querySelector("input[name=q]");
        if (field !== self.input) {
          self.input.value = field.value;
          var dialog = form.closest("dialog");
          if (dialog && dialog.open) { dialog.close(); }
        }
        self.ready(function () { self.run(self.input.value); });
        self.input.focus();
      });
    });
    this.input.focus();
    this.input.select();
    if (query) { this.ready(function () { self.run(query, true); }); }
  };

  function start() {
    var page = new Page(null);
    window.kbSearch = page;  // for the benchmark and the tests
    page.start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
