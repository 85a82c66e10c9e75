// Roll pages: a form marked data-busy-form disables its submit button once sent, so that a slow
// upload or import is not sent twice, and shows the button's data-busy-text meanwhile.
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) { return; }
      window.setTimeout(function () {
        button.disabled = true;
        if (button.dataset.busyText) { button.textContent = button.dataset.busyText; }
      }, 0);
    });
  });
})();
