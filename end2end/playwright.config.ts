import { defineConfig } from '@playwright/test';

// The real binary, on its own port with a fresh data directory: by default the debug build of
// `cargo leptos build --split` (quick to rebuild while working); scripts/test runs every test on
// the shipped release build instead (COACHROOM_E2E_BIN=target/release/coachroom after
// `cargo leptos build --release --split`, which replaces target/site). `cargo test` rebuilds
// target/debug/coachroom without the site's settings: build the site again before these tests.
const port = Number(process.env.COACHROOM_E2E_PORT ?? 3100);
// Lets a test refuse the portal's service worker its own requests, as offline
// (`context.setOffline` does not reach them): offline.spec.ts. Set before any browser starts.
process.env.PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS = '1';
const baseURL = `http://127.0.0.1:${port}`;
const binary = process.env.COACHROOM_E2E_BIN ?? 'target/debug/coachroom';
// The app's AI goes to a local OpenAI-compatible stand-in started here too.
const aiPort = Number(process.env.COACHROOM_E2E_AI_PORT ?? 3199);

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // Room for the longest journeys (a check-in with photos; an invitation, then a password reset)
  // on a busy 2-core machine; most tests take under 15 s.
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: [{
    command: 'exec node fake-openai.mjs',
    url: `http://127.0.0.1:${aiPort}/health`,
    reuseExistingServer: false,
    timeout: 30_000,
    env: { FAKE_AI_PORT: String(aiPort) },
  }, {
    command: `rm -rf end2end/.data && exec ${binary}`,
    cwd: '..',
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      COACHROOM_BIND: `127.0.0.1:${port}`,
      COACHROOM_DATA_DIR: 'end2end/.data',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? 'target/site',
      RUST_LOG: 'warn',
      // Every test signs up from 127.0.0.1; the per-IP limit on new accounts is tested apart.
      COACHROOM_NEW_ACCOUNTS_MAX_PER_IP: '1000',
      // Both workers' browsers are one address (127.0.0.1) to the anonymous lane.
      COACHROOM_ANONYMOUS_RATE_PER_IP: '1000',
      COACHROOM_ANONYMOUS_MAX_PER_IP: '1000',
      COACHROOM_AI_BASE_URL: `http://127.0.0.1:${aiPort}/v1`,
      COACHROOM_AI_CHAT_MODEL: 'e2e-model',
      // Embedded SQLite in the data directory unless told otherwise.
      ...(process.env.COACHROOM_E2E_DATABASE_URL ? { DATABASE_URL: process.env.COACHROOM_E2E_DATABASE_URL } : {}),
    },
  }],
});
