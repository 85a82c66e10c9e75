// Nominations: show the nominee fields only when nominating another owner; select a share link
// on focus; the print button of the printable notices. No inline script anywhere (CSP).
(function () {
  "use strict";

  function toggleWho(form) {
    var checked = form.querySelector('input[name="who"]:checked');
    var other = checked && checked.value === "other";
    ["unit_code", "name", "statement"].forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      var field = input && input.closest(".field");
      if (field) { field.hidden = !other; }
    });
    ["bio", "photo", "birth_year", "occupation", "party_member"].forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      var field = input && input.closest(".field");
      if (field) { field.hidden = other; }
    });
  }

  document.querySelectorAll("form[data-who-switch]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "who") { toggleWho(form); }
    });
    toggleWho(form);
  });

  document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
