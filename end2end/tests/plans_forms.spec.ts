import { expect, Locator, Page, test } from '@playwright/test';
import { readFileSync } from 'fs';
import * as id from './testids';
import { addClient, expectAccessible, hydrated, inviteAndJoin, openClientTab, logBrowserErrors, signUpCoach, uniqueEmail, SMOKE } from './helpers';

/** Clicks a PDF link and checks that a real PDF arrives. */
async function downloadsPdf(page: Page, link: Locator, name: RegExp) {
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toMatch(name);
  const bytes = readFileSync(await download.path());
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
}

/** Creates a template on /coach/plans and lands in its builder. */
async function newTemplate(coach: Page, kind: 'meal' | 'workout', name: string) {
  await coach.goto('/coach/plans');
  await hydrated(coach);
  const panel = coach.locator(`[data-testid="${id.PLAN_TEMPLATES}"][data-kind="${kind}"]`);
  await panel.getByTestId(id.PLAN_NEW_NAME).fill(name);
  await panel.getByTestId(id.PLAN_NEW_SUBMIT).click();
  await expect(coach.getByTestId(id.PLAN_BUILDER)).toBeVisible();
  await expect(coach.getByTestId(id.PLAN_NAME)).toHaveValue(name);
}

async function addFood(meal: Locator, n: number, food: string[]) {
  await meal.getByTestId(id.PLAN_ADD_FOOD).click();
  const row = meal.getByTestId(id.PLAN_FOOD).nth(n);
  const [name, quantity, protein, carbs, fat] = food;
  await row.getByTestId(id.FOOD_NAME).fill(name);
  await row.getByTestId(id.FOOD_QUANTITY).fill(quantity);
  await row.getByTestId(id.FOOD_PROTEIN).fill(protein);
  await row.getByTestId(id.FOOD_CARBS).fill(carbs);
  await row.getByTestId(id.FOOD_FAT).fill(fat);
}

async function addExercise(session: Locator, n: number, name: string, sets: string, reps: string, load: string) {
  await session.getByTestId(id.PLAN_ADD_EXERCISE).click();
  const row = session.getByTestId(id.PLAN_EXERCISE).nth(n);
  await row.getByTestId(id.EXERCISE_NAME).fill(name);
  await row.getByTestId(id.EXERCISE_SETS).fill(sets);
  await row.getByTestId(id.EXERCISE_REPS).fill(reps);
  await row.getByTestId(id.EXERCISE_LOAD).fill(load);
  await row.getByTestId(id.EXERCISE_EFFORT_SCALE).selectOption('rpe');
  await row.getByTestId(id.EXERCISE_EFFORT).fill('8');
}

test('the coach builds plans and an intake form from templates; the client follows the plans and answers; both download PDFs', SMOKE, async ({ browser }) => {
  const coachContext = await browser.newContext();
  const coach = await coachContext.newPage();
  logBrowserErrors(coach, 'coach');
  await signUpCoach(coach, 'Morgan Coach', uniqueEmail('morgan'));

  // A meal plan template: live totals against the daily targets, and a refused negative macro.
  await newTemplate(coach, 'meal', 'Lean bulk');
  await coach.getByTestId(id.PLAN_TARGET_PROTEIN).fill('150');
  await coach.getByTestId(id.PLAN_TARGET_KCAL).fill('2400');
  await coach.getByTestId(id.PLAN_ADD_DAY).click();
  const day = coach.getByTestId(id.PLAN_DAY).first();
  await day.getByTestId(id.PLAN_DAY_NAME).fill('Training day');
  await day.getByTestId(id.PLAN_ADD_MEAL).click();
  const meal = day.getByTestId(id.PLAN_MEAL).first();
  await meal.getByTestId(id.PLAN_MEAL_NAME).fill('Breakfast');
  await addFood(meal, 0, ['Oats', '80', '10', '54', '6']);
  await addFood(meal, 1, ['Greek yoghurt', '200', '-20', '8', '0']);
  await expect(coach.getByTestId(id.PLAN_CHECK)).toContainText('Protein must not be negative');
  await coach.getByTestId(id.PLAN_SAVE).click();
  await expect(coach.getByTestId(id.FORM_ERROR)).toContainText('food 2 (Greek yoghurt): Protein must not be negative.');
  await meal.getByTestId(id.PLAN_FOOD).nth(1).getByTestId(id.FOOD_PROTEIN).fill('20');
  await expect(coach.getByTestId(id.PLAN_CHECK)).toHaveText('');
  // 10 + 20 g protein; kcal from the macros: 4×30 + 4×62 + 9×6 = 422.
  await expect(day.getByTestId(id.PLAN_DAY_TOTALS)).toContainText('P 30 / 150 g');
  await expect(day.getByTestId(id.PLAN_DAY_TOTALS)).toContainText('422 / 2400 kcal');
  await coach.getByTestId(id.PLAN_SAVE).click();
  await expect(coach.getByTestId(id.PLAN_SAVED)).toBeVisible();
  await expectAccessible(coach);

  // A workout plan template, with the exercises reordered.
  await newTemplate(coach, 'workout', 'Upper/lower');
  await coach.getByTestId(id.PLAN_ADD_SESSION).click();
  const session = coach.getByTestId(id.PLAN_SESSION).first();
  await session.getByTestId(id.SESSION_NAME).fill('Lower body');
  await session.getByTestId(id.SESSION_DAY).fill('Monday');
  await session.getByTestId(id.SESSION_WARM_UP).fill('5 minutes on the bike');
  await addExercise(session, 0, 'Romanian deadlift', '3', '8-10', '70');
  await addExercise(session, 1, 'Back squat', '4', '6-8', '100');
  await session.getByTestId(id.PLAN_EXERCISE).nth(1).getByTestId(id.MOVE_UP).click();
  await expect(session.getByTestId(id.PLAN_EXERCISE).first().getByTestId(id.EXERCISE_NAME)).toHaveValue('Back squat');
  await coach.getByTestId(id.PLAN_SAVE).click();
  await expect(coach.getByTestId(id.PLAN_SAVED)).toBeVisible();

  // An intake form with a required number, a single choice and a yes/no question.
  await coach.goto('/coach/forms');
  await hydrated(coach);
  await coach.getByTestId(id.FORM_NEW_NAME).fill('Intake');
  await coach.getByTestId(id.FORM_NEW_KIND).selectOption('intake');
  await coach.getByTestId(id.FORM_NEW_SUBMIT).click();
  await expect(coach.getByTestId(id.FORM_BUILDER)).toBeVisible();
  const fields = coach.getByTestId(id.FORM_FIELD);
  await coach.getByTestId(id.FORM_ADD_FIELD).click();
  await fields.nth(0).getByTestId(id.FIELD_LABEL).fill('Goal weight');
  await fields.nth(0).getByTestId(id.FIELD_TYPE).selectOption('number');
  await fields.nth(0).getByTestId(id.FIELD_REQUIRED).check();
  await fields.nth(0).getByTestId(id.FIELD_MIN).fill('30');
  await fields.nth(0).getByTestId(id.FIELD_MAX).fill('300');
  await fields.nth(0).getByTestId(id.FIELD_UNIT).fill('kg');
  await coach.getByTestId(id.FORM_ADD_FIELD).click();
  await fields.nth(1).getByTestId(id.FIELD_LABEL).fill('Diet');
  await fields.nth(1).getByTestId(id.FIELD_TYPE).selectOption('single_choice');
  await expect(coach.getByTestId(id.FORM_CHECK)).toContainText('give at least one option');
  await fields.nth(1).getByTestId(id.FIELD_OPTIONS).fill('Omnivore\nVegetarian\nVegan');
  await fields.nth(1).getByTestId(id.FIELD_REQUIRED).check();
  await coach.getByTestId(id.FORM_ADD_FIELD).click();
  await fields.nth(2).getByTestId(id.FIELD_LABEL).fill('Any injuries?');
  await fields.nth(2).getByTestId(id.FIELD_TYPE).selectOption('yes_no');
  await expect(coach.getByTestId(id.FORM_CHECK)).toHaveText('');
  await coach.getByTestId(id.FORM_SAVE).click();
  await expect(coach.getByTestId(id.FORM_SAVED)).toBeVisible();

  // A client gets both plans, the intake form and a weight goal.
  const clientPage = await addClient(coach, 'Riley Client');
  await openClientTab(coach, 'plans');
  for (const kind of ['meal', 'workout']) {
    const list = coach.locator(`[data-testid="${id.CLIENT_PLAN_LIST}"][data-kind="${kind}"]`);
    await list.getByTestId(id.PLAN_ASSIGN_SUBMIT).click();
    await expect(list.getByTestId(id.CLIENT_PLAN_ROW)).toHaveCount(1);
    await expect(list.getByTestId(id.CLIENT_PLAN_ACTIVE)).toBeVisible();
  }
  await openClientTab(coach, 'forms');
  const forms = coach.getByTestId(id.CLIENT_FORMS);
  await forms.getByTestId(id.FORM_ASSIGN_SUBMIT).click();
  await expect(forms.getByTestId(id.FORM_RESPONSE)).toContainText('Waiting');
  await openClientTab(coach, 'goals');
  await coach.getByTestId(id.GOAL_FORM_TITLE).fill('Wedding weight');
  await coach.getByTestId(id.GOAL_FORM_METRIC).selectOption('weight');
  await coach.getByTestId(id.GOAL_FORM_TARGET).fill('75');
  await coach.getByTestId(id.GOAL_FORM_SUBMIT).click();
  await expect(coach.getByTestId(id.GOAL_ROW)).toContainText('Wedding weight');
  const client = await inviteAndJoin(coach, browser);
  // The home puts the form waiting for answers first.
  await expect(client.getByTestId(id.NEXT_FORM)).toContainText('Fill in “Intake”');

  // The plans, as the coach wrote them.
  await client.getByTestId(id.PORTAL_PLANS_LINK).click();
  await expect(client).toHaveURL(/\/portal\/plans$/);
  await hydrated(client);
  const mealPlan = client.getByTestId(id.MY_MEAL_PLAN);
  await expect(mealPlan).toContainText('Meal plan: Lean bulk');
  await expect(mealPlan).toContainText('Greek yoghurt');
  await expect(mealPlan.getByTestId(id.PLAN_DAY_TOTALS)).toContainText('P 30 / 150 g');
  const workoutPlan = client.getByTestId(id.MY_WORKOUT_PLAN);
  await expect(workoutPlan).toContainText('Lower body (Monday)');
  await expect(workoutPlan.getByTestId(id.PLAN_EXERCISE).first()).toContainText('Back squat');
  await expect(workoutPlan.getByTestId(id.PLAN_EXERCISE).first()).toContainText('4 × 6-8 · 100 kg · RPE 8');
  await expect(workoutPlan.getByTestId(id.PLAN_EXERCISE).nth(1)).toContainText('Romanian deadlift');
  await expectAccessible(client);
  await downloadsPdf(client, mealPlan.getByTestId(id.PLAN_PDF), /^meal-plan\.pdf$/);

  // The intake form.
  await client.goto('/portal');
  await hydrated(client);
  await client.getByTestId(id.MY_FORM_OPEN).click();
  await expect(client.getByTestId(id.FILL_FORM)).toContainText('Intake');
  await hydrated(client);
  const answers = client.getByTestId(id.FILL_FIELD);
  // Sent empty, then out of range: each error sits at its field, and focus goes to the first.
  await client.getByTestId(id.FILL_SUBMIT).click();
  await expect(answers.nth(0).getByTestId(id.FILL_FIELD_ERROR)).toHaveText('“Goal weight” is required.');
  await expect(answers.nth(1).getByTestId(id.FILL_FIELD_ERROR)).toHaveText('“Diet” is required.');
  await expect(answers.nth(2).getByTestId(id.FILL_FIELD_ERROR)).toBeHidden();
  await expect(answers.nth(0).locator('input')).toBeFocused();
  await expect(answers.nth(0).locator('input')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(client);
  // Text the browser cannot read as a number (its value reads as empty) is refused, not dropped.
  await answers.nth(0).locator('input').pressSequentially('1e');
  await expect(answers.nth(0).getByTestId(id.FILL_FIELD_ERROR)).toBeHidden();
  await client.getByTestId(id.FILL_SUBMIT).click();
  await expect(answers.nth(0).getByTestId(id.FILL_FIELD_ERROR)).toHaveText('“Goal weight” must be a number.');
  await answers.nth(0).locator('input').fill('500');
  await client.getByTestId(id.FILL_SUBMIT).click();
  await expect(answers.nth(0).getByTestId(id.FILL_FIELD_ERROR)).toHaveText('“Goal weight” must be between 30 kg and 300 kg.');
  await expect(client.getByTestId(id.FILL_DONE)).toBeHidden();
  await answers.nth(0).locator('input').fill('72.5');
  await answers.nth(1).getByLabel('Vegetarian').check();
  await expect(answers.nth(1).getByTestId(id.FILL_FIELD_ERROR)).toBeHidden();
  await answers.nth(2).getByLabel('No').check();
  await expectAccessible(client);
  await client.getByTestId(id.FILL_SUBMIT).click();
  await expect(client.getByTestId(id.FILL_DONE)).toBeVisible();

  // The coach reads the answers and downloads the client's workout plan.
  await coach.goto(`${clientPage}/forms`);
  await hydrated(coach);
  const response = coach.getByTestId(id.CLIENT_FORMS).getByTestId(id.FORM_RESPONSE);
  await expect(response).toContainText('Answered');
  await response.locator('summary').click();
  const read = response.getByTestId(id.FORM_ANSWERS);
  await expect(read).toContainText('Goal weight');
  await expect(read).toContainText('72.5 kg');
  await expect(read).toContainText('Vegetarian');
  await expect(read).toContainText('No');
  await openClientTab(coach, 'plans');
  const workouts = coach.locator(`[data-testid="${id.CLIENT_PLAN_LIST}"][data-kind="workout"]`);
  await downloadsPdf(coach, workouts.getByTestId(id.PLAN_PDF), /^workout-plan\.pdf$/);

  // A check-in form with one required question: the client's check-in asks it, and sent without
  // an answer, its error sits at the question, which takes focus.
  await coach.goto('/coach/forms');
  await hydrated(coach);
  await coach.getByTestId(id.FORM_NEW_NAME).fill('Weekly');
  await coach.getByTestId(id.FORM_NEW_KIND).selectOption('checkin');
  await coach.getByTestId(id.FORM_NEW_SUBMIT).click();
  await expect(coach.getByTestId(id.FORM_BUILDER)).toBeVisible();
  await coach.getByTestId(id.FORM_ADD_FIELD).click();
  await fields.nth(0).getByTestId(id.FIELD_LABEL).fill('Energy this week');
  await fields.nth(0).getByTestId(id.FIELD_TYPE).selectOption('rating');
  await fields.nth(0).getByTestId(id.FIELD_REQUIRED).check();
  await coach.getByTestId(id.FORM_SAVE).click();
  await expect(coach.getByTestId(id.FORM_SAVED)).toBeVisible();
  await coach.goto(`${clientPage}/forms`);
  await hydrated(coach);
  await coach.getByTestId(id.CHECKIN_FORM_SELECT).selectOption({ label: 'Weekly' });
  await coach.getByTestId(id.CHECKIN_FORM_SAVE).click();
  await expect(coach.getByTestId(id.CLIENT_FORMS)).toContainText('Check-in form saved.');
  await client.goto('/portal/checkin');
  await hydrated(client);
  const question = client.getByTestId(id.CHECKIN_FORM_FIELDS).getByTestId(id.FILL_FIELD);
  await expect(question).toContainText('Energy this week');
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(question.getByTestId(id.FILL_FIELD_ERROR)).toHaveText('“Energy this week” is required.');
  await expect(question.getByRole('radio').first()).toBeFocused();
  await expect(client.getByTestId(id.CHECKIN_SUBMITTED)).toBeHidden();
  await expectAccessible(client);
  await question.getByLabel('7').check();
  await expect(question.getByTestId(id.FILL_FIELD_ERROR)).toBeHidden();
  await client.getByTestId(id.CHECKIN_SUBMIT).click();
  await expect(client.getByTestId(id.CHECKIN_SUBMITTED)).toBeVisible();
});
