// A form that comes back with errors starts at its error summary, for screen readers and keyboards.
// A file rather than an inline script: the Content-Security-Policy allows scripts from our own files only.
"use strict";
(function () {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
