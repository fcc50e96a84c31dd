import { expect, test } from '@playwright/test';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, inviteAndJoin, logBrowserErrors, signUpCoach, uniqueEmail } from './helpers';

test('a client asks for deletion, the coach sees the deadline and declines, the client reads why; each step is in their access log', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Dana Coach', uniqueEmail('dana'));
  const clientPage = await addClient(coach, 'Jordan Client');
  const client = await inviteAndJoin(coach, browser);

  // The client asks, from the portal.
  await hydrated(client);
  const card = client.getByTestId(id.DELETION_CARD);
  await card.getByTestId(id.DELETION_MESSAGE).fill('I am moving on, please remove my data.');
  await card.getByTestId(id.DELETION_REQUEST).click();
  await expect(card.getByTestId(id.DELETION_STATUS)).toContainText('Your coach must act by');
  await expect(card.getByTestId(id.DELETION_WITHDRAW)).toBeVisible();
  await expectAccessible(client);

  // The coach sees it on the dashboard, then on the client's page, and declines with a reason.
  await coach.goto('/coach');
  await expect(coach.getByTestId(id.DELETION_REQUEST_ROW)).toContainText('Jordan Client');
  await expect(coach.getByTestId(id.DELETION_REQUEST_ROW)).toContainText('due by');
  await coach.goto(clientPage);
  await hydrated(coach);
  const banner = coach.getByTestId(id.CLIENT_DELETION_BANNER);
  await expect(banner).toContainText('I am moving on');
  await banner.getByTestId(id.DELETION_DECLINE_TEXT).fill('Your plan runs until March; we delete everything then.');
  await banner.getByTestId(id.DELETION_DECLINE).click();
  await expect(coach.getByTestId(id.CLIENT_DELETION_BANNER)).toHaveCount(0);

  // The client reads the reason, and may ask again.
  await client.reload();
  await hydrated(client);
  await expect(client.getByTestId(id.DELETION_DECLINE_REASON)).toHaveText('Your plan runs until March; we delete everything then.');
  await expect(client.getByTestId(id.DELETION_REQUEST)).toBeVisible();

  // Each step is in the client's access log.
  await client.getByTestId(id.PORTAL_ACCESS_LOG_LINK).click();
  const rows = client.getByTestId(id.ACCESS_LOG_ROW);
  await expect(rows.first()).toContainText('Declined the deletion request');
  await expect(rows.nth(1)).toContainText('Asked for their data to be deleted');
});
