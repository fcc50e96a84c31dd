import { Browser, expect, Page, test } from '@playwright/test';
import * as id from './testids';
import { addClient, hydrated, PASSWORD, signUpCoach, uniqueEmail } from './helpers';

/** A page in a browser context with JavaScript off: what a phone shows while the app is still
 * downloading. Every form there is a plain HTML form post. */
async function withoutJs(browser: Browser, signedInAs?: Page): Promise<Page> {
  const storageState = signedInAs ? await signedInAs.context().storageState() : undefined;
  const context = await browser.newContext({ javaScriptEnabled: false, storageState });
  return context.newPage();
}

/** A coach (with the app) and a client who accepted the invitation with JavaScript off, landing
 * on the portal. */
async function coachWithJoinedClient(browser: Browser, coachName: string): Promise<{ coach: Page; client: Page }> {
  const coach = await (await browser.newContext()).newPage();
  await signUpCoach(coach, coachName, uniqueEmail(coachName.split(' ')[0].toLowerCase()));
  await addClient(coach, 'Riley Client');
  await coach.getByTestId(id.INVITE_SEND).click();
  const link = await coach.getByTestId(id.INVITE_LINK).inputValue();
  const client = await withoutJs(browser);
  await client.goto(link);
  await client.getByTestId(id.JOIN_PASSWORD).fill(PASSWORD);
  await client.getByTestId(id.JOIN_SUBMIT).click();
  await expect(client).toHaveURL(/\/portal$/);
  return { coach, client };
}

test('before the app loads, sign-up, login and the invitation work as plain forms, errors shown on the page', async ({ browser }) => {
  const page = await withoutJs(browser);
  const email = uniqueEmail('nojs');
  await page.goto('/signup');
  await page.getByTestId(id.SIGNUP_NAME).fill('Noa Coach');
  await page.getByTestId(id.SIGNUP_EMAIL).fill(email);
  await page.getByTestId(id.SIGNUP_PASSWORD).fill(PASSWORD);
  await page.getByTestId(id.SIGNUP_SUBMIT).click();
  await expect(page).toHaveURL(/\/coach$/);
  await expect(page.getByTestId(id.DASHBOARD_GREETING)).toHaveText('Welcome, Noa Coach');

  // A taken address: back on the sign-up page, with the reason.
  const again = await withoutJs(browser);
  await again.goto('/signup');
  await again.getByTestId(id.SIGNUP_NAME).fill('Noa Again');
  await again.getByTestId(id.SIGNUP_EMAIL).fill(email);
  await again.getByTestId(id.SIGNUP_PASSWORD).fill(PASSWORD);
  await again.getByTestId(id.SIGNUP_SUBMIT).click();
  await expect(again).toHaveURL(/\/signup/);
  await expect(again.getByTestId(id.FORM_ERROR)).not.toBeEmpty();

  // "Forgot your password?" on a server without email says who can help.
  await again.goto('/forgot-password');
  await again.getByTestId(id.FORGOT_EMAIL).fill(email);
  await again.getByTestId(id.FORGOT_SUBMIT).click();
  await expect(again.getByTestId(id.FORM_ERROR)).toContainText('whoever runs your Coachroom');
  // Login: a wrong password says so; the right one goes to `next`.
  await again.goto('/login?next=/coach/settings');
  await again.getByTestId(id.LOGIN_EMAIL).fill(email);
  await again.getByTestId(id.LOGIN_PASSWORD).fill('not the password at all');
  await again.getByTestId(id.LOGIN_SUBMIT).click();
  await expect(again.getByTestId(id.FORM_ERROR)).not.toBeEmpty();
  await again.getByTestId(id.LOGIN_EMAIL).fill(email);
  await again.getByTestId(id.LOGIN_PASSWORD).fill(PASSWORD);
  await again.getByTestId(id.LOGIN_SUBMIT).click();
  await expect(again).toHaveURL(/\/coach\/settings$/);

  // The invitation, accepted before the app loads.
  await coachWithJoinedClient(browser, 'Ida Coach');
});

test('before the app loads, the check-in, the reply and the coach\'s create forms work as plain forms', async ({ browser }) => {
  const { coach, client } = await coachWithJoinedClient(browser, 'Kim Coach');

  // A refused check-in comes back to the form with the reason.
  await client.goto('/portal/checkin');
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('5000');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client).toHaveURL(/\/portal\/checkin\?/);
  await expect(client.getByTestId(id.FORM_ERROR)).toContainText('Weight');
  // The check-in: a multipart post that lands on the check-in.
  await client.goto('/portal/checkin');
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('80.5');
  await client.getByTestId(id.CHECKIN_FEEDBACK).fill('Sent before the app loaded.');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client).toHaveURL(/\/portal\/checkins\/[0-9a-f]{32}$/);
  await expect(client.getByText('Sent before the app loaded.')).toBeVisible();
  const checkinId = client.url().split('/').pop();

  // The coach replies with JavaScript off.
  const plainCoach = await withoutJs(browser, coach);
  await plainCoach.goto(`/coach/checkins/${checkinId}`);
  await plainCoach.getByTestId(id.REVIEW_REPLY).fill('Well done.');
  await plainCoach.getByTestId(id.REVIEW_SUBMIT).click();
  // Back on the page (Leptos leaves an empty query behind).
  await expect(plainCoach).toHaveURL(new RegExp(`/coach/checkins/${checkinId}\\??$`));
  await expect(plainCoach.getByTestId(id.REVIEW_DONE)).toBeVisible();

  // The coach's create forms: a client, then on their page a goal and a note.
  await plainCoach.goto('/coach/new-client');
  await plainCoach.getByTestId(id.CLIENT_NAME).fill('Sam Client');
  await plainCoach.getByTestId(id.CLIENT_EMAIL).fill(uniqueEmail('sam'));
  await plainCoach.getByTestId(id.CLIENT_SUBMIT).click();
  await expect(plainCoach).toHaveURL(/\/coach\/clients\/[0-9a-f]{32}$/);
  await expect(plainCoach.getByTestId(id.CLIENT_TITLE)).toHaveText('Sam Client');
  // The page's tabs are plain links, and each tab's form lands back on its tab.
  await plainCoach.getByTestId(`${id.CLIENT_TAB_LINK_PREFIX}goals`).click();
  await expect(plainCoach).toHaveURL(/\/coach\/clients\/[0-9a-f]{32}\/goals$/);
  await plainCoach.getByTestId(id.GOAL_FORM_TITLE).fill('Walk daily');
  await plainCoach.getByTestId(id.GOAL_FORM_KIND).selectOption('habit');
  await plainCoach.getByTestId(id.GOAL_FORM_PER_WEEK).fill('5');
  await plainCoach.getByTestId(id.GOAL_FORM_SUBMIT).click();
  await expect(plainCoach.getByTestId(id.GOAL_ROW)).toContainText('Walk daily');
  await expect(plainCoach).toHaveURL(/\/goals\??$/);
  await plainCoach.getByTestId(`${id.CLIENT_TAB_LINK_PREFIX}notes`).click();
  await plainCoach.getByTestId(id.NOTE_BODY).fill('Prefers mornings');
  await plainCoach.getByTestId(id.NOTE_ADD).click();
  await expect(plainCoach.getByTestId(id.NOTE_ITEM)).toContainText('Prefers mornings');

  // A plan template and a form open their builders.
  await plainCoach.goto('/coach/plans');
  await plainCoach.getByTestId(id.PLAN_NEW_NAME).first().fill('Lean week');
  await plainCoach.getByTestId(id.PLAN_NEW_SUBMIT).first().click();
  await expect(plainCoach).toHaveURL(/\/coach\/plans\/meal\/[0-9a-f]{32}$/);
  await plainCoach.goto('/coach/forms');
  await plainCoach.getByTestId(id.FORM_NEW_NAME).fill('Intake');
  await plainCoach.getByTestId(id.FORM_NEW_SUBMIT).click();
  await expect(plainCoach).toHaveURL(/\/coach\/forms\/[0-9a-f]{32}$/);

  // And with the app loaded, the same pages still work as before.
  await coach.goto('/coach');
  await hydrated(coach);
});

/** A page with the app whose WASM waits until `release()`: the server-rendered form is there to
 * type into, and the app loads (and hydrates over it) afterwards. */
async function withAppHeldBack(browser: Browser, signedInAs: Page): Promise<{ page: Page; release: () => void }> {
  const context = await browser.newContext({ storageState: await signedInAs.context().storageState() });
  const page = await context.newPage();
  let release = () => {};
  const released = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/*.wasm', async (route) => {
    await released;
    await route.continue();
  });
  return { page, release };
}

test('what is typed while the app is still loading stays when it loads, and is what is sent', async ({ browser }) => {
  const { client } = await coachWithJoinedClient(browser, 'Lee Coach');

  // The client types the check-in before the app has loaded, then the app loads over it.
  const early = await withAppHeldBack(browser, client);
  await early.page.goto('/portal/checkin', { waitUntil: 'domcontentloaded' });
  await early.page.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('81.5');
  await early.page.getByTestId(`${id.CHECKIN_FIELD_PREFIX}mood`).selectOption('7');
  await early.page.getByTestId(id.CHECKIN_FEEDBACK).fill('Typed on a slow phone.');
  early.release();
  await hydrated(early.page);
  await expect(early.page.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`)).toHaveValue('81.5');
  await expect(early.page.getByTestId(`${id.CHECKIN_FIELD_PREFIX}mood`)).toHaveValue('7');
  await expect(early.page.getByTestId(id.CHECKIN_FEEDBACK)).toHaveValue('Typed on a slow phone.');
  await early.page.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(early.page.getByTestId(id.CHECKIN_SUBMITTED)).toBeVisible();
  await early.page.getByTestId(id.CHECKIN_SUBMITTED).getByRole('link').click();
  await expect(early.page.getByText('Typed on a slow phone.')).toBeVisible();
  await expect(early.page.getByText('81.5 kg')).toBeVisible();
});
