import { expect, test } from '@playwright/test';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, inviteAndJoin, openClientTab, logBrowserErrors, signUpCoach, uniqueEmail } from './helpers';

// The app talks to the local OpenAI-compatible stand-in (end2end/fake-openai.mjs).

const VTT = `WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Avery>How did the week go?</v>

2
00:00:04.500 --> 00:00:09.000
<v Riley>Better. I slept seven hours and my knee hurts on stairs.</v>
`;

test('the coach turns a .vtt session into insights, edits and shares them; the client ticks an action item', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Avery Coach', uniqueEmail('avery'));
  const clientPage = await addClient(coach, 'Riley Client');

  await openClientTab(coach, 'sessions');
  const panel = coach.getByTestId(id.CLIENT_SESSIONS);
  await panel.getByTestId(id.SESSION_NEW).click();
  await panel.getByTestId(id.SESSION_TITLE).fill('Week 4 call');
  await panel.getByTestId(id.SESSION_HELD_AT).fill('2026-11-24T10:00');
  await panel.getByTestId(id.SESSION_SAVE).click();
  await panel.getByTestId(id.SESSION_ROW).getByRole('link').click();
  await expect(coach.getByTestId(id.SESSION_PAGE)).toBeVisible();
  await hydrated(coach);

  const transcript = coach.getByTestId(id.SESSION_TRANSCRIPT);
  await transcript.getByTestId(id.TRANSCRIPT_FILE).setInputFiles({ name: 'call.vtt', mimeType: 'text/vtt', buffer: Buffer.from(VTT) });
  await transcript.getByTestId(id.TRANSCRIPT_UPLOAD).click();
  await expect(transcript.getByTestId(id.TRANSCRIPT_TURN)).toHaveCount(2);
  await hydrated(coach);

  // Generate, watching the job run, then review.
  const card = coach.getByTestId(id.INSIGHTS_CARD);
  await card.getByTestId(id.INSIGHTS_GENERATE).click();
  await expect(card.getByTestId(id.INSIGHTS_PROGRESS)).toBeVisible();
  await expect(card.getByTestId(id.INSIGHTS_STATUS)).toHaveAttribute('data-status', 'done');
  const summary = card.getByTestId(id.INSIGHTS_SUMMARY);
  await expect(summary).toHaveValue('Riley slept better and agreed to walk after lunch.');
  await expect(card.getByTestId(id.INSIGHTS_THEMES)).toHaveValue('sleep\nmovement');
  await expect(card.getByTestId(id.INSIGHTS_SUGGESTION)).toHaveCount(2);
  await summary.fill('Riley slept seven hours most nights. We agreed on a walk after lunch.');
  await card.getByTestId(id.INSIGHTS_SUGGESTION_PICK).nth(1).uncheck();
  await card.getByTestId(id.INSIGHTS_APPLY).click();
  await expect(coach.getByTestId(id.INSIGHTS_APPLIED)).toBeVisible();
  await expect(coach.getByTestId(id.SESSION_SUMMARY).first()).toHaveValue('Riley slept seven hours most nights. We agreed on a walk after lunch.');
  const items = coach.getByTestId(id.ACTION_ITEMS);
  await expect(items.getByTestId(id.ACTION_ITEM_ROW)).toHaveCount(1);
  await expect(items.getByTestId(id.ACTION_ITEM_ROW)).toContainText('Not shared');
  await expectAccessible(coach);
  await hydrated(coach);
  await coach.getByTestId(id.SESSION_SHARE).click();
  await expect(coach.getByTestId(id.SESSION_SHARE_STATE)).toContainText('shared with the client');
  await items.getByTestId(id.ACTION_ITEM_SHARE).click();
  await expect(items.getByTestId(id.ACTION_ITEM_ROW)).not.toContainText('Not shared');
  const sessionUrl = coach.url();

  await coach.goto(clientPage);
  await hydrated(coach);
  const client = await inviteAndJoin(coach, browser);
  const mine = client.getByTestId(id.MY_SESSIONS);
  await expect(mine.getByTestId(id.MY_SESSION_ROW)).toContainText('We agreed on a walk after lunch.');
  await expect(mine).not.toContainText('Knee pain');
  await expect(mine).not.toContainText('stretching routine');
  await hydrated(client);
  // Saved before the reload below (the reload would cancel the call).
  await Promise.all([
    client.waitForResponse((r) => r.url().endsWith('/api/portal/action_items/set_done') && r.ok()),
    mine.getByTestId(id.MY_ACTION_ITEM_DONE).check(),
  ]);
  await client.reload();
  await hydrated(client);
  await expect(client.getByTestId(id.MY_ACTION_ITEM_DONE)).toBeChecked();
  await coach.goto(sessionUrl);
  await expect(coach.getByTestId(id.ACTION_ITEM_DONE)).toContainText('Done');

  // The client sees that AI read their data, and which model, in their access log, reached
  // from the portal's "Me"; the coach sees the same call in theirs, filtered to AI.
  await client.goto('/portal/me');
  await hydrated(client);
  await client.getByTestId(id.PORTAL_ACCESS_LOG_LINK).click();
  const log = client.getByTestId(id.ACCESS_LOG);
  await expect(log.getByTestId(id.ACCESS_LOG_ROW).first()).toContainText('AI');
  await expect(log).toContainText('e2e-model');
  await expectAccessible(client);
  await coach.goto('/coach/access-log?actor=ai');
  await expect(coach.getByTestId(id.ACCESS_LOG_ROW).first()).toContainText('e2e-model');
  await expect(coach.getByTestId(id.ACCESS_LOG)).not.toContainText('Signed in');
});

test('the coach drafts a check-in reply with AI, edits it and sends it', async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Blair Coach', uniqueEmail('blair'));
  await addClient(coach, 'Riley Client');
  await hydrated(coach);
  const client = await inviteAndJoin(coach, browser);
  await client.goto('/portal/checkin');
  await hydrated(client);
  await client.getByTestId(`${id.CHECKIN_FIELD_PREFIX}weight`).fill('80');
  await client.getByTestId(id.CHECKIN_FEEDBACK).fill('Walked every day this week.');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(id.CHECKIN_SUBMITTED)).toBeVisible();

  await coach.getByTestId(id.NAV_INBOX).click();
  await coach.getByTestId(id.INBOX_ROW).first().getByRole('link').click();
  await expect(coach.getByTestId(id.REVIEW_PAGE)).toBeVisible();
  await hydrated(coach);
  await coach.getByTestId(id.REPLY_DRAFT).click();
  const reply = coach.getByTestId(id.REVIEW_REPLY);
  await expect(reply).toHaveValue('Great week, Riley! The walks are paying off.');
  await reply.fill('Great week, Riley! The walks are paying off. Add a fourth day next week.');
  await coach.getByTestId(id.REVIEW_SUBMIT).click();
  await expect(coach.getByTestId(id.REVIEW_DONE)).toBeVisible();

  await client.goto('/portal');
  await client.getByTestId(id.CHECKIN_ROW).first().getByRole('link').click();
  await expect(client.getByTestId(id.CHECKIN_REPLY_TEXT)).toHaveText('Great week, Riley! The walks are paying off. Add a fourth day next week.');
  // The coach's AI page lists the call, without its content.
  await coach.getByTestId(id.NAV_AI).click();
  await expect(coach.getByTestId(id.AI_CALL_ROW).first()).toContainText('Check-in reply draft');
  await expect(coach.getByTestId(id.AI_CALLS)).not.toContainText('walks are paying off');
  // Its record is the access log, one link away.
  await coach.getByTestId(id.AI_ACCESS_LOG_LINK).click();
  await expect(coach.getByTestId(id.ACCESS_LOG_ROW).first()).toContainText('Read a check-in to draft a reply');
});
