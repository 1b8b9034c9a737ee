/* Vigie console: live queue over WebSocket, age counters, filter, shortcuts, sound.
 * A static file (the CSP allows no inline script). The server sends, on every
 * (re)connect, the whole queue, then only the rows that changed:
 *   {"type": "queue", "snapshot": true, "html": "<tr ...>..."}
 *   {"type": "rows", "upsert": [{"id": 7, "after": 3|null, "html": "<tr ...>"}],
 *    "remove": [5], "count": 1000}
 * Upserts come in queue order, each placed right after the row it follows. If the row
 * count then differs from "count", the page reconnects (and gets the whole queue again).
 * window.vigieLive keeps the last DOM update times and message sizes (for the benchmark).
 */
(function () {
  "use strict";

  var body = document.body;
  var rowsBox = document.getElementById("queue-rows");
  var filterBox = document.getElementById("queue-filter");
  var takeNext = document.getElementById("take-next");
  var sound = new Audio("/static/sound/alert.wav");
  var known = null; // ids of incidents already seen (null until the first snapshot)
  var selected = null; // id of the selected row
  var retry = 500;
  var pageDigest = rowsBox ? rowsBox.getAttribute("data-digest") : null;

  function setLive(value) {
    body.setAttribute("data-live", value);
  }

  // -- ages -----------------------------------------------------------------------------

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function age(since, now) {
    var seconds = Math.max(0, Math.floor((now - since) / 1000));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function tickSpan(span, now) {
    if (span.vigieSince === undefined) span.vigieSince = Date.parse(span.getAttribute("data-since"));
    if (isNaN(span.vigieSince)) return;
    var text = age(span.vigieSince, now);
    if (span.textContent !== text) span.textContent = text;
  }

  // With 1,000 rows, only the ages on screen are counted (an IntersectionObserver
  // keeps the set); elsewhere (the incident page) every age.
  var onScreen = null;
  var watcher = null;
  if (rowsBox && "IntersectionObserver" in window) {
    onScreen = new Set();
    watcher = new IntersectionObserver(function (entries) {
      var now = Date.now();
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          onScreen.add(entry.target);
          tickSpan(entry.target, now);
        } else {
          onScreen.delete(entry.target);
        }
      });
    });
  }

  function watch(root) {
    if (!watcher) return;
    var spans = root.querySelectorAll("span.age[data-since]");
    for (var i = 0; i < spans.length; i++) watcher.observe(spans[i]);
  }

  function tick() {
    var now = Date.now();
    if (onScreen) {
      onScreen.forEach(function (span) {
        if (span.isConnected) tickSpan(span, now);
        else onScreen.delete(span);
      });
      return;
    }
    var spans = document.querySelectorAll("span.age[data-since]");
    for (var i = 0; i < spans.length; i++) tickSpan(spans[i], now);
  }

  // -- rows: filter and selection -----------------------------------------------------------

  function rows() {
    return rowsBox ? Array.prototype.slice.call(rowsBox.querySelectorAll("tr.incident")) : [];
  }

  function visibleRows() {
    return rows().filter(function (row) { return !row.hidden; });
  }

  function filterWords() {
    return filterBox ? filterBox.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
  }

  function filterRow(row, words) {
    if (!words.length) {
      row.hidden = false;
      return;
    }
    var text = (row.textContent + " " + row.getAttribute("data-site")).toLowerCase();
    row.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
  }

  function applyFilter() {
    var words = filterWords();
    rows().forEach(function (row) { filterRow(row, words); });
  }

  function select(row) {
    var previous = rowsBox ? rowsBox.querySelectorAll("tr.selected") : [];
    for (var i = 0; i < previous.length; i++) {
      previous[i].classList.remove("selected");
      previous[i].removeAttribute("aria-selected");
    }
    selected = row ? row.getAttribute("data-incident") : null;
    if (row) {
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
    }
  }

  function firstVisible() {
    var row = rowsBox ? rowsBox.querySelector("tr.incident") : null;
    while (row && (row.hidden || !row.classList.contains("incident"))) row = row.nextElementSibling;
    return row;
  }

  function restoreSelection() {
    var row = selected ? document.getElementById("incident-" + selected) : null;
    if (row && !row.hidden) select(row);
    else select(firstVisible());
  }

  function move(step) {
    var list = visibleRows();
    if (!list.length) return;
    var current = selected ? document.getElementById("incident-" + selected) : null;
    var index = list.indexOf(current);
    index = index === -1 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    select(list[index]);
    list[index].scrollIntoView({ block: "nearest" });
  }

  // -- the live channel ---------------------------------------------------------------------

  // sites: first push of each site's row: [server's sent_at, arrival] (epoch ms)
  var stats = { snapshotMs: [], diffMs: [], sizes: [], sites: {} };
  window.vigieLive = stats;

  function keep(list, value) {
    list.push(value);
    if (list.length > 500) list.shift();
  }

  function measured(list, started) {
    keep(list, performance.now() - started);
  }

  function ring(isNew) {
    if (!isNew) return;
    sound.currentTime = 0;
    var played = sound.play();
    if (played && played.catch) played.catch(function () { /* autoplay refused */ });
  }

  function urgent(row) {
    return Number(row.getAttribute("data-priority")) <= 2;
  }

  function showEmpty() {
    if (rowsBox.querySelector("tr.incident") || rowsBox.querySelector("tr.empty")) return;
    var tr = document.createElement("tr");
    tr.className = "empty";
    var td = document.createElement("td");
    td.colSpan = 7;
    td.textContent = rowsBox.getAttribute("data-empty") || "";
    tr.appendChild(td);
    rowsBox.appendChild(tr);
  }

  function snapshot(html) {
    var started = performance.now();
    if (watcher) {
      watcher.disconnect();
      onScreen.clear();
    }
    rowsBox.innerHTML = html;
    watch(rowsBox);
    var fresh = {};
    var list = rows();
    var rang = false;
    list.forEach(function (r) {
      var id = r.getAttribute("data-incident");
      fresh[id] = true;
      if (known !== null && !known[id] && urgent(r)) rang = true;
    });
    ring(rang);
    known = fresh;
    applyFilter();
    restoreSelection();
    tick();
    measured(stats.snapshotMs, started);
  }

  // The snapshot is what the page was rendered with: keep the rows, start counting.
  function adopt() {
    known = {};
    rows().forEach(function (r) { known[r.getAttribute("data-incident")] = true; });
  }

  var parser = document.createElement("tbody");

  function rowOf(html) {
    parser.innerHTML = html;
    var row = parser.firstElementChild;
    parser.textContent = "";
    return row;
  }

  // false when the page no longer matches the server's queue (then: reconnect)
  function patch(message) {
    var started = performance.now();
    var arrived = performance.timeOrigin + started;
    var words = filterWords();
    var rang = false;
    (message.remove || []).forEach(function (id) {
      var old = document.getElementById("incident-" + id);
      if (old) old.remove();
      delete known[String(id)];
    });
    var empty = rowsBox.querySelector("tr.empty");
    if (empty && (message.upsert || []).length) empty.remove();
    var now = Date.now();
    for (var i = 0; i < (message.upsert || []).length; i++) {
      var change = message.upsert[i];
      var row = rowOf(change.html);
      if (!row) return false;
      var old = document.getElementById("incident-" + change.id);
      if (old) old.remove();
      var after = change.after === null ? null : document.getElementById("incident-" + change.after);
      if (change.after !== null && !after) return false;
      rowsBox.insertBefore(row, after ? after.nextSibling : rowsBox.firstChild);
      var id = String(change.id);
      if (!known[id] && urgent(row)) rang = true;
      var site = row.getAttribute("data-site");
      if (!known[id] && site && !(site in stats.sites)) stats.sites[site] = [message.sent_at, arrived];
      known[id] = true;
      filterRow(row, words);
      var span = row.querySelector("span.age[data-since]");
      if (span) {
        tickSpan(span, now);
        if (watcher) watcher.observe(span);
      }
    }
    showEmpty();
    ring(rang);
    restoreSelection();
    measured(stats.diffMs, started);
    return rowsBox.querySelectorAll("tr.incident").length === message.count;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var lang = document.documentElement.getAttribute("lang") || "fr";
    var url = scheme + location.host + "/ws/console?lang=" + encodeURIComponent(lang);
    if (pageDigest) url += "&have=" + encodeURIComponent(pageDigest);
    pageDigest = null; // after this connection the page's rows are the server's pushes
    var socket = new WebSocket(url);
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      keep(stats.sizes, event.data.length);
      if (message.type === "queue") {
        if (rowsBox && message.same) adopt();
        else if (rowsBox) snapshot(message.html);
        retry = 500;
        setLive("connected");
      } else if (message.type === "rows" && rowsBox && known !== null) {
        if (!patch(message)) socket.close(); // out of step: the reconnect brings it all
      }
    };
    socket.onclose = function () {
      setLive("connecting");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }

  // -- keyboard -----------------------------------------------------------------------------

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  // On an incident page: D = first open step done, A = next contact's call form,
  // C = the close form's comment, Esc = back to the queue (legend: #shortcuts).
  var incidentHead = document.querySelector("header.incident-head");

  function nextContactForm() {
    var called = Array.prototype.map.call(
      document.querySelectorAll("ol#calls > li[data-contact]"),
      function (li) { return li.getAttribute("data-contact"); }
    );
    var contacts = document.querySelectorAll("ul#contacts > li[data-contact]");
    for (var i = 0; i < contacts.length; i++) {
      var form = contacts[i].querySelector("form.call");
      if (form && called.indexOf(contacts[i].getAttribute("data-contact")) === -1) return form;
    }
    return null;
  }

  function incidentKey(event) {
    var key = event.key;
    if (key === "d" || key === "D") {
      var done = document.querySelector('ol#procedure > li[data-status="open"] button[data-action="done"]');
      if (done) {
        event.preventDefault();
        done.click();
      }
    } else if (key === "a" || key === "A") {
      var form = nextContactForm();
      var field = form && form.querySelector("select[name=result], input[name=word], button");
      if (field) {
        event.preventDefault();
        field.focus();
        if (field.scrollIntoView) field.scrollIntoView({ block: "nearest" });
      }
    } else if (key === "c" || key === "C") {
      var comment = document.querySelector("#close-form textarea[name=comment]");
      if (comment) {
        event.preventDefault();
        comment.focus();
      }
    } else if (key === "Escape") {
      var back = document.getElementById("back");
      event.preventDefault();
      location.href = back ? back.getAttribute("href") : "/console";
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target === filterBox && event.key === "Enter") {
      event.preventDefault();
      restoreSelection();
    } else if (typing(event.target)) {
      return;
    }
    if (incidentHead) {
      incidentKey(event);
      return;
    }
    if (!rowsBox) return;
    if ((event.key === "n" || event.key === "N") && takeNext) {
      event.preventDefault();
      takeNext.click();
    } else if (event.key === "ArrowDown" || event.key === "j") {
      event.preventDefault();
      move(1);
    } else if (event.key === "ArrowUp" || event.key === "k") {
      event.preventDefault();
      move(-1);
    } else if (event.key === "Enter") {
      var row = selected ? document.getElementById("incident-" + selected) : null;
      var link = row && !row.hidden ? row.querySelector("a.open") : null;
      if (link) {
        event.preventDefault();
        location.href = link.getAttribute("href");
      }
    } else if (event.key === "/" && filterBox) {
      event.preventDefault();
      filterBox.focus();
    }
  });

  if (filterBox) {
    filterBox.addEventListener("input", function () { applyFilter(); restoreSelection(); });
  }
  if (rowsBox) {
    rowsBox.addEventListener("click", function (event) {
      var row = event.target.closest ? event.target.closest("tr.incident") : null;
      if (row) select(row);
    });
    known = null;
    watch(rowsBox);
    restoreSelection();
  }

  tick();
  setInterval(tick, 1000);
  connect();
})();
