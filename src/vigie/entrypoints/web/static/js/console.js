/* Vigie console: live queue over WebSocket, age counters, filter, shortcuts, sound.
 * A static file (the CSP allows no inline script). The server sends, on every
 * (re)connect, the whole queue, then the rows again whenever they change:
 *   {"type": "queue", "snapshot": true|false, "html": "<tr ...>..."}
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

  function tick() {
    var now = Date.now();
    var spans = document.querySelectorAll("span.age[data-since]");
    for (var i = 0; i < spans.length; i++) {
      var since = Date.parse(spans[i].getAttribute("data-since"));
      if (!isNaN(since)) spans[i].textContent = age(since, now);
    }
  }

  // -- rows: filter and selection -----------------------------------------------------------

  function rows() {
    return rowsBox ? Array.prototype.slice.call(rowsBox.querySelectorAll("tr.incident")) : [];
  }

  function visibleRows() {
    return rows().filter(function (row) { return !row.hidden; });
  }

  function applyFilter() {
    if (!filterBox) return;
    var words = filterBox.value.toLowerCase().split(/\s+/).filter(Boolean);
    rows().forEach(function (row) {
      var text = (row.textContent + " " + row.getAttribute("data-site")).toLowerCase();
      row.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
    });
  }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    selected = row ? row.getAttribute("data-incident") : null;
    if (row) {
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
    }
  }

  function restoreSelection() {
    var row = selected ? document.getElementById("incident-" + selected) : null;
    if (row && !row.hidden) select(row);
    else select(visibleRows()[0] || null);
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

  function apply(html) {
    rowsBox.innerHTML = html;
    tick(); // ages are counted here, not sent: a push happens only when the queue changes
    var ids = rows().map(function (r) { return r.getAttribute("data-incident"); });
    if (known !== null) {
      var urgent = rows().some(function (r) {
        return known.indexOf(r.getAttribute("data-incident")) === -1 &&
          Number(r.getAttribute("data-priority")) <= 2;
      });
      if (urgent) {
        sound.currentTime = 0;
        var played = sound.play();
        if (played && played.catch) played.catch(function () { /* autoplay refused */ });
      }
    }
    known = ids;
    applyFilter();
    restoreSelection();
    tick();
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var lang = document.documentElement.getAttribute("lang") || "fr";
    var socket = new WebSocket(scheme + location.host + "/ws/console?lang=" + encodeURIComponent(lang));
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type !== "queue") return;
      if (rowsBox) apply(message.html);
      if (message.snapshot) {
        retry = 500;
        setLive("connected");
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
    restoreSelection();
  }

  tick();
  setInterval(tick, 1000);
  connect();
})();
