import { expect, test } from '@playwright/test';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, inviteAndJoin, openClientTab, logBrowserErrors, signUpCoach, uniqueEmail, SMOKE } from './helpers';

const VTT = `WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Morgan>How did the week go?</v>

2
00:00:04.500 --> 00:00:09.000
<v Riley>Better. I slept seven hours most nights.</v>
`;

test('the coach records a session from a .vtt transcript and shares its summary; the client sees only the summary', SMOKE, async ({ browser }) => {
  // Each in their own time zone, as their browsers say when they sign up and join: the coach
  // eight hours behind UTC in November, the client thirteen ahead.
  const coach = await (await browser.newContext({ timezoneId: 'America/Los_Angeles' })).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Morgan Coach', uniqueEmail('morgan'));
  const clientPage = await addClient(coach, 'Riley Client');

  await openClientTab(coach, 'sessions');
  const panel = coach.getByTestId(id.CLIENT_SESSIONS);
  await panel.getByTestId(id.SESSION_NEW).click();
  await panel.getByTestId(id.SESSION_TITLE).fill('Week 3 call');
  await panel.getByTestId(id.SESSION_HELD_AT).fill('2026-11-20T14:30');
  await panel.getByTestId(id.SESSION_TAGS).fill('sleep, stress');
  await panel.getByTestId(id.SESSION_SUMMARY).fill('We agreed on a fixed bedtime of 22:30.');
  await panel.getByTestId(id.SESSION_PRIVATE_NOTES).fill('Seems tired; ask about work next time.');
  await panel.getByTestId(id.SESSION_SAVE).click();
  await expect(panel.getByTestId(id.SESSION_ROW)).toContainText('Week 3 call');
  // Typed and shown on the coach's wall clock (the year shows only in another year).
  await expect(panel.getByTestId(id.SESSION_ROW)).toContainText('Fri 20 Nov');
  await expect(panel.getByTestId(id.SESSION_ROW)).toContainText('14:30');
  await expect(panel.getByTestId(id.SESSION_ROW).locator('time')).toHaveAttribute('title', /America\/Los_Angeles/);

  await panel.getByTestId(id.SESSION_ROW).getByRole('link').click();
  await expect(coach.getByTestId(id.SESSION_PAGE)).toBeVisible();
  await hydrated(coach);
  // A broken cue timing is refused with its line; nothing changes.
  const transcript = coach.getByTestId(id.SESSION_TRANSCRIPT);
  await transcript.getByTestId(id.TRANSCRIPT_FILE).setInputFiles({
    name: 'call.vtt', mimeType: 'text/vtt', buffer: Buffer.from(VTT.replace('00:00:04.500', '00:00:4x.500')),
  });
  await transcript.getByTestId(id.TRANSCRIPT_UPLOAD).click();
  await expect(coach.getByTestId(id.TRANSCRIPT_ERROR)).toContainText('Line 8');
  await expect(transcript.getByTestId(id.TRANSCRIPT_TURN)).toHaveCount(0);
  await transcript.getByTestId(id.TRANSCRIPT_FILE).setInputFiles({ name: 'call.vtt', mimeType: 'text/vtt', buffer: Buffer.from(VTT) });
  await transcript.getByTestId(id.TRANSCRIPT_UPLOAD).click();
  await expect(transcript.getByTestId(id.TRANSCRIPT_TURN)).toHaveCount(2);
  await expect(transcript.getByTestId(id.TRANSCRIPT_TURN).nth(1)).toContainText('Riley: Better. I slept seven hours');
  await coach.getByTestId(id.SESSION_SHARE).click();
  await expect(coach.getByTestId(id.SESSION_SHARE_STATE)).toContainText('shared with the client');
  const items = coach.getByTestId(id.ACTION_ITEMS);
  await items.getByTestId(id.ACTION_ITEM_TEXT).fill('Lights out by 22:30');
  await items.getByTestId(id.ACTION_ITEM_ADD).click();
  await expect(items.getByTestId(id.ACTION_ITEM_ROW)).toContainText('Lights out by 22:30');
  await expectAccessible(coach);
  const sessionUrl = coach.url();

  await coach.goto(clientPage);
  await hydrated(coach);
  const client = await inviteAndJoin(coach, browser, { timezoneId: 'Pacific/Auckland' });
  const mine = client.getByTestId(id.MY_SESSIONS);
  await expect(mine.getByTestId(id.MY_SESSION_ROW)).toContainText('We agreed on a fixed bedtime of 22:30.');
  // 14:30 in Los Angeles on the 20th is 11:30 the next morning in Auckland.
  await expect(mine.getByTestId(id.MY_SESSION_ROW)).toContainText('Sat 21 Nov');
  await expect(mine.getByTestId(id.MY_SESSION_ROW)).toContainText('11:30');
  await expect(mine).not.toContainText('Seems tired');
  await expect(mine).not.toContainText('slept seven hours');

  // The client ticks off the action item; the coach sees it done.
  const item = mine.getByTestId(id.MY_ACTION_ITEM);
  await expect(item).toContainText('Lights out by 22:30');
  await hydrated(client);
  // Saved before the reload below (the reload would cancel the call).
  await Promise.all([
    client.waitForResponse((r) => r.url().endsWith('/api/portal/action_items/set_done') && r.ok()),
    item.getByTestId(id.MY_ACTION_ITEM_DONE).check(),
  ]);
  await client.reload();
  await hydrated(client);
  await expect(client.getByTestId(id.MY_ACTION_ITEM_DONE)).toBeChecked();
  await coach.goto(sessionUrl);
  await expect(coach.getByTestId(id.ACTION_ITEM_DONE)).toContainText('Done');

  // The client moves to Tokyo on their Me page: the portal follows, the coach's pages do not.
  await client.goto('/portal/me');
  await hydrated(client);
  await expect(client.getByTestId(id.MY_TIMEZONE)).toHaveValue('Pacific/Auckland');
  await client.getByTestId(id.MY_TIMEZONE).fill('Asia/Tokyo');
  await client.getByTestId(id.MY_TIMEZONE_SAVE).click();
  await expect(client.getByTestId(id.MY_TIMEZONE_SAVED)).toBeVisible();
  await client.goto('/portal');
  await expect(client.getByTestId(id.MY_SESSION_ROW)).toContainText('Sat 21 Nov');
  await expect(client.getByTestId(id.MY_SESSION_ROW)).toContainText('07:30');
  await coach.goto(`${clientPage}/sessions`);
  await expect(coach.getByTestId(id.SESSION_ROW)).toContainText('14:30');
});
