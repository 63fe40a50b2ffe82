/* govie evidence view: select a fact (click, Enter or Space), show it in the inspector;
   sort the facts panel. Text goes in with textContent only, never as HTML. */
(function () {
  "use strict";
  var facts = JSON.parse(document.getElementById("govie-facts").textContent);
  var byId = {};
  facts.forEach(function (f) { byId[f.id] = f; });
  var inspector = document.getElementById("inspector");
  var FIELDS = [["key", "Key"], ["metric", "Metric"], ["value_text", "Value"], ["raw", "As written"],
    ["unit", "Unit"], ["scope", "Scope"], ["period", "Period"], ["applicant", "Applicant"],
    ["origin", "Origin"], ["agreement", "Agreement"], ["score", "Score"], ["where", "Evidence"],
    ["metric_where", "Metric evidence"], ["parent", "Parent"], ["template", "Template"]];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function evidenceOf(id) {
    return document.querySelectorAll('[data-facts~="' + id + '"]');
  }

  function show(ids, checkIds) {
    document.querySelectorAll(".selected").forEach(function (n) { n.classList.remove("selected"); });
    inspector.replaceChildren();
    (checkIds || []).forEach(function (cid) {
      var item = document.getElementById("check-" + cid);
      if (item) { inspector.appendChild(el("p", "check", item.textContent.replace(/\s+/g, " ").trim())); }
    });
    ids.forEach(function (id) {
      var f = byId[id];
      if (!f) { return; }
      inspector.appendChild(el("p", "fact-head", (f.key || "(no key)") + " = " + f.value_text + " " + f.unit));
      var dl = el("dl", "fact-fields");
      dl.setAttribute("data-fact", id);
      FIELDS.forEach(function (pair) {
        var v = f[pair[0]];
        if (v === "" || v === null || v === undefined) { return; }
        dl.appendChild(el("dt", "", pair[1]));
        var dd = el("dd", "field-" + pair[0], String(v));
        if (pair[0] === "metric" || pair[0] === "raw" || pair[0] === "scope") { dd.lang = "zh-CN"; }
        dl.appendChild(dd);
      });
      inspector.appendChild(dl);
      evidenceOf(id).forEach(function (n) { n.classList.add("selected"); });
    });
  }

  function select(node) {
    var ids = (node.getAttribute("data-facts") || "").split(" ").filter(Boolean);
    var checks = (node.getAttribute("data-checks") || "").split(" ").filter(Boolean);
    show(ids, checks);
  }

  document.addEventListener("click", function (ev) {
    var go = ev.target.closest("[data-goto]");
    if (go) {
      var id = go.getAttribute("data-goto");
      show([id], []);
      var target = evidenceOf(id)[0];
      if (target) {
        target.scrollIntoView({block: "center"});
        target.focus({preventScroll: true});
      }
      return;
    }
    var node = ev.target.closest("[data-facts]");
    if (node) { select(node); }
  });

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if ((ev.key === "Enter" || ev.key === " ") && t.matches && t.matches("[data-facts][tabindex]")) {
      ev.preventDefault();
      select(t);
    }
  });

  var AGREEMENT = {conflict: 0, agree: 1, "": 2};
  var table = document.querySelector("table.facts");
  if (table) {
    table.querySelectorAll("th button[data-sort]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var th = btn.parentElement;
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var field = btn.getAttribute("data-sort"), type = btn.getAttribute("data-type");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function keyOf(r) {
          var v = r.getAttribute("data-" + field) || "";
          if (type === "number") { return v === "" ? Number.MAX_VALUE : parseFloat(v); }
          if (type === "agreement") { return AGREEMENT[v] !== undefined ? AGREEMENT[v] : 3; }
          return v;
        }
        rows.sort(function (a, b) {
          var x = keyOf(a), y = keyOf(b);
          var c = (typeof x === "number") ? x - y : String(x).localeCompare(String(y));
          return dir === "ascending" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
}());
