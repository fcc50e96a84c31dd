import { expect, Page } from '@playwright/test';
import * as id from './testids';

/** Waits until the WASM bundle has hydrated the page, so clicks reach Leptos. */
export async function hydrated(page: Page) {
  await expect(page.getByTestId(id.HYDRATED)).toBeAttached();
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
}
