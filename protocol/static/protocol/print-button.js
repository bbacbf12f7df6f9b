// Buttons marked data-print print the page. A file rather than onclick="…": the Content-Security-Policy
// allows scripts from our own files only, and no inline event handlers.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", function () {
      window.print();
    });
  }
});
