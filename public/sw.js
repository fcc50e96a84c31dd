// Coachroom's service worker: the client portal opens without a connection.
//
// - Portal pages (`/portal...`) are fetched from the network first; each one that arrives is
//   kept (at most MAX_PAGES), and served when the network cannot be reached. They hold the
//   client's own data, so all of them are forgotten as soon as a portal page answers with
//   anything but itself (a redirect: signed out, or another role), when a signed-out page loads
//   (app/src/ui/offline.js, forgetOffline), and at sign-out (`Clear-Site-Data: "storage"`).
// - The app's files (`/pkg/...`) that portal pages load are kept too: from the cache first when
//   their name carries a content hash, from the network first otherwise (wasm-bindgen's
//   snippets keep their name across builds). Each portal page reports the files it loaded, and
//   kept files no page loads any more (an older build's) are dropped then.
// - Nothing else is touched: the coach's pages and their files, every API call and every POST
//   go straight to the network. Check-ins made offline are queued by the page itself.

const PAGES = 'coachroom-portal-pages-v1';
const ASSETS = 'coachroom-assets-v1';
const KEEP = [PAGES, ASSETS];
const MAX_PAGES = 40;

const isPortalPath = (path) => path === '/portal' || path.startsWith('/portal/');
// As server::http::has_content_hash: a dot-separated part of the name of 8+ URL-safe characters.
const hasContentHash = (path) => {
  const parts = path.split('/').pop().split('.');
  return parts.length >= 3 && parts.slice(1, -1).some((part) => /^[A-Za-z0-9_-]{8,}$/.test(part));
};

self.addEventListener('install', (event) => {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('coachroom-') && !KEEP.includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/// Fetches a portal page and keeps it, or forgets every kept page when the answer is not the
/// page itself. A navigation sees the guard's redirect as an opaque redirect; the page's own
/// background fetches follow it and see `redirected`.
async function fetchAndKeep(request) {
  const response = await fetch(request);
  const path = new URL(request.url).pathname;
  const finalPath = response.url ? new URL(response.url).pathname : path;
  const isPage = (response.headers.get('content-type') || '').startsWith('text/html');
  if (response.type === 'opaqueredirect' || response.redirected || finalPath !== path
      || response.status === 401 || response.status === 403) {
    await caches.delete(PAGES);
  } else if (response.ok && isPage) {
    const cache = await caches.open(PAGES);
    await cache.delete(path);
    await cache.put(path, response.clone());
    // Oldest first (insertion order): the least recently kept pages go.
    const kept = await cache.keys();
    for (const old of kept.slice(0, Math.max(0, kept.length - MAX_PAGES))) await cache.delete(old);
  }
  return response;
}

// The app's stylesheet has a content-hashed name this worker does not know: a few rules inline.
const OFFLINE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · Coachroom</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:2rem 1rem;color:#1f2933;background:#f7f8fa}
main{max-width:32rem;margin:auto}a{color:#1d4ed8}</style></head><body><main id="main" data-testid="offline-page">
<h1>You are offline</h1>
<p>This page was not saved on this device. Your portal's pages open without a connection once you have seen them here.</p>
<p><a href="/portal">Open your portal</a></p></main></body></html>`;

async function portalPage(request) {
  try {
    return await fetchAndKeep(request);
  } catch (networkError) {
    const kept = await (await caches.open(PAGES)).match(new URL(request.url).pathname);
    return kept || new Response(OFFLINE_PAGE, {
      status: 503,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
}

async function asset(request) {
  const cache = await caches.open(ASSETS);
  const path = new URL(request.url).pathname;
  if (hasContentHash(path)) {
    const kept = await cache.match(request);
    if (kept) return kept;
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  }
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (networkError) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw networkError;
  }
}

/// Whether a request comes from a portal page (only theirs are kept).
async function fromPortal(event) {
  const client = event.clientId ? await self.clients.get(event.clientId) : null;
  return !!client && isPortalPath(new URL(client.url).pathname);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && isPortalPath(url.pathname)) {
    event.respondWith(portalPage(request));
  } else if (url.pathname.startsWith('/pkg/')) {
    event.respondWith((async () => ((await fromPortal(event)) ? asset(request) : fetch(request)))());
  }
});

self.addEventListener('message', (event) => {
  const message = event.data || {};
  if (message.type !== 'seen') return;
  const list = (value) => (Array.isArray(value) ? value : []).filter((path) => typeof path === 'string');
  const keep = (path) => fetchAndKeep(new Request(path, { credentials: 'same-origin' })).catch(() => null);
  event.waitUntil((async () => {
    const pages = await caches.open(PAGES);
    const missing = [];
    for (const path of list(message.ifMissing).filter(isPortalPath)) {
      if (!(await pages.match(path))) missing.push(path);
    }
    await Promise.all([...list(message.paths).filter(isPortalPath), ...missing].map(keep));
    // The files the page loaded (some before this worker took control) are kept, and kept files
    // that this page no longer loads are dropped: every portal page loads the same set.
    const assets = list(message.assets).filter((path) => path.startsWith('/pkg/'));
    if (assets.length === 0) return;
    await Promise.all(assets.map((path) => asset(new Request(path)).catch(() => null)));
    const cache = await caches.open(ASSETS);
    for (const kept of await cache.keys()) {
      if (!assets.includes(new URL(kept.url).pathname)) await cache.delete(kept);
    }
  })());
});
