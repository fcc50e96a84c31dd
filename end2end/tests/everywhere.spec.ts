import { Browser, BrowserContextOptions, expect, Page, test } from '@playwright/test';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, inviteAndJoin, signUpCoach, uniqueEmail } from './helpers';

/** Calls a server fn as the page's signed-in user; returns its JSON answer. */
async function api(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/${endpoint}`, { form });
  expect(response.ok(), `${endpoint}: ${await response.text()}`).toBe(true);
  return response.json();
}

const VARIANTS: { name: string; options: BrowserContextOptions }[] = [
  { name: 'desktop, light', options: { viewport: { width: 1280, height: 800 }, colorScheme: 'light' } },
  { name: 'desktop, dark', options: { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' } },
  { name: 'phone, light', options: { viewport: { width: 360, height: 740 }, hasTouch: true, colorScheme: 'light' } },
  { name: 'phone, dark', options: { viewport: { width: 360, height: 740 }, hasTouch: true, colorScheme: 'dark' } },
];

/** Opens each path in each variant, signed in as `as` (or nobody): axe finds nothing serious,
 * and nothing on the page is wider than the screen. */
async function visitAll(browser: Browser, as: Page | null, paths: string[]) {
  const storageState = as ? await as.context().storageState() : undefined;
  for (const variant of VARIANTS) {
    const context = await browser.newContext({ ...variant.options, storageState });
    const page = await context.newPage();
    for (const path of paths) {
      await test.step(`${path} (${variant.name})`, async () => {
        await page.goto(path);
        await hydrated(page);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect.soft(overflow, `${path} (${variant.name}) is ${overflow} px wider than the screen`).toBeLessThanOrEqual(0);
        await expectAccessible(page, true);
      });
    }
    await context.close();
  }
}

test('every route, as each role, on a desktop and a phone, light and dark: accessible, and nothing wider than the screen', async ({ browser }) => {
  test.setTimeout(10 * 60_000);
  // One workspace with something on every page: a joined client with a check-in, a plan, a form
  // and a session.
  const coach = await (await browser.newContext()).newPage();
  await signUpCoach(coach, 'Avery Coach', uniqueEmail('avery'));
  const clientPage = await addClient(coach, 'Riley Client');
  const clientId = clientPage.split('/').pop() ?? '';
  const client = await inviteAndJoin(coach, browser);
  await client.goto('/portal/checkin');
  await hydrated(client);
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('80');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(id.CHECKIN_SUBMITTED)).toBeVisible();
  const checkinId = (await api(coach, 'coach/today', {})).waiting[0].checkin_id;
  const planId = await api(coach, 'meal_plans/create', { name: 'Lean week', client_id: clientId });
  await api(coach, 'meal_plans/activate', { plan_id: planId, active: 'true' });
  const formId = await api(coach, 'forms/create', { name: 'Intake', kind: 'intake' });
  const session = await api(coach, 'sessions/create', {
    client_id: clientId, held_at: '2026-11-20T14:30', duration_min: '45', title: 'First call',
    tags: '', private_notes: '', summary: 'We set goals.', transcript: '',
  });
  const sessionId = typeof session === 'string' ? session : session.id;

  await visitAll(browser, null, ['/', '/login', '/signup', '/forgot-password', '/operator/login']);
  await visitAll(browser, coach, [
    '/coach', '/coach/new-client', clientPage, '/coach/inbox', `/coach/checkins/${checkinId}`,
    '/coach/plans', `/coach/plans/meal/${planId}`, '/coach/forms', `/coach/forms/${formId}`,
    `/coach/sessions/${sessionId}`, '/coach/notes', '/coach/ai', '/coach/settings',
    '/coach/access-log', '/account',
  ]);
  await visitAll(browser, client, [
    '/portal', '/portal/checkin', '/portal/plans', '/portal/progress', '/portal/me',
    '/portal/access-log', `/portal/checkins/${checkinId}`, '/account',
  ]);
});

test('the colour scheme follows the device until the Account page chooses one, which is remembered', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await signUpCoach(page, 'Dana Coach', uniqueEmail('dana'));
  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const DARK = 'rgb(17, 24, 22)';
  const LIGHT = 'rgb(246, 248, 247)';
  expect(await background()).toBe(DARK);
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId(id.THEME_DEVICE)).toBeChecked();
  await page.getByTestId(id.THEME_LIGHT).check();
  expect(await background()).toBe(LIGHT);
  // Remembered: the server renders the next page light from the first paint.
  await page.goto('/coach');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await background()).toBe(LIGHT);
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId(id.THEME_LIGHT)).toBeChecked();
  await page.getByTestId(id.THEME_DEVICE).check();
  expect(await background()).toBe(DARK);
  await page.reload();
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./);
  await context.close();
});
