/* Vigie video pages: refreshed snapshots, live health states, PTZ pad, patrol dwell.
 * A static file (the CSP allows no inline script).
 * - img[data-snapshot]: reloaded every data-refresh ms (wall, patrol, incident pane); a
 *   wall of MJPEG streams would exhaust the browser's 6 connections per host.
 * - [data-camera] [data-health-label]: text and colour from /console/video/health.json,
 *   polled every 2 s.
 * - #ptz-pad forms: posted with fetch (X-Requested-With: fetch), no page reload.
 * - #dwell: the patrol step's observation time counted down.
 */
(function () {
  "use strict";

  var HEALTH_EVERY = 2000;
  var holder = document.querySelector("[data-refresh]");
  var refresh = holder ? parseInt(holder.getAttribute("data-refresh"), 10) || 1000 : 1000;
  var lang = document.documentElement.getAttribute("lang") || "fr";

  // -- snapshots ----------------------------------------------------------------------------

  // The next image is fetched whole before it replaces the shown one (a blob: URL, which
  // the CSP allows): no blank tile while it loads, one request per refresh.
  function refreshSnapshots() {
    if (document.hidden) return;
    var images = document.querySelectorAll("img[data-snapshot]");
    for (var i = 0; i < images.length; i++) refreshOne(images[i]);
  }

  function refreshOne(img) {
    if (img.getAttribute("data-loading") === "1") return; // the previous one still loads
    img.setAttribute("data-loading", "1");
    var url = img.getAttribute("data-snapshot");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "t=" + Date.now();
    fetch(url, { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.blob() : null; })
      .then(function (blob) {
        if (!blob) return;
        var old = img.getAttribute("data-blob");
        var shown = URL.createObjectURL(blob);
        img.setAttribute("data-blob", shown);
        img.src = shown;
        if (old) setTimeout(function () { URL.revokeObjectURL(old); }, 1000);
      })
      .catch(function () { /* the next refresh tries again */ })
      .then(function () { img.removeAttribute("data-loading"); });
  }

  function loaded(event) {
    var img = event.target;
    if (img && img.hasAttribute && img.hasAttribute("data-snapshot") && img.naturalWidth) {
      img.setAttribute("data-loaded", String(Date.now()));
    }
  }
  document.addEventListener("load", loaded, true);

  // -- health ------------------------------------------------------------------------------

  function healthTargets() {
    var found = {};
    var labels = document.querySelectorAll("[data-health-label]");
    for (var i = 0; i < labels.length; i++) {
      var owner = labels[i].closest("[data-camera]");
      if (!owner) continue;
      var id = owner.getAttribute("data-camera");
      (found[id] = found[id] || []).push(labels[i]);
    }
    return found;
  }

  function pollHealth() {
    var targets = healthTargets();
    var ids = Object.keys(targets);
    if (!ids.length || document.hidden) return;
    var url = "/console/video/health.json?lang=" + encodeURIComponent(lang) +
      "&ids=" + ids.map(encodeURIComponent).join(",");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (states) {
        if (!states) return;
        ids.forEach(function (id) {
          var state = states[id];
          if (!state) return;
          targets[id].forEach(function (label) {
            label.textContent = state.label;
            label.className = "health " + state.css;
            var tile = label.closest("[data-camera]");
            if (tile && tile.hasAttribute("data-health")) tile.setAttribute("data-health", state.state);
          });
        });
      })
      .catch(function () { /* the next poll tries again */ });
  }

  // -- PTZ -------------------------------------------------------------------------------

  var pad = document.getElementById("ptz-pad");
  var status = document.getElementById("ptz-status");
  if (pad) {
    pad.addEventListener("submit", function (event) {
      var form = event.target;
      event.preventDefault();
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      }).then(function (answer) {
        return answer.text().then(function (text) { // read to the end: nothing left pending
          if (status) status.textContent = answer.ok ? "" : answer.status + " " + text;
          pad.setAttribute("data-last", answer.ok ? "ok" : "error");
        });
      }).catch(function (error) {
        if (status) status.textContent = String(error);
      });
    });
  }

  // -- patrols -----------------------------------------------------------------------------

  var dwell = document.getElementById("dwell");
  if (dwell) {
    var left = parseInt(dwell.getAttribute("data-seconds"), 10) || 0;
    var countdown = setInterval(function () {
      left = Math.max(0, left - 1);
      dwell.textContent = String(left);
      if (!left) {
        clearInterval(countdown);
        dwell.classList.add("over");
        var ok = document.getElementById("verdict-ras");
        if (ok) ok.focus();
      }
    }, 1000);
  }
  var anomaly = document.getElementById("verdict-anomaly");
  var note = document.getElementById("patrol-note");
  if (anomaly && note) {
    anomaly.addEventListener("click", function (event) {
      if (!note.value.trim()) {
        event.preventDefault();
        note.required = true;
        note.focus();
      }
    });
  }

  // -- the wall's filters ---------------------------------------------------------------------

  ["wall-site", "wall-grid"].forEach(function (id) {
    var select = document.getElementById(id);
    if (select) select.addEventListener("change", function () { select.form.submit(); });
  });

  var timers = [setInterval(refreshSnapshots, refresh), setInterval(pollHealth, HEALTH_EVERY)];
  window.addEventListener("pagehide", function () { timers.forEach(clearInterval); });
  pollHealth();
})();
