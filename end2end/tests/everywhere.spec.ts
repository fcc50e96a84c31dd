import { Browser, BrowserContextOptions, expect, Page, test } from '@playwright/test';
import * as id from './testids';
import { addClient, api, expectAccessible, hydrated, inviteAndJoin, setUpOperator, signUpCoach, uniqueEmail } from './helpers';

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

test('every route, as each role (operators too), on a desktop and a phone, light and dark: accessible, and nothing wider than the screen', async ({ browser }) => {
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
  // Real content where pages lay out rows: a day of meals with foods, a workout, an action item.
  const food = (name: string, quantity: string, unit: string, protein: string) =>
    ({ name, quantity, unit, protein, carbs: '20', fat: '5', kcal: '' });
  const saved = await coach.request.post('/api/meal_plans/save', {
    data: {
      plan_id: planId, name: 'Lean week', plan: {
        notes: 'Drink water with every meal.', target_protein: '150', target_carbs: '200', target_fat: '60', target_kcal: '',
        days: [{
          name: 'Monday', notes: '', meals: [
            { name: 'Breakfast', notes: 'Before training', foods: [food('Greek yoghurt, full fat', '250', 'g', '25'), food('Porridge oats', '60', 'g', '8')] },
            { name: 'Lunch', notes: '', foods: [food('Chicken breast, grilled', '180', 'g', '55'), food('Basmati rice, cooked', '200', 'g', '5')] },
          ],
        }],
      },
    },
  });
  expect(saved.ok(), await saved.text()).toBe(true);
  const workoutId = await api(coach, 'workout_plans/create', { name: 'Strength block', client_id: clientId });
  await api(coach, 'workout_plans/activate', { plan_id: workoutId, active: 'true' });
  const exercise = (name: string) => ({
    name, sets: '4', reps: '6-8', load: '100', load_unit: 'kg', tempo: '3-1-1', effort_scale: 'rpe', effort: '8', rest_secs: '150', notes: 'Brace before each rep',
  });
  const savedWorkout = await coach.request.post('/api/workout_plans/save', {
    data: {
      plan_id: workoutId, name: 'Strength block', plan: {
        notes: '', sessions: [{ name: 'Lower body', day: 'monday', warm_up: '10 min bike', cool_down: 'Stretch', notes: '', exercises: [exercise('Back squat'), exercise('Romanian deadlift')] }],
      },
    },
  });
  expect(savedWorkout.ok(), await savedWorkout.text()).toBe(true);
  await api(coach, 'sessions/action_items/add', {
    session_id: sessionId, owner: 'client', text: 'Walk for twenty minutes after lunch on weekdays', due_date: '', shared: 'true',
  });

  await visitAll(browser, null, ['/', '/login', '/signup', '/forgot-password', '/operator/login']);
  await visitAll(browser, coach, [
    '/coach', '/coach/new-client', clientPage,
    ...['checkins', 'progress', 'plans', 'goals', 'forms', 'sessions', 'notes'].map((tab) => `${clientPage}/${tab}`),
    '/coach/inbox', `/coach/checkins/${checkinId}`,
    '/coach/plans', `/coach/plans/meal/${planId}`, `/coach/plans/workout/${workoutId}`, '/coach/forms', `/coach/forms/${formId}`,
    `/coach/sessions/${sessionId}`, '/coach/notes', '/coach/ai', '/coach/settings',
    '/coach/access-log', '/account',
  ]);
  // The operator's console, signed in with an authenticator code.
  const operator = await (await browser.newContext()).newPage();
  await setUpOperator(operator, uniqueEmail('ops'));
  await visitAll(browser, operator, ['/operator']);
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
