import { expect, test } from '@playwright/test';
import * as id from './testids';
import { hydrated, PASSWORD, signUpCoach, uniqueEmail, SMOKE } from './helpers';

// After login, `next=` may only lead to a path on this site. Each of these tricks once reached
// another site in a browser: the tab is dropped inside URLs, `\` is read as `/`.
const tricks = ['/%09/evil.example', '/%5Cevil.example', '//evil.example', '/%5C/evil.example', '%5C%5Cevil.example', 'https://evil.example'];

test('after login, next= never leaves the site', async ({ page }) => {
  const email = uniqueEmail('nina');
  await signUpCoach(page, 'Nina Coach', email);
  await page.getByTestId(id.NAV_LOGOUT).click();
  await expect(page).toHaveURL(/\/login$/);
  for (const trick of tricks) {
    await page.goto(`/login?next=${trick}`);
    await hydrated(page);
    await page.getByTestId(id.LOGIN_EMAIL).fill(email);
    await page.getByTestId(id.LOGIN_PASSWORD).fill(PASSWORD);
    await page.getByTestId(id.LOGIN_SUBMIT).click();
    await expect(page, trick).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/coach$/);
    await hydrated(page);
    await page.getByTestId(id.NAV_LOGOUT).click();
    await expect(page).toHaveURL(/\/login$/);
  }
});

test('pages hydrate under a nonce Content-Security-Policy with no inline-script allowance', SMOKE, async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { reportViolation: (v: string) => void }).reportViolation(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const response = await page.goto('/login');
  const policy = response?.headers()['content-security-policy'] ?? '';
  expect(policy).toContain("'nonce-");
  expect(policy).not.toContain('unsafe-inline');
  await hydrated(page);
  // A signed-in page with data (resources streamed as nonce'd scripts) hydrates too.
  await signUpCoach(page, 'Cora Coach', uniqueEmail('cora'));
  await page.goto('/coach/settings');
  await hydrated(page);
  await expect(page.getByTestId(id.SETTINGS_NAME)).toHaveValue('Cora Coach');
  expect(violations).toEqual([]);
});
