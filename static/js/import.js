// Import DIDs: polls a running import's job (jobs:job_progress) once a second and moves its
// bar (the job's percentage over all its stages); reloads when the job is over.
(function () {
  "use strict";
  var box = document.getElementById("imp-progress");
  if (!box) return;
  var url = box.getAttribute("data-url");
  if (!url) return;
  var bar = document.getElementById("imp-bar");
  var over = ["done", "failed", "cancelled"];
  function text(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }
  function show(data) {
    text("imp-stage", data.stage || "Working");
    bar.value = data.percent;
    text("imp-percent", data.percent);
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
