import { expect, test } from '@playwright/test';
import * as id from './testids';
import {
  addClient, expectAccessible, hydrated, inviteAndJoin, logBrowserErrors, setUpOperator, signUpCoach, uniqueEmail,
} from './helpers';

test('a coach grants support; an operator views a client read-only; the coach revokes and the operator is refused; the client sees the access', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  const coachEmail = uniqueEmail('robin');
  await signUpCoach(coach, 'Robin Coach', coachEmail);
  const clientPage = await addClient(coach, 'Alex Client');
  const client = await inviteAndJoin(coach, browser);

  // The coach allows support for an hour, with a note; the banner says until when.
  await coach.goto('/coach/settings');
  await hydrated(coach);
  const card = coach.getByTestId(id.SUPPORT_CARD);
  await card.getByTestId(id.SUPPORT_HOURS).selectOption('1');
  await card.getByTestId(id.SUPPORT_MESSAGE).fill('The client page looks odd.');
  await card.getByTestId(id.SUPPORT_GRANT).click();
  await expect(card.getByTestId(id.SUPPORT_STATUS)).toContainText('Support can view your workspace until');
  await coach.goto('/coach');
  await expect(coach.getByTestId(id.SUPPORT_BANNER)).toContainText('read-only');
  await expectAccessible(coach);

  // An operator (signed in with TOTP) opens the workspace from the console and views the
  // client read-only: the pages are there, the controls that would save are not.
  const operator = await (await browser.newContext()).newPage();
  logBrowserErrors(operator, 'operator');
  await setUpOperator(operator, uniqueEmail('ops'));
  const row = operator.getByTestId(id.SUPPORT_GRANT_ROW).filter({ hasText: coachEmail });
  await expect(row).toContainText('The client page looks odd.');
  await row.getByTestId(id.SUPPORT_ENTER).click();
  await expect(operator).toHaveURL(/\/coach$/);
  await hydrated(operator);
  await expect(operator.getByTestId(id.SUPPORT_VIEWING)).toContainText('read-only');
  await operator.goto(`${clientPage}/notes`);
  await hydrated(operator);
  await expect(operator.getByTestId(id.CLIENT_TITLE)).toHaveText('Alex Client');
  await expect(operator.getByTestId(`${id.CLIENT_TAB_PREFIX}notes`)).toBeVisible();
  await expect(operator.getByTestId(id.NOTE_BODY)).toBeHidden();
  await expect(operator.getByTestId(id.NOTE_ADD)).toBeHidden();
  // Even a save sent by hand is refused.
  const forged = await operator.evaluate(async () => {
    const response = await fetch('/api/notes/create', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=&body=hello',
    });
    return response.status;
  });
  expect(forged).toBe(403);

  // The coach revokes from the banner; the operator's next page load is refused.
  await coach.reload();
  await hydrated(coach);
  await coach.getByTestId(id.SUPPORT_BANNER_REVOKE).click();
  await expect(coach.getByTestId(id.SUPPORT_BANNER)).toHaveCount(0);
  await operator.goto(clientPage);
  await expect(operator).toHaveURL(/\/operator$/);

  // The client sees that support looked at their data.
  await client.goto('/portal/access-log');
  await hydrated(client);
  await expect(client.getByTestId(id.ACCESS_LOG)).toContainText('Coachroom support');
  await expect(client.getByTestId(id.ACCESS_LOG)).toContainText('Viewed (read-only)');
});
