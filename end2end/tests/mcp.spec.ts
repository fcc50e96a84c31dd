import { expect, test } from '@playwright/test';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, logBrowserErrors, signUpCoach, uniqueEmail } from './helpers';

test('a coach makes a personal access token in Settings, a script reads the workspace over MCP with it, and Disconnect refuses its next call', async ({ browser, request, baseURL }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Morgan Coach', uniqueEmail('morgan'));
  await addClient(coach, 'Jamie Client');

  await coach.goto('/coach/settings');
  await hydrated(coach);
  const card = coach.getByTestId(id.MCP_CARD);
  await expect(card.getByTestId(id.MCP_ENDPOINT)).toHaveValue(`${baseURL}/mcp`);
  await card.getByTestId(id.MCP_TOKEN_NAME).fill('Weekly report');
  await card.getByTestId(id.MCP_TOKEN_CREATE).click();
  const token = await card.getByTestId(id.MCP_NEW_TOKEN).inputValue();
  expect(token).toMatch(/^coachroom_pat_[0-9a-f]{64}$/);
  await expect(card.getByTestId(id.MCP_CONNECTION_ROW)).toContainText('Weekly report');
  await expectAccessible(coach);

  // A script with the token: the client is found over MCP.
  const call = (name: string, args: object) => request.post('/mcp', {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json, text/event-stream' },
    data: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
  });
  const found = await call('find_clients', { query: 'Jamie' });
  expect(found.status()).toBe(200);
  expect(JSON.stringify(await found.json())).toContain('Jamie Client');

  // The row counts the call; Disconnect ends it at once.
  await coach.reload();
  await hydrated(coach);
  const row = card.getByTestId(id.MCP_CONNECTION_ROW);
  await expect(row).not.toContainText('never');
  await row.getByTestId(id.MCP_DISCONNECT).click();
  await expect(card.getByTestId(id.MCP_CONNECTION_ROW)).toHaveCount(0);
  expect((await call('find_clients', {})).status()).toBe(401);
});
