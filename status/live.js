(function () {
  "use strict";
  var period = parseInt(document.body.getAttribute("data-refresh"), 10) || 5;
  var live = document.getElementById("live");
  var sortKey = null, sortDesc = false, updates = 0;

  function cellValue(td, numeric) {
    var v = td.hasAttribute("data-value") ? td.getAttribute("data-value") : td.textContent;
    if (numeric) {
      var n = parseFloat(v);
      return isNaN(n) ? -Infinity : n;
    }
    return v.toLowerCase();
  }

  function applySort() {
    var table = document.getElementById("procs");
    if (!table || sortKey === null) return;
    var ths = table.tHead.rows[0].cells, col = -1, numeric = false;
    for (var i = 0; i < ths.length; i++) {
      var on = ths[i].getAttribute("data-key") === sortKey;
      ths[i].setAttribute("aria-sort", on ? (sortDesc ? "descending" : "ascending") : "none");
      if (on) { col = i; numeric = ths[i].getAttribute("data-type") === "num"; }
    }
    if (col < 0) return;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col], numeric), y = cellValue(b.cells[col], numeric);
      var c = x < y ? -1 : x > y ? 1 : 0;
      if (sortDesc) c = -c;
      return c || cellValue(a.cells[0], true) - cellValue(b.cells[0], true);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function readHash() {
    var m = /^#sort=([^:]+)(?::(asc|desc))?$/.exec(decodeURIComponent(location.hash));
    if (m) { sortKey = m[1]; sortDesc = m[2] === "desc"; }
  }

  function writeHash() {
    history.replaceState(null, "", "#sort=" + encodeURIComponent(sortKey) + ":" + (sortDesc ? "desc" : "asc"));
  }

  document.addEventListener("click", function (e) {
    var th = e.target.closest ? e.target.closest("#procs th[data-key]") : null;
    if (!th) return;
    var key = th.getAttribute("data-key");
    if (key === sortKey) { sortDesc = !sortDesc; } else { sortKey = key; sortDesc = false; }
    writeHash();
    applySort();
  });

  function setLive(ok, text) {
    live.className = ok ? "" : "stale";
    live.textContent = text;
    live.setAttribute("data-updates", String(updates));
  }

  function swap(doc, id) {
    var now = document.getElementById(id), next = doc.getElementById(id);
    if (now && next && next.tBodies[0]) {
      now.replaceChild(document.importNode(next.tBodies[0], true), now.tBodies[0]);
    }
  }

  function refresh() {
    fetch(location.href.split("#")[0], { cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        swap(doc, "pool");
        swap(doc, "procs");
        applySort();
        updates++;
        setLive(true, "every " + period + " s, updated " + new Date().toLocaleTimeString());
      })
      .catch(function (err) {
        setLive(false, "not updated since " + new Date().toLocaleTimeString() + ": " + err.message);
      })
      .then(function () { setTimeout(refresh, period * 1000); });
  }

  readHash();
  applySort();
  setTimeout(refresh, period * 1000);
})();
