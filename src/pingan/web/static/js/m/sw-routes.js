/* The field app's service worker routes (appended by pingan.web.fieldapp to Workbox's modules
 * and the precache list). Scope /m/: it answers the requests of the app's pages only. */
"use strict";
const { precaching, routing, strategies, expiration, cacheableResponse } = self.workbox;

self.skipWaiting();
workbox.core.clientsClaim();

// the shell page of the signed-in officer, kept at install (the first visit's page was loaded
// before this worker ran); a redirect to the sign-in page is not kept
self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    try {
      const r = await fetch("/m/", { credentials: "same-origin", redirect: "manual" });
      if (r.ok && r.type === "basic") await (await caches.open("field-shell")).put("/m/", r);
    } catch (e) { /* no network: the next visit keeps it */ }
  })());
});

// the shell's scripts, styles and icon, by content revision
precaching.precacheAndRoute(self.__PRECACHE.concat([{ url: "/m/manifest.webmanifest", revision: null }]));
precaching.cleanupOutdatedCaches();

const ok = new cacheableResponse.CacheableResponsePlugin({ statuses: [200] });

// no network and nothing kept: an answer the app reads as "offline" (header X-Pingan-Offline)
// instead of a network error, so a request that races a lost connection fails quietly; the
// queue keeps the action and the page keeps its last copy
const offline = {
  handlerDidError: async () => new Response('{"offline":true}', {
    status: 200, headers: { "Content-Type": "application/json", "X-Pingan-Offline": "1" },
  }),
};

// the app shell: from the kept copy at once, refreshed behind, so it opens with a slow network
// or none; a navigation from another page of the site (the sign-in, the language switch) or
// with ?fresh goes to the network first (another user, another language), the copy if none
routing.registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.pathname === "/m/",
  async ({ request, url, event }) => {
    const cache = await caches.open("field-shell");
    const network = fetch(request).then(async (r) => {
      if (r.ok && r.type === "basic" && !r.redirected) await cache.put("/m/", r.clone());
      return r;
    });
    const from = request.referrer ? new URL(request.referrer) : null;
    const elsewhere = from && from.origin === url.origin && !from.pathname.startsWith("/m/");
    if (!url.searchParams.has("fresh") && !elsewhere) {
      const kept = await cache.match("/m/");
      if (kept) { event.waitUntil(network.catch(() => null)); return kept; }
    }
    try {
      return await network;
    } catch (e) {
      const kept = await cache.match("/m/");
      if (kept) return kept;
      throw e;
    }
  }
);

// the API's reads the app shows (queue, tasks, posts, incidents, the road layer): the network
// first, the last answer when there is none
routing.registerRoute(
  ({ request, url }) => request.method === "GET" && url.pathname.startsWith("/api/v1/")
    && !url.pathname.endsWith("/stream"),
  new strategies.NetworkFirst({
    cacheName: "field-api",
    networkTimeoutSeconds: 6,
    plugins: [ok, new expiration.ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 7 * 86400 }), offline],
  })
);

// the queue's changes: straight to the network; with none, the "offline" answer above
for (const method of ["POST", "PUT", "PATCH"]) {
  routing.registerRoute(
    ({ url }) => url.pathname.startsWith("/api/v1/"),
    new strategies.NetworkOnly({ plugins: [offline] }),
    method
  );
}

// the map's library and any other static file met later
routing.registerRoute(
  ({ request, url }) => request.method === "GET" && url.pathname.startsWith("/static/"),
  new strategies.CacheFirst({
    cacheName: "field-static",
    plugins: [ok, new expiration.ExpirationPlugin({ maxEntries: 60, maxAgeSeconds: 30 * 86400 })],
  })
);
