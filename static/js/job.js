// Polls a background job's progress once a second until it is done or failed.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  function show(data) {
    document.getElementById("job-stage").textContent = data.stage;
    var bar = document.getElementById("job-bar");
    bar.value = data.percent;
    document.getElementById("job-percent").textContent = data.percent;
    var done = document.getElementById("job-done");
    if (done) done.textContent = data.done;
    var total = document.getElementById("job-total");
    if (total) total.textContent = data.total;
    box.setAttribute("data-status", data.status);
    if (data.status === "done" || data.status === "failed" || data.status === "cancelled") {
      var msg = document.getElementById("job-message");
      msg.textContent = data.message;
      // Done with refusals, or fewer DIDs than promised, is a warning, not a success.
      msg.className =
        "msg " + (data.ok ? "msg-success" : data.status === "done" ? "msg-warning" : "msg-error");
      msg.hidden = false;
      var link = document.getElementById("job-download");
      if (link && data.download_url) {
        link.href = data.download_url;
        link.hidden = false;
      }
      var changes = document.getElementById("job-change-set");
      if (changes && data.change_set_url) {
        changes.href = data.change_set_url;
        changes.hidden = false;
      }
      return true;
    }
    return false;
  }
  function poll() {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (!show(data)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 2000); });
  }
  var status = box.getAttribute("data-status");
  if (status !== "done" && status !== "failed" && status !== "cancelled") poll();
})();
