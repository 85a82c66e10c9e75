// The street board: submit the filter form as soon as a select or the checkbox changes.
// Everything works without this file (the form has a submit button).
(function () {
  "use strict";
  var form = document.getElementById("board-filters");
  if (!form) return;
  var inputs = form.querySelectorAll(".auto-submit");
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("change", function () {
      form.submit();
    });
  }
})();
