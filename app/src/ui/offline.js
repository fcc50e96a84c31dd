// The portal's offline support inside the page (app/src/ui/offline.rs calls these):
// - the service worker (public/sw.js), told which portal pages the client sees so it keeps them;
// - the queue of check-ins made without a connection, kept in IndexedDB until they are sent.
//   IndexedDB rather than local storage: it keeps the photos (File objects) as they are.
// Each queued check-in carries the idempotency key it was first sent with, so sending it again
// after an attempt that did reach the server records nothing twice, and the account it was made
// for (`sender_id`), which the server checks against whoever is signed in when it is sent.

const DB_NAME = 'coachroom-offline';
const STORE = 'checkins';
// One attempt may not hold the queue forever (a connection that hangs).
const SEND_TIMEOUT_MS = 60_000;

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, work) {
  const db = await openDb();
  try {
    const tx = db.transaction(STORE, mode);
    const result = await work(tx.objectStore(STORE));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
    return result;
  } finally {
    db.close();
  }
}

const asPromise = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/// Keeps the check-in in `form` (its fields and chosen photos) for `userId`, under `key`.
export async function queueCheckin(userId, key, form) {
  const entries = [];
  for (const [name, value] of new FormData(form)) {
    // An empty file input still makes a part: nothing to keep.
    if (value instanceof File && value.size === 0) continue;
    entries.push([name, value]);
  }
  await withStore('readwrite', (store) => asPromise(store.put({ key, userId, entries, queuedAt: Date.now() })));
}

/// How many check-ins of `userId` are waiting.
export async function waitingCheckins(userId) {
  const all = await withStore('readonly', (store) => asPromise(store.getAll()));
  return all.filter((item) => item.userId === userId).length;
}

/// Sends `userId`'s waiting check-ins to `url`, oldest first, and stops at the first that cannot
/// reach the server. Answers `{ sent: [{key, id}], refused: [{key, detail}], waiting: count,
/// signInNeeded }`. Another account's check-ins on this device are removed unsent.
export async function sendWaiting(url, userId) {
  const all = await withStore('readonly', (store) => asPromise(store.getAll()));
  all.sort((a, b) => a.queuedAt - b.queuedAt);
  const outcome = { sent: [], refused: [], waiting: 0, signInNeeded: false };
  const remove = (key) => withStore('readwrite', (store) => asPromise(store.delete(key)));
  let stopped = false;
  for (const item of all) {
    if (item.userId !== userId) {
      await remove(item.key);
      continue;
    }
    if (stopped) {
      outcome.waiting += 1;
      continue;
    }
    const body = new FormData();
    for (const [name, value] of item.entries) body.append(name, value);
    let response;
    try {
      response = await fetch(url, {
        method: 'POST', body, credentials: 'same-origin',
        headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
    } catch (unreachable) {
      stopped = true;
      outcome.waiting += 1;
      continue;
    }
    // Signed out (kept until they sign in again), busy or failing: kept for the next try; the
    // key makes a repeat harmless.
    if (response.status === 401 || response.status === 429 || response.status >= 500) {
      outcome.signInNeeded ||= response.status === 401;
      stopped = true;
      outcome.waiting += 1;
      continue;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      outcome.sent.push({ key: item.key, id: String(answer.id || '') });
    } else {
      outcome.refused.push({ key: item.key, detail: String(answer.detail || 'It was refused.') });
    }
    await remove(item.key);
  }
  return outcome;
}

// Whether this page load itself came through the worker, which kept it already.
const controlledAtLoad = typeof navigator !== 'undefined' && !!navigator.serviceWorker?.controller;
const loadedPath = typeof location !== 'undefined' ? location.pathname : '';

/// Registers the service worker and asks it to keep `path` (the portal page shown), `ifMissing`
/// (pages kept once: the home, the check-in form) and the app files this page loaded, so they
/// open offline. Does nothing where service workers are not available (plain http other than
/// localhost, old browsers).
export function keepForOffline(path, ifMissing) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const paths = controlledAtLoad && path === loadedPath ? [] : [path];
  navigator.serviceWorker.register('/sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const assets = performance.getEntriesByType('resource')
        .map((entry) => new URL(entry.name))
        .filter((url) => url.origin === location.origin && url.pathname.startsWith('/pkg/'))
        .map((url) => url.pathname);
      registration.active?.postMessage({ type: 'seen', paths, ifMissing, assets });
    })
    .catch(() => {});
}

let linksFollowed = false;

/// Offline, a link to a portal page loads it whole, which the service worker serves as kept: in
/// the app, the router would ask the server for the page's data and find no connection. One
/// listener for the whole page, ahead of the router's (which leaves a handled click alone).
export function loadPortalLinksWholeWhenOffline() {
  if (linksFollowed) return;
  linksFollowed = true;
  window.addEventListener('click', (event) => {
    if (navigator.onLine || event.defaultPrevented || event.button !== 0
        || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!link || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !(url.pathname === '/portal' || url.pathname.startsWith('/portal/'))) return;
    event.preventDefault();
    location.assign(url.href);
  }, true);
}

/// Forgets the portal's pages kept on this device (nobody is signed in any more) and, with
/// `queueToo` (signing out), the queued check-ins. A session that ran out keeps the queue: the
/// same person signing in again sends it; anyone else's sign-in removes it unsent. Sign-out also
/// sends `Clear-Site-Data`, for browsers that honour it.
export function forgetOffline(queueToo) {
  if (queueToo) {
    try {
      indexedDB.deleteDatabase(DB_NAME);
    } catch (unavailable) { /* nothing was kept */ }
  }
  if ('caches' in window) {
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('coachroom-portal-pages')).map((n) => caches.delete(n))))
      .catch(() => {});
  }
}
