import { Browser, BrowserContextOptions, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'child_process';
import { createHmac } from 'crypto';
import { deflateSync, inflateRawSync } from 'zlib';
import * as id from './testids';

/** Tags a quick test per kind of page, what any bundle must hydrate (`npx playwright test --grep
 * @smoke` for a fast check; scripts/test runs every test on the release build). */
export const SMOKE = { tag: '@smoke' };

/** Waits until the WASM bundle has hydrated the page, so clicks reach Leptos. */
export async function hydrated(page: Page) {
  await expect(page.getByTestId(id.HYDRATED)).toBeAttached();
}

/** Prints the page's errors (hydration mismatches, panics) into the test output. */
export function logBrowserErrors(page: Page, who: string) {
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[${who} console] ${m.text().slice(0, 1000)}`);
  });
  page.on('pageerror', (e) => console.log(`[${who} page error] ${e.message.slice(0, 1000)}`));
}

/** Calls a server fn as the page's signed-in user; returns its JSON answer. */
export async function api(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/${endpoint}`, { form });
  expect(response.ok(), `${endpoint}: ${await response.text()}`).toBe(true);
  return response.json();
}

/** A unique email per test run, so reruns never collide. */
export function uniqueEmail(prefix: string) {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

export const PASSWORD = 'correct horse battery staple';

export async function signUpCoach(page: Page, name: string, email: string) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByTestId(id.SIGNUP_NAME).fill(name);
  await page.getByTestId(id.SIGNUP_EMAIL).fill(email);
  await page.getByTestId(id.SIGNUP_PASSWORD).fill(PASSWORD);
  await page.getByTestId(id.SIGNUP_SUBMIT).click();
  await expect(page).toHaveURL(/\/coach$/);
  // The dashboard is a fresh page load: wait for it to hydrate, or a click (e.g. "Log out")
  // may still submit the plain HTML form and land somewhere else.
  await hydrated(page);
}

/** Adds a client from the coach's pages; returns the client page's URL, hydrated. */
export async function addClient(coach: Page, name: string): Promise<string> {
  await coach.goto('/coach/new-client');
  await hydrated(coach);
  await coach.getByTestId(id.CLIENT_NAME).fill(name);
  await coach.getByTestId(id.CLIENT_EMAIL).fill(uniqueEmail(name.split(' ')[0].toLowerCase()));
  await coach.getByTestId(id.CLIENT_SUBMIT).click();
  await expect(coach.getByTestId(id.CLIENT_TITLE)).toHaveText(name);
  await hydrated(coach);
  return coach.url();
}

/** The client page's tabs (`/coach/clients/:id` and `/coach/clients/:id/<tab>`). */
export type ClientTab = 'overview' | 'checkins' | 'progress' | 'plans' | 'goals' | 'forms' | 'sessions' | 'notes';

/** On a client's page: follows one of its tabs, and waits for its panel, hydrated. */
export async function openClientTab(page: Page, tab: ClientTab) {
  await page.getByTestId(`${id.CLIENT_TAB_LINK_PREFIX}${tab}`).click();
  await expect(page.getByTestId(`${id.CLIENT_TAB_PREFIX}${tab}`)).toBeVisible();
  await hydrated(page);
}

/** Opens an invitation link in a fresh browser context (with `options`, e.g. its time zone) and
 * joins as the client. */
export async function joinAsClient(browser: Browser, link: string, options: BrowserContextOptions = {}): Promise<Page> {
  const client = await (await browser.newContext(options)).newPage();
  logBrowserErrors(client, 'client');
  await client.goto(link);
  await hydrated(client);
  await client.getByTestId(id.JOIN_PASSWORD).fill(PASSWORD);
  await client.getByTestId(id.JOIN_SUBMIT).click();
  await expect(client).toHaveURL(/\/portal$/);
  return client;
}

/** On the coach's (hydrated) client page, on any tab: sends an invitation from the overview and
 * joins through it as the client. */
export async function inviteAndJoin(coach: Page, browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  if (!(await coach.getByTestId(id.INVITE_SEND).isVisible())) await openClientTab(coach, 'overview');
  await coach.getByTestId(id.INVITE_SEND).click();
  const link = await coach.getByTestId(id.INVITE_LINK).inputValue();
  return joinAsClient(browser, link, options);
}

/**
 * The files of a ZIP by name, read through its central directory (sizes there are right even for
 * entries streamed with data descriptors); deflated entries are inflated, and each is checked
 * against its CRC.
 */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a ZIP: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    const content = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    if (crc32(content) !== crc) throw new Error(`${name}: CRC mismatch`);
    files.set(name, content);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real RGB PNG of one colour with a darker band, made here so the test needs no fixture file. */
export function pngPhoto(width: number, height: number, rgb: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    const shade = y > height / 3 && y < (2 * height) / 3 ? 0.6 : 1;
    for (let x = 0; x < width; x++) {
      row.set(rgb.map((c) => Math.round(c * shade)), 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Fails on serious or critical WCAG 2 A/AA violations in the page as it is now (with `soft`,
 * records the failure and goes on, so one run lists every page's). */
export async function expectAccessible(page: Page, soft = false) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  (soft ? expect.soft : expect)(serious, `accessibility violations on ${page.url()}`).toEqual([]);
}

/**
 * `coachroom admin add EMAIL` run beside the test server (same data directory and database):
 * returns the token of the one-time setup link it prints.
 */
export function addOperator(email: string): string {
  const binary = process.env.COACHROOM_E2E_BIN ?? 'target/debug/coachroom';
  const env: NodeJS.ProcessEnv = { ...process.env, COACHROOM_DATA_DIR: 'end2end/.data', RUST_LOG: 'warn' };
  if (process.env.COACHROOM_E2E_DATABASE_URL) env.DATABASE_URL = process.env.COACHROOM_E2E_DATABASE_URL;
  const said = execFileSync(binary, ['admin', 'add', email], { cwd: '..', env, encoding: 'utf8' });
  const token = said.match(/\/operator\/setup\/([A-Za-z0-9]+)/)?.[1];
  if (!token) throw new Error(`no setup link in: ${said}`);
  return token;
}

/** The RFC 6238 code (6 digits, 30 s, SHA-1) of a base32 secret, `steps` steps from now. */
export function totpCode(secretBase32: string, steps = 0): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(c);
    if (value < 0) throw new Error(`not base32: ${secretBase32}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + steps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** Sets up an operator through their link in `page`; returns the authenticator secret. */
/** Sets up an operator through their setup page; returns the secret and the code that setup used up. */
export async function setUpOperator(page: Page, email: string): Promise<{ secret: string; usedCode: string }> {
  const token = addOperator(email);
  await page.goto(`/operator/setup/${token}`);
  await hydrated(page);
  const secret = (await page.getByTestId(id.OPERATOR_SETUP_SECRET).textContent())?.trim() ?? '';
  await page.getByTestId(id.OPERATOR_SETUP_PASSWORD).fill(PASSWORD);
  const usedCode = totpCode(secret);
  await page.getByTestId(id.OPERATOR_SETUP_CODE).fill(usedCode);
  await page.getByTestId(id.OPERATOR_SETUP_SUBMIT).click();
  await expect(page).toHaveURL(/\/operator$/);
  await hydrated(page);
  return { secret, usedCode };
}
