// Coachroom's service worker: the client portal opens without a connection.
//
// - Portal pages (`/portal...`) are fetched from the network first; each one that arrives is
//   kept, and served when the network cannot be reached. The pages hold the client's own data,
//   so they are forgotten as soon as a portal page answers with anything but itself (signed
//   out, session over, another role), and the server's sign-out clears them too
//   (`Clear-Site-Data`).
// - The app's files (`/pkg/...`) have content-hashed names: kept, and served from the cache.
// - Nothing else is touched: the coach's pages, every API call and every POST go straight to
//   the network. Check-ins made offline are queued by the page itself (app/src/ui/offline.js).
//
// The page tells the worker which portal pages it shows (`seen`), so a page reached inside the
// app (without a full load) is kept too, as the client last saw it.

const PAGES = 'coachroom-portal-pages-v1';
const ASSETS = 'coachroom-assets-v1';
const KEEP = [PAGES, ASSETS];

const isPortalPath = (path) => path === '/portal' || path.startsWith('/portal/');

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
/// page (a redirect to the login, an error): what is kept is only ever the signed-in client's.
async function fetchAndKeep(request) {
  const response = await fetch(request);
  const path = new URL(request.url).pathname;
  const cache = await caches.open(PAGES);
  const finalPath = response.url ? new URL(response.url).pathname : path;
  const isPage = (response.headers.get('content-type') || '').startsWith('text/html');
  if (response.ok && !response.redirected && finalPath === path && isPage) {
    await cache.put(path, response.clone());
  } else if (response.redirected || response.status === 401 || response.status === 403) {
    await caches.delete(PAGES);
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
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && isPortalPath(url.pathname)) {
    event.respondWith(portalPage(request));
  } else if (url.pathname.startsWith('/pkg/')) {
    event.respondWith(asset(request));
  }
});

self.addEventListener('message', (event) => {
  const message = event.data || {};
  const paths = (list) => (Array.isArray(list) ? list : []).filter((path) => typeof path === 'string');
  if (message.type === 'seen') {
    // Kept in the background; a failure only means an older copy stays. The app's files the
    // page loaded before this worker took control are kept too, so the page hydrates offline.
    event.waitUntil(Promise.all([
      ...paths(message.paths).filter(isPortalPath)
        .map((path) => fetchAndKeep(new Request(path, { credentials: 'same-origin' })).catch(() => null)),
      ...paths(message.assets).filter((path) => path.startsWith('/pkg/'))
        .map((path) => asset(new Request(path)).catch(() => null)),
    ]));
  }
});
