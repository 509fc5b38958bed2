/* /province: the page is drawn by the server; say so once the tables are in place. */
"use strict";
(function () {
  document.body.dataset.ready = "1";
})();
