// The portal's offline support inside the page (app/src/ui/offline.rs calls these):
// - the service worker (public/sw.js), told which portal pages the client sees so it keeps them;
// - the queue of check-ins made without a connection, kept in IndexedDB until they are sent.
//   IndexedDB rather than local storage: it keeps the photos (File objects) as they are.
// Each queued check-in carries the idempotency key it was first sent with, so sending it again
// after an attempt that did reach the server records nothing twice.

const DB_NAME = 'coachroom-offline';
const STORE = 'checkins';

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
/// reach the server. Answers `{ sent: [check-in id], refused: [message], waiting: count }`.
/// Another person's check-ins on this device are removed unsent: they are never sent as this one.
export async function sendWaiting(url, userId) {
  const all = await withStore('readonly', (store) => asPromise(store.getAll()));
  all.sort((a, b) => a.queuedAt - b.queuedAt);
  const outcome = { sent: [], refused: [], waiting: 0 };
  const remove = (key) => withStore('readwrite', (store) => asPromise(store.delete(key)));
  let unreachable = false;
  for (const item of all) {
    if (item.userId !== userId) {
      await remove(item.key);
      continue;
    }
    if (unreachable) {
      outcome.waiting += 1;
      continue;
    }
    const body = new FormData();
    for (const [name, value] of item.entries) body.append(name, value);
    let response;
    try {
      response = await fetch(url, { method: 'POST', body, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    } catch (networkError) {
      unreachable = true;
      outcome.waiting += 1;
      continue;
    }
    // Not signed in, busy or failing: kept for the next try (the key makes a repeat harmless).
    if (response.status === 401 || response.status === 429 || response.status >= 500) {
      unreachable = true;
      outcome.waiting += 1;
      continue;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      outcome.sent.push(String(answer.id || ''));
    } else {
      outcome.refused.push(String(answer.detail || 'Your check-in was refused.'));
    }
    await remove(item.key);
  }
  return outcome;
}

/// Registers the service worker and asks it to keep `paths` (portal pages) and the app files this
/// page loaded, so they open offline. Does nothing where service workers are not available
/// (plain http other than localhost, old browsers).
export function keepForOffline(paths) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('/sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const assets = performance.getEntriesByType('resource')
        .map((entry) => new URL(entry.name))
        .filter((url) => url.origin === location.origin && url.pathname.startsWith('/pkg/'))
        .map((url) => url.pathname);
      registration.active?.postMessage({ type: 'seen', paths, assets });
    })
    .catch(() => {});
}

/// Forgets everything kept for offline use on this device: the queue and the kept pages. Called
/// when nobody is signed in any more (sign-out also sends `Clear-Site-Data`, for any browser
/// that honours it).
export function forgetOffline() {
  try {
    indexedDB.deleteDatabase(DB_NAME);
  } catch (unavailable) { /* nothing was kept */ }
  if ('caches' in window) {
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('coachroom-portal-pages')).map((n) => caches.delete(n))))
      .catch(() => {});
  }
}
