import { expect, test } from '@playwright/test';
import * as id from './testids';
import {
  addClient, expectAccessible, hydrated, logBrowserErrors, PASSWORD, setUpOperator, signUpCoach, totpCode, uniqueEmail, SMOKE } from './helpers';

test('an operator set up from the command line signs in with a code, sees counts but no client, and suspends a coach', SMOKE, async ({ browser }) => {
  const coach = await (await browser.newContext()).newPage();
  logBrowserErrors(coach, 'coach');
  const coachEmail = uniqueEmail('sam');
  await signUpCoach(coach, 'Sam Coach', coachEmail);
  await addClient(coach, 'Quinn Private');

  const operator = await (await browser.newContext()).newPage();
  logBrowserErrors(operator, 'operator');
  const operatorEmail = uniqueEmail('ops');
  const { secret, usedCode } = await setUpOperator(operator, operatorEmail);
  const console_ = operator.getByTestId(id.OPERATOR_CONSOLE);
  await expect(console_.getByTestId(id.OPERATOR_HEALTH)).toContainText('Last backup');
  await expect(operator.getByTestId(id.OPERATOR_COACHES)).toContainText(coachEmail);
  await expect(operator.locator('body')).not.toContainText('Quinn Private');
  await expectAccessible(operator);

  // Signed out, the console sends the operator to their own sign-in, which wants a fresh code.
  await operator.getByTestId(id.NAV_LOGOUT).click();
  await expect(operator).toHaveURL(/\/login$/);
  await operator.goto('/operator');
  await expect(operator).toHaveURL(/\/operator\/login$/);
  await hydrated(operator);
  await operator.getByTestId(id.OPERATOR_LOGIN_EMAIL).fill(operatorEmail);
  await operator.getByTestId(id.OPERATOR_LOGIN_PASSWORD).fill(PASSWORD);
  // The setup already used this code: it is refused, even when a 30-second step has passed since
  // (recomputing "the current code" here would give a fresh one after a step boundary).
  await operator.getByTestId(id.OPERATOR_LOGIN_CODE).fill(usedCode);
  await operator.getByTestId(id.OPERATOR_LOGIN_SUBMIT).click();
  await expect(operator.getByTestId(id.FORM_ERROR)).toContainText('each code works once');
  await operator.getByTestId(id.OPERATOR_LOGIN_CODE).fill(totpCode(secret, 1));
  await operator.getByTestId(id.OPERATOR_LOGIN_SUBMIT).click();
  await expect(operator).toHaveURL(/\/operator$/);
  await hydrated(operator);

  // Suspending the coach signs them out: their next page load goes to the login.
  const row = operator.getByTestId(id.OPERATOR_COACH_ROW).filter({ hasText: coachEmail });
  await row.getByTestId(id.OPERATOR_SUSPEND).click();
  await expect(row).toContainText('Suspended');
  await coach.goto('/coach');
  await expect(coach).toHaveURL(/\/login/);
  await row.getByTestId(id.OPERATOR_SUSPEND).click();
  await expect(row).toContainText('Active');
});
