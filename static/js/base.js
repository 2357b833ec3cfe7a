// Behaviours of every page, bound from data attributes: the Content-Security-Policy allows no
// inline script and no on* attribute, so templates say what they want and this file does it.
//   <form data-confirm="Question?">          asks before submitting
//   <select data-navigate>                   goes to the chosen option's value (a URL)
//   <input data-autosubmit>                  submits its form when it changes
//   <button data-confirm-ticked="Block {n} DIDs?">  asks before submitting, {n} being how
//                                            many boxes named "ids" of its form are ticked
//   <input type="checkbox" data-tick-all="form-id">  ticks or unticks every "ids" box of
//                                            that form (boxes may sit outside it: form=)
(function () {
  "use strict";
  function ticked(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name === "ids" && el.type === "checkbox" && el.checked;
    }).length;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    var button = event.submitter;
    var perButton = button && button.getAttribute("data-confirm-ticked");
    if (perButton) question = perButton.replace("{n}", String(ticked(form)));
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.hasAttribute) return;
    if (el.hasAttribute("data-navigate") && el.value) {
      window.location.href = el.value;
    } else if (el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    } else if (el.hasAttribute("data-tick-all")) {
      var target = document.getElementById(el.getAttribute("data-tick-all"));
      if (!target) return;
      Array.prototype.forEach.call(target.elements, function (box) {
        if (box.name === "ids" && box.type === "checkbox" && !box.disabled) box.checked = el.checked;
      });
    }
  });
})();
// A .table-wrap whose table is wider than its box gets the class "scrolls" (and "at-end" once
// scrolled to the end), so the page shows that it scrolls sideways (static/css/app.css).
(function () {
  "use strict";
  function mark(wrap) {
    var more = wrap.scrollWidth > wrap.clientWidth + 1;
    wrap.classList.toggle("scrolls", more);
    wrap.classList.toggle("at-end", more && wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1);
  }
  function markAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap"), mark);
  }
  document.addEventListener("scroll", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("table-wrap")) mark(el);
  }, true);
  window.addEventListener("resize", markAll);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", markAll);
  else markAll();
})();
