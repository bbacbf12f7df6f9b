// The operations board refreshes its body every 30 s (PLANNER_OPS_REFRESH_SECONDS) without reloading the page: it fetches the board's fragment
// (admin:ops_board, same day and moment as the page) and swaps it in; the fragment carries its own "updated" time.
// A failed fetch keeps what is shown and marks it stale, and the next tick tries again.
// A file rather than an inline script: the Content-Security-Policy allows scripts from our own files only.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const board = document.querySelector("[data-ops-board]");
  if (!board) {
    return;
  }
  const url = board.dataset.opsBoard;
  const seconds = Math.max(parseInt(board.dataset.refreshSeconds || "30", 10) || 30, 1);
  let busy = false;
  const markStale = function () {
    const updated = board.querySelector("[data-ops-updated]");
    if (updated && !updated.dataset.stale) {
      updated.dataset.stale = "1";
      // The text comes translated from the page (data-stale-text), in the reader's language.
      updated.textContent = updated.textContent + (board.dataset.staleText || " (could not refresh; retrying)");
    }
  };
  const refresh = function () {
    if (busy) {
      return;
    }
    busy = true;
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          // Signed out (redirect to the login page) or refused: keep the board, say it is stale.
          markStale();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null) {
          board.innerHTML = html;
        }
      })
      .catch(markStale)
      .finally(function () {
        busy = false;
      });
  };
  window.setInterval(refresh, seconds * 1000);
});
