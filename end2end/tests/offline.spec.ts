import { BrowserContext, expect, Page, Route, test } from '@playwright/test';
import * as id from './testids';
import { addClient, api, hydrated, inviteAndJoin, signUpCoach, uniqueEmail } from './helpers';

// `context.setOffline` does not reach a service worker's own requests; Playwright sees them (and
// so can refuse them) only with PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS, which
// playwright.config.ts sets. Offline here is both: the page's requests and the worker's.
function refuseForWorker(route: Route) {
  return route.request().serviceWorker() ? route.abort('internetdisconnected') : route.continue();
}

async function goOffline(context: BrowserContext) {
  await context.setOffline(true);
  await context.route('**', refuseForWorker);
}

async function goOnline(context: BrowserContext) {
  await context.unroute('**', refuseForWorker);
  await context.setOffline(false);
}

/** The portal pages the service worker keeps, by path. */
function keptPages(page: Page) {
  return page.evaluate(async () => {
    const cache = await caches.open('coachroom-portal-pages-v1');
    return (await cache.keys()).map((request) => new URL(request.url).pathname).sort();
  });
}

/** The page's IndexedDB databases by name: the offline queue's is `coachroom-offline`. */
function queueDatabases(page: Page) {
  return page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name ?? '').sort());
}

/** Check-ins waiting for the coach's review. */
async function waitingForCoach(coach: Page): Promise<number> {
  return (await api(coach, 'coach/today', {})).waiting.length;
}

test('the portal is installable, opens offline, and a check-in made offline is sent once when the connection returns', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  await signUpCoach(coach, 'Olive Coach', uniqueEmail('olive'));
  const clientId = (await addClient(coach, 'Remy Client')).split('/').pop() ?? '';
  const planId = await api(coach, 'meal_plans/create', { name: 'Offline week', client_id: clientId });
  await api(coach, 'meal_plans/activate', { plan_id: planId, active: 'true' });
  const client = await inviteAndJoin(coach, browser);
  const context = client.context();
  await hydrated(client);

  // Installable: the manifest is linked, with icons a phone can use.
  const manifestHref = await client.locator('link[rel="manifest"]').getAttribute('href');
  const manifest = await (await client.request.get(manifestHref ?? '')).json();
  expect(manifest.start_url).toBe('/portal');
  expect(manifest.display).toBe('standalone');
  expect(manifest.icons.map((icon: { sizes: string }) => icon.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));

  // Online, the worker keeps the home and the check-in page, and each portal page seen.
  await client.goto('/portal/plans');
  await hydrated(client);
  await expect(client.getByText('Offline week')).toBeVisible();
  await expect.poll(() => keptPages(client), { timeout: 30_000 }).toEqual(['/portal', '/portal/checkin', '/portal/plans']);

  await goOffline(context);
  await client.goto('/portal/plans');
  await hydrated(client);
  await expect(client.getByText('Offline week')).toBeVisible();
  // A tab followed offline loads the page as it was kept, not an error from the app.
  await client.getByTestId(id.NAV_MY_HOME).click();
  await expect(client).toHaveURL(/\/portal$/);
  await hydrated(client);
  await expect(client.getByRole('heading', { name: 'Hello, Remy Client' })).toBeVisible();
  // A page never seen says so.
  await client.goto('/portal/progress');
  await expect(client.getByTestId('offline-page')).toBeVisible();

  // A check-in made offline is kept on the device, and says so.
  await client.goto('/portal/checkin');
  await hydrated(client);
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('79.5');
  await client.getByTestId(id.CHECKIN_FEEDBACK).fill('Sent from the mountains.');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(id.CHECKIN_QUEUED)).toHaveAttribute('data-state', 'waiting');
  await expect(client.getByTestId(id.CHECKIN_QUEUED)).toBeFocused();
  await expect(client.getByTestId(id.OFFLINE_WAITING)).toContainText('1 check-in is saved on this device');
  expect(await waitingForCoach(coach)).toBe(0);
  // Still there after the page is opened again, offline.
  await client.reload();
  await hydrated(client);
  await expect(client.getByTestId(id.OFFLINE_WAITING)).toContainText('1 check-in is saved on this device');

  // Back online: sent by itself, once.
  await goOnline(context);
  await expect(client.getByTestId(id.OFFLINE_WAITING)).toBeHidden({ timeout: 30_000 });
  expect(await waitingForCoach(coach)).toBe(1);
  const sent = (await api(client, 'portal/checkins/list', {}))[0];
  const detail = await api(client, 'portal/checkins/get', { checkin_id: sent.id });
  expect(detail.feedback).toBe('Sent from the mountains.');

  // An attempt that reached the server but whose answer was lost: kept, sent again with the
  // same key, and still one check-in.
  await client.goto('/portal/checkin');
  await hydrated(client);
  let attempts = 0;
  await client.route('**/api/portal/checkins/submit', async (route) => {
    attempts += 1;
    if (attempts === 1) {
      const recorded = await route.fetch();
      expect(recorded.status()).toBe(200);
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('79.0');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  const queued = client.getByTestId(id.CHECKIN_QUEUED);
  await expect(queued).toHaveAttribute('data-state', 'waiting');
  expect(await waitingForCoach(coach)).toBe(2);
  // The connection "returns": the queue sends it again, and the server answers with the first.
  await client.evaluate(() => window.dispatchEvent(new Event('online')));
  await expect(queued).toHaveAttribute('data-state', 'sent');
  await expect(queued.getByRole('link', { name: 'View your check-in' })).toBeVisible();
  expect(attempts).toBe(2);
  expect(await waitingForCoach(coach)).toBe(2);
  expect((await api(client, 'portal/checkins/list', {})).length).toBe(2);

  // Signing out forgets what the device kept: the pages, and the queue with a check-in still
  // in it (it goes unsent).
  await client.unroute('**/api/portal/checkins/submit');
  await goOffline(context);
  await client.goto('/portal/checkin');
  await hydrated(client);
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('78.0');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(id.OFFLINE_WAITING)).toContainText('1 check-in is saved on this device');
  expect(await queueDatabases(client)).toEqual(['coachroom-offline']);
  // Back online, but the check-in still cannot get through.
  await client.route('**/api/portal/checkins/submit', (route) => route.abort('internetdisconnected'));
  await goOnline(context);
  await client.getByTestId(id.NAV_LOGOUT).click();
  await expect(client).toHaveURL(/\/login$/);
  await hydrated(client);
  await expect.poll(() => keptPages(client)).toEqual([]);
  await expect.poll(() => queueDatabases(client)).toEqual([]);
  expect(await waitingForCoach(coach)).toBe(2);
});
