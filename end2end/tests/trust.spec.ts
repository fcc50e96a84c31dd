import { expect, test } from '@playwright/test';
import { readFileSync } from 'fs';
import * as id from './testids';
import {
  addClient, expectAccessible, hydrated, inviteAndJoin, logBrowserErrors, pngPhoto, signUpCoach, uniqueEmail, unzip,
} from './helpers';

test('a client asks for deletion, the coach sees the deadline and declines, the client reads why; each step is in their access log', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Dana Coach', uniqueEmail('dana'));
  const clientPage = await addClient(coach, 'Jordan Client');
  const client = await inviteAndJoin(coach, browser);

  // The client asks, from the portal's "Me".
  await client.getByTestId(id.NAV_ME).click();
  await expect(client).toHaveURL(/\/portal\/me$/);
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

test('a client downloads their data: one ZIP with data.json, their photo and the PDFs; the download is in their access log', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Dana Coach', uniqueEmail('dana'));
  await addClient(coach, 'Jordan Client');
  const client = await inviteAndJoin(coach, browser);

  await client.goto('/portal/checkin');
  await hydrated(client);
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('81');
  const photo = pngPhoto(300, 400, [40, 120, 200]);
  await client.getByTestId(`${id.CHECKIN_PHOTO_PREFIX}front`).setInputFiles({ name: 'front.png', mimeType: 'image/png', buffer: photo });
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(id.CHECKIN_SUBMITTED)).toBeVisible();

  await client.goto('/portal/me');
  await hydrated(client);
  const [download] = await Promise.all([client.waitForEvent('download'), client.getByTestId(id.PORTAL_EXPORT).click()]);
  expect(download.suggestedFilename()).toMatch(/^coachroom-data-\d{4}-\d{2}-\d{2}\.zip$/);
  const files = unzip(readFileSync(await download.path()));
  const data = JSON.parse(files.get('data.json')!.toString('utf8'));
  expect(data.profile.name).toBe('Jordan Client');
  expect(data.checkins).toHaveLength(1);
  expect(data.checkins[0].values.weight).toBe(81);
  const photoFile = data.checkins[0].photos[0].file as string;
  expect(photoFile).toMatch(/^photos\/.*-front\.jpg$/);
  // The photo as stored: re-encoded as a JPEG, without metadata.
  expect(files.get(photoFile)!.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  expect(data.checkins[0].photos[0].width).toBe(300);
  expect(files.get(data.checkins[0].pdf)!.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(JSON.parse(files.get('open-coaching-data.json')!.toString('utf8')).manifest.schema_name).toBe('open-coaching-data');

  await client.getByTestId(id.PORTAL_ACCESS_LOG_LINK).click();
  await expect(client.getByTestId(id.ACCESS_LOG_ROW).first()).toContainText("Downloaded all of the client's data");
});

test('a coach exports the workspace, and another coach checks and imports its FCDS file; a second import adds nothing', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Dana Coach', uniqueEmail('dana'));
  await addClient(coach, 'Jordan Client');

  await coach.goto('/coach/settings');
  await hydrated(coach);
  await coach.getByTestId(id.SETTINGS_BRAND).fill('Dana Fitness');
  await coach.getByTestId(id.SETTINGS_SUBMIT).click();
  await expect(coach.getByTestId(id.SETTINGS_SAVED)).toBeVisible();
  const [download] = await Promise.all([coach.waitForEvent('download'), coach.getByTestId(id.WORKSPACE_EXPORT).click()]);
  expect(download.suggestedFilename()).toMatch(/^coachroom-workspace-\d{4}-\d{2}-\d{2}\.zip$/);
  const files = unzip(readFileSync(await download.path()));
  expect(JSON.parse(files.get('workspace.json')!.toString('utf8')).format).toBe('coachroom-workspace');
  const fcds = files.get('open-coaching-data.json')!;
  expect(JSON.parse(fcds.toString('utf8')).clients.clients[0].display_name).toBe('Jordan Client');

  const newcomer = await (await browser.newContext()).newPage();
  logBrowserErrors(newcomer, 'newcomer');
  await signUpCoach(newcomer, 'Noa New', uniqueEmail('noa'));
  await newcomer.goto('/coach/settings');
  await hydrated(newcomer);
  const upload = { name: 'open-coaching-data.json', mimeType: 'application/json', buffer: fcds };
  await newcomer.getByTestId(id.IMPORT_FILE).setInputFiles(upload);
  await newcomer.getByTestId(id.IMPORT_CHECK).click();
  await expect(newcomer.getByTestId(id.IMPORT_PREVIEW)).toContainText('This package adds 1 client, 0 check-ins');
  await expect(newcomer.getByTestId(id.IMPORT_PREVIEW)).toContainText('It also sets your business name from the package.');
  await newcomer.getByTestId(id.IMPORT_CONFIRM).click();
  await expect(newcomer.getByTestId(id.IMPORT_DONE)).toContainText('Imported 1 client');
  // The settings form on the same page shows what the import set.
  await expect(newcomer.getByTestId(id.SETTINGS_BRAND)).toHaveValue('Dana Fitness');
  await newcomer.goto('/coach');
  await expect(newcomer.getByText('Jordan Client').first()).toBeVisible();

  // The same file again: nothing new.
  await newcomer.goto('/coach/settings');
  await hydrated(newcomer);
  await newcomer.getByTestId(id.IMPORT_FILE).setInputFiles(upload);
  await newcomer.getByTestId(id.IMPORT_CHECK).click();
  await expect(newcomer.getByTestId(id.IMPORT_PREVIEW)).toContainText('adds 0 clients');
  await expect(newcomer.getByTestId(id.IMPORT_PREVIEW)).toContainText('1 record was imported before');
});
