/* /reports: the briefing is drawn by the server; the page is ready once it is in place. */
"use strict";
(function () {
  const day = document.getElementById("week-end");
  if (day) day.addEventListener("change", () => document.getElementById("week-form").requestSubmit());
  document.body.dataset.ready = "1";
})();
