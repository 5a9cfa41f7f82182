/* Request forms: hide the questions that apply only to another answer (show_if in the procedure's definition).
   Progressive enhancement: without this script every question stays visible and the server ignores the answers
   that do not apply. Inputs of a hidden question are disabled so that nothing hidden is sent. */
(function () {
  "use strict";
  var form = document.querySelector("form.request-form");
  if (!form) return;

  function currentValue(name) {
    var controls = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) return control.value;
      } else {
        return control.value;
      }
    }
    return "";
  }

  function wrapperOf(input) {
    return input.closest(".field") || input.parentElement;
  }

  var dependants = [];
  form.querySelectorAll("[data-show-if-field]").forEach(function (input) {
    var wrapper = wrapperOf(input);
    if (dependants.some(function (d) { return d.wrapper === wrapper; })) return;
    dependants.push({
      wrapper: wrapper,
      field: input.getAttribute("data-show-if-field"),
      equals: (input.getAttribute("data-show-if-equals") || "").toLowerCase()
    });
  });
  if (!dependants.length) return;

  function update() {
    dependants.forEach(function (d) {
      var shown = currentValue(d.field).toLowerCase() === d.equals;
      d.wrapper.hidden = !shown;
      d.wrapper.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !shown; });
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
