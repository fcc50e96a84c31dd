import { expect, test } from '@playwright/test';
import * as id from './testids';
import { hydrated, PASSWORD, signUpCoach, uniqueEmail, SMOKE } from './helpers';

test('a coach signs up, stays signed in across a reload, logs out and is refused the dashboard', SMOKE, async ({ page }) => {
  await signUpCoach(page, 'Casey Coach', uniqueEmail('casey'));
  await expect(page.getByTestId(id.DASHBOARD_GREETING)).toHaveText('Welcome, Casey Coach');
  await expect(page.getByTestId(id.ROSTER_EMPTY)).toContainText('No clients yet');

  await page.reload();
  await hydrated(page);
  await expect(page).toHaveURL(/\/coach$/);
  await expect(page.getByTestId(id.DASHBOARD_GREETING)).toHaveText('Welcome, Casey Coach');

  await page.getByTestId(id.NAV_LOGOUT).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByTestId(id.NAV_LOGIN)).toBeVisible();

  await page.goto('/coach');
  await expect(page).toHaveURL(/\/login\?next=\/coach$/);
  await expect(page.getByTestId(id.DASHBOARD)).toHaveCount(0);
});

test('the landing page and the account page hydrate, and their links work', SMOKE, async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  await page.getByTestId(id.NAV_SIGNUP).click();
  await expect(page).toHaveURL(/\/signup$/);
  await expect(page.getByTestId(id.SIGNUP_SUBMIT)).toBeVisible();

  await signUpCoach(page, 'Ari Area', uniqueEmail('ari'));
  await page.getByTestId(id.NAV_ACCOUNT).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.getByTestId(id.ACCOUNT_CURRENT).fill(PASSWORD);
  await page.getByTestId(id.ACCOUNT_NEW).fill('a brand new passphrase');
  await page.getByTestId(id.ACCOUNT_SUBMIT).click();
  await expect(page.getByTestId(id.ACCOUNT_SAVED)).toBeVisible();

  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId(id.ACCOUNT_SUBMIT)).toBeVisible();
});

test('a wrong password is refused with a clear message, the right one lands on the page asked for', async ({ page }) => {
  const email = uniqueEmail('dana');
  await signUpCoach(page, 'Dana Coach', email);
  await page.getByTestId(id.NAV_LOGOUT).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.goto('/coach/settings');
  await expect(page).toHaveURL(/\/login\?next=\/coach\/settings$/);
  await hydrated(page);
  await page.getByTestId(id.LOGIN_EMAIL).fill(email);
  await page.getByTestId(id.LOGIN_PASSWORD).fill('not the password');
  await page.getByTestId(id.LOGIN_SUBMIT).click();
  await expect(page.getByTestId(id.FORM_ERROR)).toHaveText('Email or password is incorrect.');

  await page.getByTestId(id.LOGIN_PASSWORD).fill(PASSWORD);
  await page.getByTestId(id.LOGIN_SUBMIT).click();
  await expect(page).toHaveURL(/\/coach\/settings$/);
  await expect(page.getByTestId(id.SETTINGS_FORM)).toBeVisible();
});

test('a coach edits workspace settings and sees validation errors', async ({ page }) => {
  await signUpCoach(page, 'Eli Coach', uniqueEmail('eli'));
  await page.getByTestId(id.NAV_SETTINGS).click();
  await expect(page.getByTestId(id.SETTINGS_FORM)).toBeVisible();
  await hydrated(page);

  // The time zone is picked from every IANA zone, offered as the coach types.
  await expect.poll(() => page.locator('#time-zone-names option').count()).toBeGreaterThan(300);
  await page.getByTestId(id.SETTINGS_TIMEZONE).fill('Mars/Olympus');
  await page.getByTestId(id.SETTINGS_SUBMIT).click();
  await expect(page.getByTestId(id.FORM_ERROR)).toContainText('Time zone: choose one from the list');

  await page.getByTestId(id.SETTINGS_BRAND).fill('Eli Strength');
  await page.getByTestId(id.SETTINGS_UNITS).selectOption('imperial');
  await page.getByTestId(id.SETTINGS_TIMEZONE).fill('Europe/Berlin');
  await page.getByTestId(id.SETTINGS_SUBMIT).click();
  await expect(page.getByTestId(id.SETTINGS_SAVED)).toBeVisible();

  await page.reload();
  await expect(page.getByTestId(id.SETTINGS_BRAND)).toHaveValue('Eli Strength');
  await expect(page.getByTestId(id.SETTINGS_UNITS)).toHaveValue('imperial');
  await expect(page.getByTestId(id.SETTINGS_TIMEZONE)).toHaveValue('Europe/Berlin');
});

test('on a phone the coach menu folds behind a button, and a choice folds it again', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true });
  const page = await context.newPage();
  await signUpCoach(page, 'Pat Coach', uniqueEmail('pat'));
  await expect(page.getByTestId(id.NAV_PLANS)).toBeHidden();
  await page.getByTestId(id.NAV_MENU).click();
  await page.getByTestId(id.NAV_PLANS).click();
  await expect(page).toHaveURL(/\/coach\/plans$/);
  await expect(page.getByTestId(id.NAV_PLANS)).toBeHidden();
  // On a desktop the links show and the button does not.
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(page.getByTestId(id.NAV_PLANS)).toBeVisible();
  await expect(page.getByTestId(id.NAV_MENU)).toBeHidden();
  await context.close();
});
