/* Vigie console pages: the main courante's rows refreshed every 5 s.
 * A static file (the CSP allows no inline script). The rows are left alone while the
 * user is typing a correction (an open <details> or a focused field in the table). */
(function () {
  "use strict";

  var table = document.getElementById("logbook-table");
  var rows = document.getElementById("logbook-rows");
  if (!table || !rows) return;
  var url = table.getAttribute("data-refresh");
  var busy = false;

  function editing() {
    if (rows.querySelector("details[open]")) return true;
    var active = document.activeElement;
    return !!(active && rows.contains(active));
  }

  function refresh() {
    if (busy || editing() || document.hidden) return;
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html !== null && !editing()) rows.innerHTML = html;
      })
      .catch(function () { /* the next round will try again */ })
      .then(function () { busy = false; });
  }

  setInterval(refresh, 5000);
})();
