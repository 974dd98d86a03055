"use strict";
(function () {
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var form = document.getElementById("filters");
  var shown = document.getElementById("shown");
  var controls = form.querySelectorAll("[data-filter]");

  function apply() {
    var wanted = {};
    controls.forEach(function (c) { wanted[c.getAttribute("data-filter")] = c.value.trim().toLowerCase(); });
    var count = 0;
    rows.forEach(function (row) {
      var ok = ["severity", "status", "check", "subscription"].every(function (key) {
        return !wanted[key] || (row.getAttribute("data-" + key) || "").toLowerCase() === wanted[key];
      });
      if (ok && wanted.text) { ok = row.textContent.toLowerCase().indexOf(wanted.text) !== -1; }
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " findings shown";
  }

  function key(row, column) {
    if (column === "severity") { return Number(row.getAttribute("data-rank")); }
    var index = { status: 1, check: 2, subscription: 3, resource: 4 }[column];
    return row.cells[index].textContent.trim().toLowerCase();
  }

  function sort(button) {
    var column = button.getAttribute("data-sort");
    var dir = button.getAttribute("data-dir") === "asc" ? "desc" : "asc";
    table.querySelectorAll("th button").forEach(function (b) { b.removeAttribute("data-dir"); });
    button.setAttribute("data-dir", dir);
    var sign = dir === "asc" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = key(a, column), y = key(b, column);
      return x < y ? -sign : (x > y ? sign : 0);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  controls.forEach(function (c) { c.addEventListener("input", apply); c.addEventListener("change", apply); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  table.querySelectorAll("th button").forEach(function (b) { b.addEventListener("click", function () { sort(b); }); });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
  apply();
})();
