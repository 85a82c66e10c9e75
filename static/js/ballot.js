// The owner's ballot: keeps each race within its seats and shows the count as candidates are
// ticked; stops a form from being sent twice (an elderly owner may press the button again).
// The server still accepts an over-ticked race (the tally makes it void, RULES.md §3); this only
// helps the owner not to do it by mistake.
(function () {
  "use strict";

  function fill(template, n, max) {
    return (template || "").replace("{n}", n).replace("{max}", max);
  }

  function setUpRace(race) {
    var max = parseInt(race.dataset.seats, 10) || 0;
    var boxes = Array.prototype.slice.call(race.querySelectorAll("input[type=checkbox]"));
    var counters = Array.prototype.slice.call(race.querySelectorAll(".race-count"));

    function update() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      var full = n >= max;
      boxes.forEach(function (box) {
        var disable = full && !box.checked;
        box.disabled = disable;
        var label = box.closest(".candidate");
        if (label) { label.classList.toggle("disabled", disable); }
      });
      var text = fill(race.dataset.countText, n, max);
      if (n > max) {
        text += " " + fill(race.dataset.overText, n, max);
      } else if (full) {
        text += " " + fill(race.dataset.fullText, n, max);
      }
      // The count above the list and again below it, so it is in sight wherever the owner ticks.
      counters.forEach(function (counter) {
        counter.textContent = text;
        counter.classList.toggle("full", full && n === max);
        counter.classList.toggle("over", n > max);
      });
    }

    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  function sendOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      form.classList.add("sending");
    });
  }

  document.querySelectorAll("[data-race]").forEach(setUpRace);
  document.querySelectorAll("form[data-once]").forEach(sendOnce);
  // A page restored from the back/forward cache must accept a new submission.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.classList.remove("sending");
    });
  });
})();
