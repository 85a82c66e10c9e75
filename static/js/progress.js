// Progress bars for background jobs: <div class="job" data-job-url="/jobs/7/" data-done-url="…">.
// Polls the job's JSON every second and fills the bar; follows data-done-url when it finishes.
(function () {
  "use strict";
  function poll(el) {
    var bar = el.querySelector(".progress > span");
    var text = el.querySelector(".job-message");
    fetch(el.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (bar) { bar.style.width = job.percent + "%"; }
        el.setAttribute("aria-valuenow", job.percent);
        if (text) { text.textContent = job.status_display + (job.message ? " · " + job.message : "") + " (" + job.percent + "%)"; }
        if (job.status === "done" || job.status === "failed") {
          el.dataset.status = job.status;
          if (el.dataset.doneUrl) { window.location.href = el.dataset.doneUrl; }
          return;
        }
        window.setTimeout(function () { poll(el); }, 1000);
      })
      .catch(function () { window.setTimeout(function () { poll(el); }, 3000); });
  }
  document.querySelectorAll("[data-job-url]").forEach(poll);
})();
