import { accessLogs } from "./access-logs";
import { bucketBaseline } from "./bucket-baseline";
import { bucketTlsOnly } from "./bucket-tls-only";
import { descriptions } from "./descriptions";
import { encryptedRoot } from "./encrypted-root";
import { iamNoWildcards } from "./iam-no-wildcards";
import { imdsv2 } from "./imdsv2";
import { listenerTls } from "./listener-tls";
import { noOpenEgress } from "./no-open-egress";
import { noPublicIngress } from "./no-public-ingress";
import { noPublicIp } from "./no-public-ip";

/*
 * The one list of the baseline's rules, one file each in this folder, named by the rule's id. The core reads no
 * files, so the list is written here; test/unit/baseline/rules-index.test.ts fails when it and the folder differ.
 * Findings come out in this order.
 */
export const BASELINE_RULES = [
  imdsv2,
  encryptedRoot,
  noPublicIngress,
  noOpenEgress,
  descriptions,
  listenerTls,
  accessLogs,
  bucketBaseline,
  bucketTlsOnly,
  iamNoWildcards,
  noPublicIp,
] as const;

export type BaselineRuleId = (typeof BASELINE_RULES)[number]["id"];

/** Every rule's id, for the fleet file's exceptions. */
export const BASELINE_RULE_IDS: readonly BaselineRuleId[] = BASELINE_RULES.map((rule) => rule.id);
