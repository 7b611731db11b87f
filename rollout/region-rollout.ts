/*
 * Pure: the words of a region's rollout (rollout/machine.ts): what it is given, the actions it asks the adapter
 * for and the events that answer them, its phases and state, and how it ends.
 */
import type { TerraformPlanJson } from "../terraform/plan-json";
import type { Staging } from "./stages";
import type { AlarmObservation, InstancesVerdict, RefreshObservation, TemplateVersion } from "./verdicts";
import type { CancelOutcome, Watch } from "./refresh-watch";
import type { RollbackStep } from "./rollback";
import type { Checkpoint } from "./checkpoint";
import type { BakedVersion, RejectedChange, RolloutRecord } from "./record";

/** What a region's rollout is given: the plan and the rules it is judged by. */
export interface RegionRollout {
  readonly stack: string;
  /** The plan being applied (saved as plan.tfplan in the stack's directory): reviewed, shown, or fresh. */
  readonly plan: TerraformPlanJson;
  /** The plans every stage plan must stay within (any of them may have reviewed a change). */
  readonly reviewed: readonly TerraformPlanJson[];
  readonly bakeSeconds: number;
  /** How long a good new instance may take to be in service on every port once the refresh counts it warm. */
  readonly settleSeconds: number;
  /** The alarms a bake watches, counted for its first line. */
  readonly alarmCount: number;
  /** Milliseconds between two looks. */
  readonly pollMs: number;
  /** What earlier rollouts of the region proved and rolled back (rollout/record.ts). @default none recorded */
  readonly record?: RolloutRecord;
  /** Deploy a change even though a rollout of the region rolled it back (`--retry`). @default false */
  readonly retry?: boolean;
  /** When the reviewed plans were made (a reviewed deploy): a review newer than a rollback retries its change. */
  readonly reviewedAt?: Date;
  /** Alarms the bake does not count (`--ignore-alarm`). @default none */
  readonly ignoreAlarms?: readonly string[];
  /**
   * Whether the group replaces its instances on a new launch template version (`instanceRefresh`). Without,
   * the instances it has are judged and baked, and a stop rolls nothing back: nothing was rolled. @default true
   */
  readonly instanceRefresh?: boolean;
  /** Where the group's refresh stops once one instance is new, to judge and bake it first. @default none */
  readonly checkpoint?: Checkpoint;
  /**
   * When (ms, the adapter's clock) the rollout must stop moving forward: the deploy's budget (rollout/budget.ts).
   * A region reached after it applies nothing; a refresh, a wait for new instances or a bake still running at it
   * stops the rollout. @default none
   */
  readonly deadline?: number;
}

/** A refresh waiting at its checkpoint: the watch to go on with once its first instance passed. */
export interface Resume {
  readonly stage: Stage;
  readonly watch: Watch;
}

/** A failed look at the new instances or the bake stops the rollout only when this many in a row failed. */
export const FAILED_LOOKS_TO_STOP = 3;

/** What a rollout writes in the region's record: the version that passed its bake, or the change it rejected. */
export type RecordEntry =
  | { readonly kind: "baked"; readonly baked: BakedVersion }
  | { readonly kind: "rejected"; readonly rejected: RejectedChange };

/** A plan applied in one go (`only`) or one of its two stages. */
export type Stage = "only" | 1 | 2;

/** What the adapter is asked to do next; each but `finish` is answered with an event. */
export type RegionAction =
  | { readonly kind: "read-group" }
  | { readonly kind: "read-refreshes" }
  | { readonly kind: "read-alarms" }
  | { readonly kind: "read-refresh"; readonly id: string }
  | { readonly kind: "judge-instances"; readonly version?: string }
  | { readonly kind: "sample-bake"; readonly version?: string }
  | { readonly kind: "plan"; readonly file: string; readonly flags: readonly string[] }
  | { readonly kind: "apply"; readonly file: string }
  | { readonly kind: "cancel-refresh"; readonly id: string }
  | { readonly kind: "start-refresh"; readonly templateId: string; readonly version: string }
  | { readonly kind: "wait"; readonly ms: number }
  | { readonly kind: "record"; readonly entry: RecordEntry }
  | { readonly kind: "finish"; readonly result: RegionResult };

/** What came of an action (or an interruption during it), and when (milliseconds, the adapter's clock). */
export type RegionEvent = { readonly at: number } & (
  | { readonly kind: "group"; readonly version?: string; readonly templateId?: string }
  | { readonly kind: "refreshes"; readonly refreshes: readonly RefreshObservation[] }
  | { readonly kind: "alarms"; readonly alarms: readonly AlarmObservation[] }
  | { readonly kind: "refresh"; readonly refresh?: RefreshObservation }
  | { readonly kind: "instances"; readonly verdict: InstancesVerdict }
  | {
      readonly kind: "bake-sample";
      readonly alarms: readonly AlarmObservation[];
      readonly instances: InstancesVerdict;
    }
  | { readonly kind: "planned"; readonly result: PlanResult }
  | { readonly kind: "applied"; readonly code: number; readonly output: string }
  | { readonly kind: "refresh-cancelled"; readonly outcome: CancelOutcome }
  | { readonly kind: "refresh-started"; readonly id: string }
  | { readonly kind: "waited" }
  | { readonly kind: "recorded" }
  | { readonly kind: "interrupted"; readonly signal: string }
);

export type PlanResult =
  | { readonly ok: true; readonly plan: TerraformPlanJson }
  | { readonly ok: false; readonly code: number; readonly output: string };

/** How the region's rollout ended. A failed Terraform run is told by the adapter, which reads its output. */
export type RegionResult =
  | { readonly kind: "succeeded"; readonly summary: string; readonly rollout?: string }
  | { readonly kind: "stopped"; readonly summary: string; readonly rollout?: string }
  | { readonly kind: "interrupted"; readonly summary: string }
  | { readonly kind: "failed"; readonly run: { readonly code: number; readonly output: string } };

export type RegionPhase =
  | { readonly name: "checking-baked" }
  | { readonly name: "reading-before" }
  | { readonly name: "reading-known-refreshes" }
  | { readonly name: "reading-alarms-before" }
  | { readonly name: "planning"; readonly stage: Stage }
  | { readonly name: "applying"; readonly stage: Stage; readonly startedAt: number }
  | { readonly name: "finding-refresh"; readonly stage: Stage; readonly appliedFrom: number }
  | { readonly name: "reading-version"; readonly stage: Stage; readonly refresh?: RefreshObservation }
  | { readonly name: "refreshing"; readonly stage: Stage; readonly version?: string; readonly watch: Watch }
  | {
      readonly name: "settling";
      readonly stage: Stage;
      readonly version?: string;
      readonly deadline: number;
      readonly pausing: boolean;
      /** Failed looks in a row. */
      readonly failures: number;
      /** When it last said what it waits for. */
      readonly lastLineAt: number;
      /** The first instance of a refresh at its checkpoint is being judged: the refresh's watch goes on after. */
      readonly resume?: Resume;
    }
  | { readonly name: "reading-bake-version" }
  | {
      readonly name: "baking";
      readonly version?: string;
      readonly templateId?: string;
      readonly startedAt: number;
      readonly endsAt: number;
      readonly lastLineAt: number;
      readonly pausing: boolean;
      /** Failed looks in a row. */
      readonly failures: number;
      /** The first instance of a refresh at its checkpoint is being baked: the refresh's watch goes on after. */
      readonly resume?: Resume;
    }
  /** The rollout stopped: the region is rolled back (rollout/rollback.ts), then it has stopped. */
  | {
      readonly name: "stopping";
      readonly why: string;
      readonly rollback: RollbackStep;
      /** Stopped by the deploy's budget: the change is not recorded as rejected. */
      readonly outOfTime?: boolean;
    }
  /** What the rollout proved or rejected is being written; then it ends with `result`. */
  | { readonly name: "recording"; readonly result: RegionResult }
  | { readonly name: "done"; readonly result: RegionResult };

export interface RegionState {
  readonly rollout: RegionRollout;
  readonly staging?: Staging;
  readonly phase: RegionPhase;
  /** The launch template version the group ran before the apply: what a stop rolls back to, when none baked. */
  readonly before?: TemplateVersion;
  /** Refreshes seen so far: a later stage must not take an earlier stage's refresh for its own. */
  readonly knownRefreshes: readonly RefreshObservation[];
  /** The refreshes this deploy's applies started: the only ones its rollback may cancel. */
  readonly started: readonly string[];
  /** The plan changes nothing, but the group runs a version that has not passed its bake: it is judged now. */
  readonly unbaked?: boolean;
  /** Alarms the bake does not count: in ALARM before anything was applied (until they clear), and the ignored. */
  readonly excused: ReadonlySet<string>;
  /** The launch template version the change runs as (its refresh's, or the one judged): what a rejected change ran as. */
  readonly judgedVersion?: string;
  /** Terraform's summary of each apply. */
  readonly applied: readonly string[];
  /** What the rollout saw pass: the refresh, the new instances, the bake. */
  readonly seen: readonly string[];
}

/** A transition: the state it leads to, the lines to print (in order), and the next action. */
export interface Step {
  readonly state: RegionState;
  readonly lines: readonly string[];
  readonly action: RegionAction;
}
