/* Server-rendered pages: drawn when this runs (last in the body), so the page is ready. */
"use strict";
document.body.dataset.ready = "1";
