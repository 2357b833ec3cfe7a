// Import DIDs: polls a running import's job (jobs:job_progress) once a second; reloads when
// it is over. Stages measured in rows fill the bar; the others show it without a value (busy).
(function () {
  "use strict";
  var box = document.getElementById("imp-progress");
  if (!box) return;
  var url = box.getAttribute("data-url");
  if (!url) return;
  var measured = (box.getAttribute("data-measured") || "").split("|");
  var bar = document.getElementById("imp-bar");
  var count = document.getElementById("imp-count");
  var over = ["done", "failed", "cancelled"];
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }
  function show(data) {
    text("imp-stage", data.stage || "Working");
    if (measured.indexOf(data.stage) >= 0) {
      bar.max = Math.max(data.total, 1);
      bar.value = Math.min(data.done, bar.max);
      text("imp-done", data.done);
      text("imp-total", data.total);
      text("imp-percent", data.percent);
      if (count) count.hidden = false;
    } else {
      bar.removeAttribute("value");
      if (count) count.hidden = true;
    }
    return over.indexOf(data.status) >= 0;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (show(data)) window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
