// The message library's editors: placeholders inserted at the cursor, the preview customer picker, the
// SMS/email switch (an SMS has no subject) and live character counts. Kept small and dependency-free.
(function () {
  "use strict";
  var form = document.querySelector("[data-template-form]");
  if (form) {
    var lastField = null;
    form.addEventListener("focusin", function (event) {
      if (event.target.matches("[data-placeholder-target]")) lastField = event.target;
    });
    document.addEventListener("click", function (event) {
      var chip = event.target.closest("[data-insert]");
      if (!chip) return;
      var field = lastField || form.querySelector("textarea[data-placeholder-target]");
      if (!field || field.disabled) return;
      var text = "{{ " + chip.dataset.insert + " }}";
      var start = field.selectionStart == null ? field.value.length : field.selectionStart;
      var end = field.selectionEnd == null ? start : field.selectionEnd;
      field.setRangeText(text, start, end, "end");
      field.focus();
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });

    function channel() {
      var checked = form.querySelector("input[name=channel]:checked");
      return checked ? checked.value : "";
    }
    function counts() {
      form.querySelectorAll("[data-count-for]").forEach(function (counter) {
        var field = document.getElementById(counter.dataset.countFor);
        if (!field) return;
        var length = field.value.length;
        counter.textContent = length ? length + " " + (counter.dataset.unit || "·") : "";
      });
    }
    form.addEventListener("input", function (event) {
      if (event.target.name === "channel") form.classList.toggle("is-sms", channel() === "sms");
      counts();
    });
    form.classList.toggle("is-sms", channel() === "sms");
    counts();
  }

  // Picking the preview customer: remember it in the form, show who it is, and ask for the preview.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-preview-customer]");
    if (button) {
      document.getElementById("preview-customer").value = button.dataset.previewCustomer;
      var picked = document.getElementById("preview-picked");
      picked.textContent = "";
      var icon = document.createElement("i");
      icon.className = "bi bi-person-check-fill";
      var name = document.createElement("strong");
      name.textContent = button.dataset.name;
      picked.append(icon, name);
      document.getElementById("preview-results").innerHTML = "";
      var search = document.getElementById("preview-search");
      if (search) search.value = "";
      if (window.htmx) window.htmx.trigger(document.body, "preview");
    }
  });
})();
