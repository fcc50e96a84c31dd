import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, logBrowserErrors, PASSWORD, signUpCoach, uniqueEmail } from './helpers';

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

test('a tool asks over OAuth: the signed-out coach signs in, sees the consent page, approves, the tool reads, and Disconnect in Settings ends it', async ({ browser, request, baseURL }) => {
  const email = uniqueEmail('avery');
  const setup = await (await browser.newContext()).newPage();
  await signUpCoach(setup, 'Avery Coach', email);
  await addClient(setup, 'Jordan Client');

  // The tool: a listener on this machine for the browser to come back to (as a desktop app's
  // is), that registers itself and sends the coach's browser to the consent page.
  const listener = createServer((_, response) => response.end('connected'));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const redirectUri = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
  const registration = await request.post('/oauth/register', {
    data: { client_name: 'Claude', redirect_uris: [redirectUri] },
  });
  expect(registration.status()).toBe(201);
  const clientId: string = (await registration.json()).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state: 'state-xyz',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: `${baseURL}/mcp`,
  });

  // Signed out (another browser), the coach signs in first and comes back to the request.
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  await coach.goto(`/oauth/authorize?${query}`);
  await expect(coach).toHaveURL(/\/login\?next=/);
  await hydrated(coach);
  await coach.getByTestId(id.LOGIN_EMAIL).fill(email);
  await coach.getByTestId(id.LOGIN_PASSWORD).fill(PASSWORD);
  await coach.getByTestId(id.LOGIN_SUBMIT).click();
  await expect(coach).toHaveURL(/\/oauth\/authorize\?/);
  await expect(coach.getByTestId(id.OAUTH_TOOL_NAME)).toHaveText('Claude');
  await expect(coach.getByTestId(id.OAUTH_REDIRECT_HOST)).toHaveText('127.0.0.1');
  await expect(coach.getByTestId(id.OAUTH_CONSENT)).toContainText('read-only access to your workspace');
  await expectAccessible(coach);

  // Approve: the browser goes back to the tool with the code, the state and this server's
  // issuer.
  // Waiting for the tool's page to load (not only its request): a navigation still under way
  // would be cut off by the next one.
  await Promise.all([
    coach.waitForURL((url) => url.href.startsWith(redirectUri), { waitUntil: 'load' }),
    coach.getByTestId(id.OAUTH_APPROVE).click(),
  ]);
  await expect(coach.locator('body')).toHaveText('connected');
  const answered = new URL(coach.url());
  expect(answered.searchParams.get('state')).toBe('state-xyz');
  expect(answered.searchParams.get('iss')).toBe(`${baseURL}/`);
  const exchanged = await request.post('/oauth/token', {
    form: {
      grant_type: 'authorization_code',
      code: answered.searchParams.get('code') ?? '',
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
      resource: `${baseURL}/mcp`,
    },
  });
  expect(exchanged.status()).toBe(200);
  const accessToken: string = (await exchanged.json()).access_token;
  const call = () => request.post('/mcp', {
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json, text/event-stream' },
    data: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'find_clients', arguments: {} } },
  });
  const found = await call();
  expect(found.status()).toBe(200);
  expect(JSON.stringify(await found.json())).toContain('Jordan Client');

  // Settings lists the tool by name; Disconnect refuses its very next call.
  await coach.goto('/coach/settings');
  await hydrated(coach);
  const row = coach.getByTestId(id.MCP_CARD).getByTestId(id.MCP_CONNECTION_ROW);
  await expect(row).toContainText('Claude');
  await expect(row).toContainText('connected tool');
  await row.getByTestId(id.MCP_DISCONNECT).click();
  await expect(coach.getByTestId(id.MCP_CONNECTION_ROW)).toHaveCount(0);
  expect((await call()).status()).toBe(401);
  listener.close();
});
