// The disruption page follows its impact and re-plan: it asks the status URL every 2 s while the impact is
// being computed, the re-plan waits for another run, or the run is queued or running, updates the progress, and reloads once to show the result.
// A file rather than an inline script: the Content-Security-Policy allows scripts from our own files only.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const page = document.querySelector("[data-disruption-status]");
  if (!page) {
    return;
  }
  const url = page.dataset.disruptionStatus;
  const waiting = (status) => status === "queued" || status === "running";
  const startRun = page.dataset.runStatus || "";
  const assessed = page.dataset.assessed === "1";
  const replan = page.dataset.replan || "";
  if (!waiting(startRun) && assessed && replan !== "waiting") {
    return;
  }
  let tries = 0;
  const poll = function () {
    tries += 1;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then(function (data) {
        if (!data) {
          return;
        }
        const run = data.run;
        if (run) {
          for (const field of page.querySelectorAll("[data-run-field]")) {
            const name = field.dataset.runField;
            if (name === "progress") {
              field.value = run.progress;
              field.textContent = run.progress + "%";
            } else if (name === "message") {
              field.textContent = run.message;
            }
          }
        }
        const runStatus = run ? run.status : "";
        const changed = (data.assessed && !assessed) || data.replan !== replan;
        if (changed || (runStatus !== startRun && !waiting(runStatus))) {
          window.location.reload();
          return;
        }
        if (tries < 300) {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        if (tries < 300) {
          window.setTimeout(poll, 5000);
        }
      });
  };
  window.setTimeout(poll, 2000);
});
