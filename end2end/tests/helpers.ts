import { Browser, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { deflateSync } from 'zlib';
import * as id from './testids';

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

/** Opens an invitation link in a fresh browser context and joins as the client. */
export async function joinAsClient(browser: Browser, link: string): Promise<Page> {
  const client = await (await browser.newContext()).newPage();
  logBrowserErrors(client, 'client');
  await client.goto(link);
  await hydrated(client);
  await client.getByTestId(id.JOIN_PASSWORD).fill(PASSWORD);
  await client.getByTestId(id.JOIN_SUBMIT).click();
  await expect(client).toHaveURL(/\/portal$/);
  return client;
}

/** On the coach's (hydrated) client page: sends an invitation and joins through it as the client. */
export async function inviteAndJoin(coach: Page, browser: Browser): Promise<Page> {
  await coach.getByTestId(id.INVITE_SEND).click();
  const link = await coach.getByTestId(id.INVITE_LINK).inputValue();
  return joinAsClient(browser, link);
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

/** Fails on serious or critical WCAG 2 A/AA violations in the page as it is now. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  expect(serious, `accessibility violations on ${page.url()}`).toEqual([]);
}
