// The dashboard while the worker recomputes its list: ask the server every few seconds whether the
// recompute is done, then say so in the status box and turn its link into "Neue Vorschläge anzeigen".
// The page is not reloaded by itself: the officer may be reading or filtering (WCAG 3.2.5).
(function () {
  "use strict";
  var box = document.getElementById("neu-berechnet");
  if (!box) return;
  var url = box.getAttribute("data-stand-url");
  var started = Date.now();
  var GIVE_UP_MS = 15 * 60 * 1000;
  function done() {
    box.querySelector(".km-pending-text").hidden = true;
    box.querySelector(".km-pending-done").hidden = false;
    box.classList.remove("kern-alert--info");
    box.classList.add("kern-alert--success");
    // the "Stand" lines no longer say "wird neu berechnet"; the link shows the new Stand
    document.querySelectorAll(".km-stand-pending").forEach(function (el) { el.hidden = true; });
    var link = box.querySelector(".km-pending-reload");
    link.textContent = box.getAttribute("data-label-done") || link.textContent;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (!s.pending) { done(); return; }
        if (Date.now() - started < GIVE_UP_MS) window.setTimeout(poll, 3000);
      })
      .catch(function () {
        if (Date.now() - started < GIVE_UP_MS) window.setTimeout(poll, 10000);
      });
  }
  window.setTimeout(poll, 2000);
})();
