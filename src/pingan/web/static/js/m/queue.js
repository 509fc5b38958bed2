/* The field app's offline queue (pingan issue 24): every action is kept in IndexedDB with its
 * own Idempotency-Key and sent in order when the network is there (on `online`, on open, on a
 * timer). The server's answer replaces the local copy; a 4xx answer (409, 422, ...) stays on
 * the item with its reason; a network failure or a 5xx leaves it waiting. Photos are kept as
 * blobs and uploaded first, each with a key of its own, in a multipart body whose boundary is
 * derived from that key (a resend is byte for byte the same request, so the server replays).
 * Snapshots of the last answers of the reads (the officer's queue, tasks, ...) live here too. */
"use strict";
window.FQ = (function () {
  // one database per user: a phone handed over keeps nobody else's queue or copies
  const DB = "pingan-field:" + (document.body.dataset.user || "");
  const listeners = new Set();
  let csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  let dbp = null;
  let running = null;

  function db() {
    if (!dbp) {
      dbp = idb.openDB(DB, 1, {
        upgrade(d) {
          const out = d.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
          out.createIndex("state", "state");
          d.createObjectStore("snap", { keyPath: "name" });
        },
      });
    }
    return dbp;
  }
  const emit = (what) => listeners.forEach((f) => { try { f(what); } catch (e) { setTimeout(() => { throw e; }); } });
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(16) + Math.random().toString(16).slice(2));

  async function add(item) {
    const row = Object.assign({
      key: uuid(), created_at: new Date().toISOString(), state: "waiting",
      error: null, result: null, photos: [], uploaded: [],
    }, item);
    row.id = await (await db()).add("outbox", row);
    emit("queue");
    if (navigator.onLine) sync();
    return row;
  }
  async function list() { return (await db()).getAll("outbox"); }
  async function waiting() {
    const all = await list();
    return all.filter((r) => r.state === "waiting" || r.state === "sending").length;
  }
  async function put(row) { await (await db()).put("outbox", row); emit("queue"); }
  async function discard(id) { await (await db()).delete("outbox", id); emit("queue"); }
  async function retry(id) {
    const d = await db();
    const row = await d.get("outbox", id);
    if (!row || row.state !== "failed") return;
    // a refused request changed nothing on the server: a fresh key sends it anew
    Object.assign(row, { state: "waiting", error: null, key: uuid(), uploaded: [] });
    await put(row);
    if (navigator.onLine) sync();
  }
  async function saveSnap(name, data) { await (await db()).put("snap", { name, data, at: new Date().toISOString() }); }
  async function getSnap(name) { const r = await (await db()).get("snap", name); return r ? r.data : null; }

  async function refreshCsrf() {
    // the page itself carries the token (not a navigation: the worker lets it through)
    const r = await fetch("/m/", { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } });
    const m = /name="csrf-token" content="([^"]*)"/.exec(await r.text());
    if (m) csrf = m[1];
  }

  function multipart(key, photo, extra) {
    const b = "pa" + key.replace(/[^A-Za-z0-9]/g, "");
    const parts = [];
    for (const [k, v] of Object.entries(extra || {})) {
      parts.push(`--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
    }
    const name = (photo.name || "photo.jpg").replace(/["\r\n]/g, "_");
    parts.push(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${photo.type || "image/jpeg"}\r\n\r\n`);
    parts.push(photo.blob, `\r\n--${b}--\r\n`);
    return { body: new Blob(parts), type: `multipart/form-data; boundary=${b}` };
  }

  async function send(method, url, key, body, type) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await fetch(url, {
        method, body, credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": type, "Idempotency-Key": key, "X-CSRF-Token": csrf },
      });
      if (r.headers.get("X-Pingan-Offline")) return { status: 0, data: {} };  // the worker: no network
      const data = await r.json().catch(() => ({}));
      const err = data && data.error;
      if (r.status === 403 && err && err.field === "x-csrf-token" && attempt === 0) { await refreshCsrf(); continue; }
      return { status: r.status, data, replayed: r.headers.get("Idempotency-Replayed") === "true" };
    }
    return { status: 0, data: {} };
  }

  /* One item: its photos, then itself. "stop" (no network, server busy, signed out), or done. */
  async function one(row) {
    for (let i = 0; i < row.photos.length; i++) {
      if (row.uploaded[i]) continue;
      const mp = multipart(`${row.key}.p${i}`, row.photos[i], row.upload.extra);
      const r = await send("POST", row.upload.url, `${row.key}.p${i}`, mp.body, mp.type);
      if (!(await settle(row, r, true))) return false;
      row.uploaded[i] = r.data.id;
      await put(row);
    }
    const body = Object.assign({}, row.body);
    if (row.photos.length) body.attachment_ids = row.uploaded.slice();
    const r = await send(row.method, row.url, row.key, JSON.stringify(body), "application/json");
    if (!(await settle(row, r, false))) return false;
    row.state = "done";
    row.result = r.data;
    row.synced_at = new Date().toISOString();
    row.photos = [];  // the server has them now
    await put(row);
    emit({ done: row });
    return true;
  }

  /* true: go on with this item; false: this item is finished (failed) or sync must stop. */
  async function settle(row, r, partial) {
    if (r.status >= 200 && r.status < 300) return true;
    if (r.status === 0 || r.status >= 500 || r.status === 401 || r.status === 429) {
      row.state = "waiting";
      await put(row);
      if (r.status === 401) emit("auth");
      throw new Stop();
    }
    const err = (r.data && r.data.error) || {};
    row.state = "failed";
    row.error = { status: r.status, code: err.code || "", field: err.field || "", message: err.display || err.message || "", partial };
    await put(row);
    emit({ failed: row });
    return false;
  }
  class Stop extends Error {}

  async function drain() {
    const rows = (await list()).filter((r) => r.state === "waiting" || r.state === "sending").sort((a, b) => a.id - b.id);
    for (const row of rows) {
      if (!navigator.onLine) return;
      row.state = "sending";
      await put(row);
      try {
        await one(row);
      } catch (e) {
        if (!(e instanceof Stop)) { row.state = "waiting"; await put(row); }
        return;  // no network (fetch threw), server busy or signed out: keep the order
      }
    }
    // keep what was sent for a day (the officer sees what went), then forget it
    const old = Date.now() - 86400e3;
    for (const r of await list()) if (r.state === "done" && Date.parse(r.synced_at) < old) await discard(r.id);
  }

  function sync() {
    if (running) return running;
    const go = () => drain().finally(() => { running = null; emit("synced"); });
    running = navigator.locks ? navigator.locks.request("pingan-field-sync", go) : go();
    return running;
  }

  window.addEventListener("online", () => sync());
  setInterval(() => { if (navigator.onLine) sync(); }, 20000);

  return {
    add, list, waiting, discard, retry, sync, saveSnap, getSnap, refreshCsrf,
    on: (f) => listeners.add(f),
    get csrf() { return csrf; },
  };
})();
