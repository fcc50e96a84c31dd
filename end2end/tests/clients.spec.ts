import { expect, test } from '@playwright/test';
import * as id from './testids';
import { expectAccessible, hydrated, openClientTab, PASSWORD, signUpCoach, uniqueEmail, SMOKE } from './helpers';

test('a coach invites a client, who joins, sees the portal and is kept out of coach pages; archiving moves the client', SMOKE, async ({ browser }) => {
  // Clipboard permissions, so that the test can read back what Copy put there.
  const coachContext = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const coach = await coachContext.newPage();
  await signUpCoach(coach, 'Morgan Coach', uniqueEmail('morgan'));

  // Brand the workspace: the client will see it.
  await coach.getByTestId(id.NAV_SETTINGS).click();
  await expect(coach.getByTestId(id.SETTINGS_FORM)).toBeVisible();
  await coach.getByTestId(id.SETTINGS_BRAND).fill('Morgan Method');
  await coach.getByTestId(id.SETTINGS_SUBMIT).click();
  await expect(coach.getByTestId(id.SETTINGS_SAVED)).toBeVisible();

  await coach.getByTestId(id.NAV_DASHBOARD).click();
  await expect(coach.getByTestId(id.ROSTER_EMPTY)).toContainText('No clients yet');
  await coach.getByTestId(id.ROSTER_ADD).click();
  await expect(coach.getByTestId(id.CLIENT_FORM)).toBeVisible();
  await coach.getByTestId(id.CLIENT_NAME).fill('Riley Client');
  const clientEmail = uniqueEmail('riley');
  await coach.getByTestId(id.CLIENT_EMAIL).fill(clientEmail);
  await coach.getByTestId(id.CLIENT_WEIGHT).fill('5000');
  await coach.getByTestId(id.CLIENT_SUBMIT).click();
  await expect(coach.getByTestId(id.FORM_ERROR)).toHaveText('Weight must be between 20 and 400 kg.');
  await coach.getByTestId(id.CLIENT_WEIGHT).fill('72.5');
  await coach.getByTestId(id.CLIENT_GOALS).fill('Run a 10k by spring');
  await coach.getByTestId(id.CLIENT_SUBMIT).click();
  await expect(coach).toHaveURL(/\/coach\/clients\/[0-9a-f]+$/);
  await expect(coach.getByTestId(id.CLIENT_TITLE)).toHaveText('Riley Client');
  const clientPageUrl = coach.url();

  // No link yet: nothing to withdraw.
  await expect(coach.getByTestId(id.INVITE_EXPIRY)).toHaveText('No link is open.');
  await expect(coach.getByTestId(id.INVITE_REVOKE)).toBeHidden();
  await coach.getByTestId(id.INVITE_SEND).click();
  const link = await coach.getByTestId(id.INVITE_LINK).inputValue();
  expect(link).toMatch(/\/invite\/[0-9a-f]{64}$/);
  await expect(coach.getByTestId(id.INVITE_EXPIRY)).toContainText('The latest link works until');
  await expect(coach.getByTestId(id.INVITE_REVOKE)).toBeVisible();
  await coach.getByTestId(id.INVITE_COPY).click();
  await expect(coach.getByTestId(id.INVITE_COPIED)).toHaveText('Copied.');
  expect(await coach.evaluate(() => navigator.clipboard.readText())).toBe(link);

  // The client, in a separate browser context, opens the link and joins.
  const clientContext = await browser.newContext();
  const client = await clientContext.newPage();
  await client.goto(link);
  await hydrated(client);
  await expect(client.getByTestId(id.JOIN_PAGE)).toContainText('Welcome, Riley Client');
  // An invited client is not offered a coach's sign-up.
  await expect(client.getByTestId(id.NAV_SIGNUP)).toBeHidden();
  await client.getByTestId(id.JOIN_PASSWORD).fill(PASSWORD);
  await client.getByTestId(id.JOIN_SUBMIT).click();
  await expect(client).toHaveURL(/\/portal$/);
  await expect(client.getByTestId(id.PORTAL_BRAND)).toHaveText('Coached by Morgan Method');
  // Their profile is under "Me".
  await client.getByTestId(id.NAV_ME).click();
  await expect(client).toHaveURL(/\/portal\/me$/);
  await expect(client.getByTestId(id.PORTAL_PROFILE)).toContainText('Run a 10k by spring');
  await expect(client.getByTestId(id.PORTAL_PROFILE)).toContainText('72.5 kg');
  // A phone number that is not one is refused at its field, which takes focus; nothing is saved.
  await hydrated(client);
  await client.getByTestId(id.PORTAL_PHONE).fill('call me maybe');
  await client.getByTestId(id.PORTAL_CONTACT_SAVE).click();
  await expect(client.getByTestId(id.PORTAL_PHONE_ERROR)).toHaveText('Phone may contain only digits, spaces and + ( ) - .');
  await expect(client.getByTestId(id.PORTAL_PHONE)).toBeFocused();
  await expect(client.getByTestId(id.PORTAL_PHONE)).toHaveAttribute('aria-invalid', 'true');
  await expect(client.getByTestId(id.PORTAL_CONTACT_SAVED)).toBeHidden();
  await expectAccessible(client);
  await client.getByTestId(id.PORTAL_PHONE).fill('+44 20 7946 0000');
  await expect(client.getByTestId(id.PORTAL_PHONE_ERROR)).toBeHidden();
  await client.getByTestId(id.PORTAL_CONTACT_SAVE).click();
  await expect(client.getByTestId(id.PORTAL_CONTACT_SAVED)).toBeVisible();
  await client.reload();
  await expect(client.getByTestId(id.PORTAL_PHONE)).toHaveValue('+44 20 7946 0000');

  // Coach pages are refused on the server.
  for (const url of ['/coach', clientPageUrl, '/coach/settings']) {
    await client.goto(url);
    await expect(client).toHaveURL(/\/portal$/);
  }
  // The link works once.
  await client.goto(link);
  await expect(client.getByTestId(id.JOIN_UNUSABLE)).toContainText('already been used');

  // The client forgot their password: without email, the login page's link says to ask the
  // coach, who makes a link on the client's page.
  const forgetful = await (await browser.newContext()).newPage();
  await forgetful.goto('/login');
  await hydrated(forgetful);
  await forgetful.getByTestId(id.LOGIN_FORGOT).click();
  await forgetful.getByTestId(id.FORGOT_EMAIL).fill(clientEmail);
  await forgetful.getByTestId(id.FORGOT_SUBMIT).click();
  await expect(forgetful.getByTestId(id.FORM_ERROR)).toContainText('ask your coach');
  await coach.reload();
  await hydrated(coach);
  await coach.getByTestId(id.PASSWORD_LINK_MAKE).click();
  const resetLink = await coach.getByTestId(id.PASSWORD_LINK).inputValue();
  expect(resetLink).toMatch(/\/reset-password\/[0-9a-f]{64}$/);
  await forgetful.goto(resetLink);
  await hydrated(forgetful);
  await forgetful.getByTestId(id.RESET_PASSWORD).fill('a brand new passphrase');
  await forgetful.getByTestId(id.RESET_SUBMIT).click();
  await expect(forgetful).toHaveURL(/\/portal$/);
  // The old session (with the old password) has ended.
  await client.goto('/portal');
  await expect(client).toHaveURL(/\/login/);

  // The coach archives the client: gone from the active list, present under archived.
  await coach.reload();
  await hydrated(coach);
  await coach.getByTestId(id.CLIENT_ARCHIVE).click();
  await expect(coach.getByTestId(id.CLIENT_ARCHIVED_BADGE)).toBeVisible();
  await coach.getByTestId(id.NAV_DASHBOARD).click();
  await expect(coach.getByTestId(id.ROSTER)).toBeVisible();
  await expect(coach.getByTestId(id.ROSTER_ROW)).toHaveCount(0);
  await coach.getByTestId(id.ROSTER_SHOW_ARCHIVED).click();
  await expect(coach.getByTestId(id.ROSTER_ROW)).toHaveCount(1);
  await expect(coach.getByTestId(id.ROSTER_ROW)).toContainText('Riley Client');

  await coachContext.close();
  await clientContext.close();
});

test('a coach keeps private notes and to-dos about a client and can delete the client after confirming', async ({ page }) => {
  await signUpCoach(page, 'Sam Coach', uniqueEmail('sam'));
  await page.getByTestId(id.ROSTER_ADD).click();
  await page.getByTestId(id.CLIENT_NAME).fill('Jo Client');
  await page.getByTestId(id.CLIENT_EMAIL).fill(uniqueEmail('jo'));
  await page.getByTestId(id.CLIENT_SUBMIT).click();
  await expect(page.getByTestId(id.CLIENT_TITLE)).toHaveText('Jo Client');
  await hydrated(page);

  // Notes and to-dos are on their own tab, which has its own address: a reload stays there.
  await openClientTab(page, 'notes');
  await expect(page).toHaveURL(/\/coach\/clients\/[0-9a-f]+\/notes$/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId(`${id.CLIENT_TAB_LINK_PREFIX}notes`)).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId(id.CLIENT_FORM)).toBeHidden();
  await page.getByTestId(id.NOTE_BODY).fill('Knee feels better this week');
  await page.getByTestId(id.NOTE_ADD).click();
  await expect(page.getByTestId(id.NOTE_ITEM)).toContainText('Knee feels better this week');
  // Saved, so the form is empty again: a second click adds nothing twice.
  await expect(page.getByTestId(id.NOTE_BODY)).toHaveValue('');
  await page.getByTestId(id.TODO_TITLE).fill('Send mobility routine');
  await page.getByTestId(id.TODO_ADD).click();
  await expect(page.getByTestId(id.TODO_ITEM)).toContainText('Send mobility routine');
  await expect(page.getByTestId(id.TODO_TITLE)).toHaveValue('');
  // A row's delete asks first; Cancel keeps the note.
  await page.getByTestId(id.NOTE_DELETE).click();
  await expect(page.getByText('Delete this note?')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId(id.NOTE_ITEM)).toHaveCount(1);
  await page.getByTestId(id.NOTE_DELETE).click();
  await page.getByTestId(id.ROW_DELETE_CONFIRM).click();
  await expect(page.getByTestId(id.NOTE_ITEM)).toHaveCount(0);
  await page.getByTestId(id.TODO_DONE).check();
  await expect(page.getByTestId(id.TODO_ITEM)).toHaveClass(/done/);

  await openClientTab(page, 'overview');
  await page.getByTestId(id.CLIENT_DELETE).click();
  await expect(page.getByText('This cannot be undone')).toBeVisible();
  await page.getByTestId(id.CLIENT_DELETE_CONFIRM).click();
  await expect(page).toHaveURL(/\/coach$/);
  await expect(page.getByTestId(id.ROSTER_EMPTY)).toContainText('No clients yet');
});
