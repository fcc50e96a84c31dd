import { expect, Page, test } from '@playwright/test';
import { readFileSync } from 'fs';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, inviteAndJoin, openClientTab, logBrowserErrors, pngPhoto, signUpCoach, uniqueEmail, SMOKE } from './helpers';

const field = (page: Page, key: string) => page.getByTestId(`${id.CHECKIN_FIELD_PREFIX}${key}`);
const photoInput = (page: Page, slot: string) => page.getByTestId(`${id.CHECKIN_PHOTO_PREFIX}${slot}`);

const cameraInput = (page: Page, slot: string) => page.getByTestId(`${id.CHECKIN_CAMERA_PREFIX}${slot}`);

/** Opens the check-in form, fills it in and sends it, watching the upload progress bar. The
 * photo comes from the chooser, or from the camera input after one was chosen (which empties the
 * chooser: the server takes one photo a slot). */
async function sendCheckin(page: Page, weight: string, mood: string, feedback: string, colour: [number, number, number], via: 'chooser' | 'camera' = 'chooser') {
  await page.goto('/portal/checkin');
  await hydrated(page);
  await field(page, 'weight').fill(weight);
  await field(page, 'waist').fill('90');
  await field(page, 'mood').selectOption(mood);
  await page.getByTestId(id.CHECKIN_FEEDBACK).fill(feedback);
  await photoInput(page, 'front').setInputFiles({ name: 'front.png', mimeType: 'image/png', buffer: pngPhoto(600, 900, colour) });
  if (via === 'camera') {
    await expect(cameraInput(page, 'front')).toHaveAttribute('capture', 'environment');
    await cameraInput(page, 'front').setInputFiles({ name: 'camera.png', mimeType: 'image/png', buffer: pngPhoto(600, 900, colour) });
    await expect(photoInput(page, 'front')).toHaveValue('');
  }
  await page.getByTestId(id.CHECKIN_SUBMIT).click();
  const progress = page.getByTestId(id.CHECKIN_PROGRESS);
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute('value', '100');
  await expect(page.getByTestId(id.CHECKIN_SUBMITTED)).toBeVisible();
  // The confirmation takes the form's place, with focus on it.
  await expect(page.getByTestId(id.CHECKIN_FORM)).toBeHidden();
  await expect(page.getByTestId(id.CHECKIN_SUBMITTED)).toBeFocused();
}

/** Clicks the PDF link and checks that a real PDF arrives. */
async function downloadsPdf(page: Page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(id.CHECKIN_PDF).click()]);
  expect(download.suggestedFilename()).toMatch(/^checkin-\d{4}-\d{2}-\d{2}\.pdf$/);
  const bytes = readFileSync(await download.path());
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
}

/** True once every image inside `locator` has actually loaded. */
async function imagesLoaded(page: Page, testId: string) {
  return page.getByTestId(testId).evaluateAll((imgs) =>
    imgs.length > 0 && imgs.every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0),
  );
}

test('a client sends check-ins with photos; the coach compares, replies; the client sees the reply, the charts and goal progress', SMOKE, async ({ browser }, testInfo) => {
  const coachContext = await browser.newContext();
  const coach = await coachContext.newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Morgan Coach', uniqueEmail('morgan'));
  const clientPage = await addClient(coach, 'Riley Client');

  // A goal tied to weight, set before any check-in.
  await openClientTab(coach, 'goals');
  await coach.getByTestId(id.GOAL_FORM_TITLE).fill('Wedding weight');
  await coach.getByTestId(id.GOAL_FORM_METRIC).selectOption('weight');
  await coach.getByTestId(id.GOAL_FORM_TARGET).fill('75');
  await coach.getByTestId(id.GOAL_FORM_SUBMIT).click();
  await expect(coach.getByTestId(id.GOAL_ROW)).toContainText('Wedding weight');
  await expect(coach.getByTestId(id.GOAL_SUMMARY).first()).toContainText('no check-in value yet');
  await expect(coach.getByTestId(id.GOAL_FORM_TITLE)).toHaveValue('');
  await coach.getByTestId(id.GOAL_FORM_TITLE).fill('Walk after dinner');
  await coach.getByTestId(id.GOAL_FORM_KIND).selectOption('habit');
  await coach.getByTestId(id.GOAL_FORM_PER_WEEK).fill('4');
  await coach.getByTestId(id.GOAL_FORM_SUBMIT).click();
  await expect(coach.getByTestId(id.GOAL_ROW)).toHaveCount(2);
  const client = await inviteAndJoin(coach, browser);
  await client.getByTestId(id.NAV_MY_PROGRESS).click();
  await expect(client.getByTestId(id.PROGRESS_EMPTY)).toBeVisible();
  await client.getByTestId(id.NAV_PORTAL).click();
  const weightGoal = client.getByTestId(id.GOAL_ROW).filter({ hasText: 'Wedding weight' });
  const habitGoal = client.getByTestId(id.GOAL_ROW).filter({ hasText: 'Walk after dinner' });
  await expect(weightGoal.getByTestId(id.GOAL_PROGRESS)).toHaveAttribute('value', '0');
  // The client logs the habit for this week.
  await hydrated(client);
  await habitGoal.getByTestId(id.GOAL_LOG_TIMES).fill('2');
  await habitGoal.getByTestId(id.GOAL_LOG_SAVE).click();
  await expect(habitGoal.getByTestId(id.GOAL_PROGRESS)).toHaveAttribute('value', '50');
  await expect(habitGoal.getByTestId(id.GOAL_SUMMARY)).toHaveText('2 of 4 times this week');

  // A draft survives a reload.
  await client.getByTestId(id.NAV_CHECKIN).click();
  await expect(client).toHaveURL(/\/portal\/checkin$/);
  await hydrated(client);
  await field(client, 'weight').fill('81.5');
  await client.getByTestId(id.CHECKIN_FEEDBACK).fill('Half-written thoughts');
  await client.reload();
  await hydrated(client);
  await expect(client.getByTestId(id.CHECKIN_DRAFT_RESTORED)).toBeVisible();
  await expect(field(client, 'weight')).toHaveValue('81.5');
  await expect(client.getByTestId(id.CHECKIN_FEEDBACK)).toHaveValue('Half-written thoughts');
  await expectAccessible(client);

  // With a mouse each photo has its chooser only; on a touch screen the camera is offered too.
  await expect(photoInput(client, 'front')).toBeVisible();
  await expect(cameraInput(client, 'front')).toBeHidden();
  const phone = await (await browser.newContext({
    storageState: await client.context().storageState(), viewport: { width: 390, height: 844 }, hasTouch: true,
  })).newPage();
  await phone.goto('/portal/checkin');
  await expect(photoInput(phone, 'front')).toBeVisible();
  await expect(cameraInput(phone, 'front')).toBeVisible();
  await expect(phone.getByLabel('Or take the front photo now')).toHaveAttribute('capture', 'environment');
  await phone.context().close();

  // Bad input is refused at its field, which takes focus, and nothing is sent.
  await field(client, 'waist').fill('5000');
  await field(client, 'weight').fill('5000');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(`${id.CHECKIN_FIELD_ERROR_PREFIX}weight`)).toHaveText('Weight must be between 20 kg and 400 kg.');
  await expect(client.getByTestId(`${id.CHECKIN_FIELD_ERROR_PREFIX}waist`)).toContainText('Waist must be between');
  await expect(field(client, 'weight')).toBeFocused();
  await expect(field(client, 'weight')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(client);
  // Corrected, its error goes.
  await field(client, 'waist').fill('');
  await expect(client.getByTestId(`${id.CHECKIN_FIELD_ERROR_PREFIX}waist`)).toBeHidden();
  // Text that is not a number is refused at its field, not dropped.
  await field(client, 'waist').fill('1e');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(`${id.CHECKIN_FIELD_ERROR_PREFIX}waist`)).toHaveText('Waist must be a number.');
  await expect(client.getByTestId(id.CHECKIN_SUBMITTED)).toBeHidden();
  await field(client, 'waist').fill('');
  await expect(client.getByTestId(`${id.CHECKIN_FIELD_ERROR_PREFIX}waist`)).toBeHidden();

  await sendCheckin(client, '80', '5', 'Tough week, knee was sore.', [200, 90, 60]);
  // A decimal comma reads as a point.
  await sendCheckin(client, '78,5', '8', 'Much better this week!', [60, 120, 200], 'camera');

  // The dashboard's Today lists both, oldest first, and the navigation counts them.
  await coach.goto('/coach');
  await expect(coach.getByTestId(id.NAV_INBOX_COUNT)).toHaveText('2');
  await expect(coach.getByTestId(id.TODAY_WAITING_ROW)).toHaveCount(2);
  await expect(coach.getByTestId(id.TODAY_WAITING_ROW).first()).toContainText('sent today');
  await hydrated(coach);
  await expectAccessible(coach);

  // The coach finds both in the inbox, newest first, and opens it beside the previous one.
  await coach.getByTestId(id.NAV_INBOX).click();
  await expect(coach.getByTestId(id.INBOX_ROW)).toHaveCount(2);
  await expect(coach.getByTestId(id.INBOX_ROW).first()).toContainText('Much better this week!');
  await coach.getByTestId(id.INBOX_ROW).first().getByRole('link').click();
  await expect(coach.getByTestId(id.REVIEW_PAGE)).toBeVisible();
  await hydrated(coach);
  await expect(coach.getByTestId(id.REVIEW_PREVIOUS)).toContainText('Tough week');
  await expect(coach.locator(`[data-testid="${id.REVIEW_CHANGE}"][data-metric="weight"]`)).toHaveText('−1.5 kg');
  await expect(coach.locator(`[data-testid="${id.REVIEW_CHANGE}"][data-metric="mood"]`)).toHaveText('+3');
  await expect.poll(() => imagesLoaded(coach, id.CHECKIN_PHOTO)).toBe(true);
  await expect(coach.getByTestId(id.CHECKIN_PHOTO)).toHaveCount(2);
  await expectAccessible(coach);
  await coach.getByTestId(id.REVIEW_REPLY).fill('Great progress. Keep the knee warm-up going.');
  await coach.getByTestId(id.REVIEW_SUBMIT).click();
  await expect(coach.getByTestId(id.REVIEW_DONE)).toBeVisible();
  await downloadsPdf(coach);
  await coach.getByTestId(id.NAV_INBOX).click();
  await expect(coach.getByTestId(id.INBOX_ROW)).toHaveCount(1);
  await expect(coach.getByTestId(id.NAV_INBOX_COUNT)).toHaveText('1');

  // The coach's client page has the history, the charts and the photo comparison, each on its
  // own tab.
  await coach.goto(`${clientPage}/checkins`);
  await hydrated(coach);
  await expect(coach.getByTestId(id.CHECKIN_ROW)).toHaveCount(2);
  await openClientTab(coach, 'progress');
  await expect(coach.locator(`[data-testid="${id.PROGRESS_CHART}"][data-metric="weight"]`)).toBeVisible();
  await expect.poll(() => imagesLoaded(coach, id.PHOTO_COMPARE_IMAGE)).toBe(true);
  // Each compared photo carries its date.
  await expect(coach.getByTestId(id.PHOTO_COMPARE_DATE)).toHaveCount(2);
  for (const caption of await coach.getByTestId(id.PHOTO_COMPARE_DATE).allTextContents()) {
    expect(caption).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}/);
  }
  await expectAccessible(coach);

  // The client sees the reply, the chart and two dates of photos side by side.
  await client.goto('/portal');
  await hydrated(client);
  // The home puts the new reply first.
  await expect(client.getByTestId(id.NEXT_REPLY)).toContainText("Read your coach's reply");
  await expect(client.getByTestId(id.CHECKIN_ROW).first()).toContainText('Coach replied');
  await client.getByTestId(id.NEXT_REPLY).getByRole('link').click();
  await expect(client.getByTestId(id.CHECKIN_REPLY_TEXT)).toHaveText('Great progress. Keep the knee warm-up going.');
  await downloadsPdf(client);
  await client.goto('/portal');
  await hydrated(client);
  // The goal moved with the check-ins: from 80 kg towards 75 kg, now 78.5 kg.
  await expect(weightGoal.getByTestId(id.GOAL_PROGRESS)).toHaveAttribute('value', '30');
  await expect(weightGoal.getByTestId(id.GOAL_SUMMARY)).toContainText('78.5 kg now, target 75 kg');
  // "Me" shows the latest of each measurement, with its date.
  await client.getByTestId(id.NAV_ME).click();
  await expect(client).toHaveURL(/\/portal\/me$/);
  const latest = client.getByTestId(id.PORTAL_LATEST);
  await expect(latest).toContainText('Weight');
  await expect(latest).toContainText('78.5 kg');
  await expect(latest).toContainText('Waist');
  await expect(latest).toContainText('90 cm');
  // The profile card gives the starting weight only, not the latest a second time.
  await expect(client.getByTestId(id.PORTAL_PROFILE)).not.toContainText('78.5 kg');
  await hydrated(client);
  await client.getByTestId(id.NAV_MY_PROGRESS).click();
  await expect(client).toHaveURL(/\/portal\/progress$/);
  const weightChart = client.locator(`[data-testid="${id.PROGRESS_CHART}"][data-metric="weight"]`);
  await expect(weightChart).toBeVisible();
  await expect(weightChart).toContainText('78.5 kg');
  await expect(weightChart.locator('circle')).toHaveCount(2);
  await expect(client.getByTestId(id.PHOTO_COMPARE_IMAGE)).toHaveCount(2);
  await expect.poll(() => imagesLoaded(client, id.PHOTO_COMPARE_IMAGE)).toBe(true);
  await expectAccessible(client);

  await client.getByTestId(id.PROGRESS).scrollIntoViewIfNeeded();
  const shot = testInfo.outputPath('progress-chart.png');
  await client.getByTestId(id.PROGRESS).screenshot({ path: shot });
  await testInfo.attach('progress-chart', { path: shot, contentType: 'image/png' });

  await coachContext.close();
  await client.context().close();
});
