// The import result page while the worker imports: poll its status and show the new page when done.
(function () {
  "use strict";
  var section = document.getElementById("import-stand");
  if (!section) return;
  var url = section.getAttribute("data-status-url");
  var bar = document.getElementById("import-fortschritt");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "fertig" || s.status === "fehler") {
          window.location.reload();
          return;
        }
        if (bar && s.total) {
          bar.max = s.total;
          bar.value = s.done || 0;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
