// DID Inventory page behaviour: panels, selection, "select all matching". No dependencies.
(function () {
  "use strict";
  function toggle(buttonId, panelId) {
    var button = document.getElementById(buttonId), panel = document.getElementById(panelId);
    if (!button || !panel) return;
    button.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      button.setAttribute("aria-expanded", String(!panel.hidden));
    });
  }
  toggle("search-toggle", "advanced-search");
  toggle("mass-edit-toggle", "mass-edit");

  var pageBox = document.getElementById("check-page");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#did-table tbody input[name=ids]"));
  var banner = document.getElementById("select-all-banner");
  var allMatching = document.getElementById("all-matching");
  var scope = document.getElementById("mass-scope");
  var note = document.getElementById("all-matching-note");
  var selectAll = document.getElementById("select-all-matching");

  function describe() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    if (allMatching && allMatching.value === "1") {
      scope.textContent = "Applies to every DID matching the search.";
    } else if (scope) {
      scope.textContent = n ? "Applies to the " + n + " selected DIDs." : "Select DIDs in the table first.";
    }
    if (banner) banner.hidden = !(pageBox && pageBox.checked && boxes.length);
    // No dead end: with nothing selected, Update and Delete are disabled (and say why).
    var none = !n && !(allMatching && allMatching.value === "1");
    ["mass-update", "mass-delete"].forEach(function (id) {
      var b = document.getElementById(id);
      if (!b) return;
      b.disabled = none;
      b.title = none ? "Select DIDs in the table first." : "";
    });
  }
  function setAllMatching(on) {
    if (!allMatching) return;
    allMatching.value = on ? "1" : "0";
    if (note) note.hidden = !on;
    if (selectAll) selectAll.hidden = on;
    describe();
  }
  if (pageBox) {
    pageBox.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = pageBox.checked; });
      if (!pageBox.checked) setAllMatching(false);
      describe();
    });
  }
  boxes.forEach(function (b) {
    b.addEventListener("change", function () {
      if (!b.checked) { if (pageBox) pageBox.checked = false; setAllMatching(false); }
      describe();
    });
  });
  if (selectAll) selectAll.addEventListener("click", function () { setAllMatching(true); });
  var clear = document.getElementById("clear-all-matching");
  if (clear) clear.addEventListener("click", function () {
    boxes.forEach(function (b) { b.checked = false; });
    if (pageBox) pageBox.checked = false;
    setAllMatching(false);
  });
  describe();
})();
