/*
 * Pure: the deploy's time budget. The deploy workflow stops its runner at `timeout-minutes` (240); a runner
 * stopped halfway through a region leaves it mid-refresh, unjudged and locked. So every forward wait of a
 * rollout (a refresh, new instances, a bake) ends by the budget, and what a stop then needs (cancelling this
 * deploy's refresh and refreshing back) has its own deadlines, reserved below; Terraform's plans and applies
 * around them get the margin. test/integration/workflows.test.ts holds the workflow's timeout to this sum.
 */

/** A refresh still running after this long stops the rollout (and is cancelled). */
export const REFRESH_TIMEOUT_SECONDS = 2 * 60 * 60;

/** How long a stop waits for a cancelled refresh of this deploy's to end before it gives up rolling back. */
export const CANCEL_TIMEOUT_SECONDS = 10 * 60;

/** A rollback's refresh still running after this long is left to AWS, and the deploy ends saying so. */
export const ROLLBACK_TIMEOUT_SECONDS = 30 * 60;

/** Minutes a deploy's rollout may move forward in, across all its waves. */
export const FORWARD_BUDGET_MINUTES = 170;

/** Minutes a stop may take after the budget: its cancel and its rollback, each with its own deadline. */
export const STOP_RESERVE_MINUTES = (CANCEL_TIMEOUT_SECONDS + ROLLBACK_TIMEOUT_SECONDS) / 60;

/** Minutes left for Terraform's plans and applies, the synth and the state bucket around the waits. */
export const TERRAFORM_MARGIN_MINUTES = 30;

/** The least `timeout-minutes` a job that deploys needs: the budget, a stop's reserve and the margin. */
export const DEPLOY_JOB_MINUTES = FORWARD_BUDGET_MINUTES + STOP_RESERVE_MINUTES + TERRAFORM_MARGIN_MINUTES;

/** When a deploy that started at `startedAt` (milliseconds) must stop moving forward. */
export function forwardDeadline(startedAt: number): number {
  return startedAt + FORWARD_BUDGET_MINUTES * 60_000;
}

/** Why a rollout stops at its budget, naming what it was waiting for. */
export function budgetSpentWhy(waitingFor: string): string {
  return `the deploy's ${FORWARD_BUDGET_MINUTES}-minute budget ran out while ${waitingFor} (it keeps the deploy job inside its ${DEPLOY_JOB_MINUTES}-minute timeout)`;
}
