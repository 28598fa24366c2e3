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
  // A filter marked data-submit-on-change applies as soon as it is chosen (an inline onchange is refused by the CSP).
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-submit-on-change]");
    if (field && field.form) field.form.submit();
  });
  // A poll marked data-only-while-visible (the notification badge) skips its turn while the tab is hidden.
  // Said here rather than as an HTMX trigger filter, which HTMX evaluates as code: the CSP forbids eval.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (element && element.hasAttribute("data-only-while-visible") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });
  // After HTMX swaps in a new note form, keep the cursor where the salesperson types.
  document.addEventListener("htmx:afterSwap", function (event) {
    var field = event.detail.target.querySelector("[data-autofocus]");
    if (field) field.focus();
    // The visit log's phone lookup found a returning customer: fill in the name if it is still empty.
    var found = event.detail.target.querySelector("[data-customer-name]");
    var name = document.getElementById("id_name");
    if (found && name && !name.value.trim()) name.value = found.dataset.customerName;
    if (found) prefillFromOpenLead(found);
  });
  // A returning customer's open lead already knows the grade and the models: start from them, unless the
  // salesperson has already tapped something.
  function prefillFromOpenLead(found) {
    var form = found.closest("form");
    if (!form) return;
    var grade = found.dataset.grade;
    if (grade && !form.querySelector("input[name=grade]:checked")) {
      var radio = form.querySelector('input[name=grade][value="' + grade + '"]');
      if (radio) radio.checked = true;
    }
    var models = (found.dataset.models || "").split("|").filter(Boolean);
    if (!models.length || form.querySelector("input[name=models]:checked")) return;
    var unknown = [];
    models.forEach(function (model) {
      var chip = Array.prototype.find.call(form.querySelectorAll("input[name=models]"), function (input) {
        return input.value === model;
      });
      if (chip) chip.checked = true;
      else unknown.push(model);
    });
    var other = form.querySelector("input[name=other_model]");
    if (other && unknown.length && !other.value.trim()) other.value = unknown.join(", ");
  }
  // Party-size stepper: -/+ and quick taps (1–5, 6+).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-stepper] [data-step], [data-stepper] [data-set]");
    if (!button) return;
    var stepper = button.closest("[data-stepper]");
    var input = stepper.querySelector("input[type=number]");
    var value = parseInt(input.value, 10) || 1;
    value = button.dataset.set ? parseInt(button.dataset.set, 10) : value + parseInt(button.dataset.step, 10);
    input.value = Math.min(50, Math.max(1, value));
    markQuick(stepper);
  });
  function markQuick(stepper) {
    var value = parseInt(stepper.querySelector("input[type=number]").value, 10) || 1;
    stepper.querySelectorAll("[data-set]").forEach(function (quick) {
      var size = parseInt(quick.dataset.set, 10);
      quick.classList.toggle("active", size === 6 ? value >= 6 : size === value);
    });
  }
  document.querySelectorAll("[data-stepper]").forEach(markQuick);
  document.addEventListener("input", function (event) {
    var stepper = event.target.closest("[data-stepper]");
    if (stepper) markQuick(stepper);
  });
  // First-response countdowns. The server wrote the text in the largest sensible unit; under two hours it
  // reads in minutes, and those tick here once a minute: time left counts business minutes (a closed
  // dealer's clock is paused), time late counts from the deadline, like the calendar.
  var started = Date.now();
  function minutesText(clock, minutes, key) {
    var count = clock.dataset.textMinutes.replace("%(count)s", minutes);
    return clock.dataset[key].replace("%(time)s", count);
  }
  function tick() {
    var elapsed = Math.floor((Date.now() - started) / 60000);
    document.querySelectorAll("[data-sla-minutes]").forEach(function (clock) {
      var value = clock.querySelector(".sla-value");
      if (!value) return;
      var late = clock.dataset.slaLate !== undefined ? parseInt(clock.dataset.slaLate, 10) + elapsed : null;
      if (late === null) {
        var left = parseInt(clock.dataset.slaMinutes, 10) - (clock.dataset.slaRunning === "1" ? elapsed : 0);
        if (left < 0) late = -left;
        else if (left < 120) value.textContent = minutesText(clock, left, "textLeft");
        clock.classList.toggle("is-close", left >= 0 && left <= 30);
      }
      if (late !== null) {
        if (late < 120) value.textContent = minutesText(clock, late, "textLate");
        clock.classList.add("is-breached");
        clock.classList.remove("is-close");
      }
    });
  }
  if (document.querySelector("[data-sla-minutes]")) window.setInterval(tick, 60000);
})();
