// Small behaviours on top of HTMX and Bootstrap. Kept tiny: showroom tablets are on slow networks.
(function () {
  "use strict";
  // Whole table rows open their record (the name stays a real link for keyboards and new tabs).
  document.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, form")) return;
    window.location.href = row.dataset.href;
  });
  // A destructive button asks first.
  document.addEventListener("submit", function (event) {
    var question = event.submitter && event.submitter.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
  // After HTMX swaps in a new note form, keep the cursor where the salesperson types.
  document.addEventListener("htmx:afterSwap", function (event) {
    var field = event.detail.target.querySelector("[data-autofocus]");
    if (field) field.focus();
  });
})();
