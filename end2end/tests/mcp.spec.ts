import { expect, test } from '@playwright/test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, logBrowserErrors, signUpCoach, uniqueEmail } from './helpers';

test('a coach makes a personal access token in Settings, the MCP TypeScript SDK and a script read the workspace over MCP with it, and Disconnect refuses its next call', async ({ browser, request, baseURL }) => {
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

  // The MCP TypeScript SDK's own client lists the tools over the token: all read-only.
  const sdk = new Client({ name: 'coachroom-e2e', version: '1.0.0' });
  await sdk.connect(new StreamableHTTPClientTransport(new URL(`${baseURL}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  const { tools } = await sdk.listTools();
  expect(tools.map((tool) => tool.name)).toContain('find_clients');
  expect(tools).toHaveLength(10);
  expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
  const viaSdk = await sdk.callTool({ name: 'find_clients', arguments: { query: 'Jamie' } });
  expect(JSON.stringify(viaSdk.structuredContent)).toContain('Jamie Client');
  await sdk.close();

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
