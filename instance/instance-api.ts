/*
 * Pure: the shell library an instance uses to speak for itself to AWS, with the instance role's
 * credentials from IMDSv2: its own id, and the Auto Scaling calls it may make on its own group (complete
 * its launch lifecycle action; hand itself over as unhealthy). Every call has a connect timeout, an
 * overall limit and bounded retries, so a boot or a watchdog never hangs on the network.
 */

/** The launch lifecycle hook every group has: an instance enters service only once its boot completes it. */
export const BOOT_HOOK_NAME = "boot";

export interface InstanceApiSpec {
  /** The region the instance and its group are in. */
  readonly region: string;
  /** The instance's own Auto Scaling group. */
  readonly groupName: string;
}

export function instanceApiPath(service: string): string {
  return `/usr/local/lib/${service}/instance-api.sh`;
}

/** curl's limits for a call to the metadata service (on the instance: milliseconds away). */
const IMDS_CURL = "curl -fsS --connect-timeout 2 --max-time 5 --retry 3 --retry-delay 1 --retry-connrefused";

/** curl's limits for a call to an AWS API. */
export const API_CURL = "curl -fsS --connect-timeout 5 --max-time 30 --retry 3 --retry-delay 2";

/**
 * Sourced by the boot script and the watchdog. The Auto Scaling Query API is called with GET, its
 * parameters already sorted by name and URL-safe (SigV4 signs the canonical, sorted query string, and
 * curl before 8.2 signs it as given).
 */
export function instanceApiLibrary(spec: InstanceApiSpec): string {
  return [
    "# Sourced: the instance speaks for itself to AWS (cloudrim-fleet). POSIX sh.",
    'imds="${CLOUDRIM_IMDS_ENDPOINT:-http://169.254.169.254}"',
    `autoscaling="\${CLOUDRIM_AUTOSCALING_ENDPOINT:-https://autoscaling.${spec.region}.amazonaws.com}"`,
    `group=${spec.groupName}`,
    'field() { sed -n "s/.*\\"$1\\" *: *\\"\\([^\\"]*\\)\\".*/\\1/p"; }',
    `imds_token() { ${IMDS_CURL} -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token"; }`,
    "# imds_get TOKEN PATH",
    `imds_get() { ${IMDS_CURL} -H "X-aws-ec2-metadata-token: $1" "$imds/latest/meta-data/$2"; }`,
    "# role_credentials: curl's config lines (user and session token) for the instance role, for curl -K -.",
    "role_credentials() {",
    "  token=$(imds_token) || return 1",
    '  role=$(imds_get "$token" iam/security-credentials/) || return 1',
    '  creds=$(imds_get "$token" "iam/security-credentials/$role") || return 1',
    "  # The secret and the session token reach curl on stdin (-K -), never on a command line.",
    `  printf 'user = "%s:%s"\\nheader = "x-amz-security-token: %s"\\n' "$(echo "$creds" | field AccessKeyId)" "$(echo "$creds" | field SecretAccessKey)" "$(echo "$creds" | field Token)"`,
    "}",
    'instance_id() { imds_get "$(imds_token)" instance-id; }',
    "# autoscaling_call QUERY: one signed GET; QUERY's parameters sorted by name.",
    "autoscaling_call() {",
    `  role_credentials | ${API_CURL} -o /dev/null -K - --aws-sigv4 "aws:amz:${spec.region}:autoscaling" "$autoscaling/?$1"`,
    "}",
    "# complete_boot CONTINUE|ABANDON INSTANCE: ends this instance's launch lifecycle action.",
    "complete_boot() {",
    `  autoscaling_call "Action=CompleteLifecycleAction&AutoScalingGroupName=$group&InstanceId=$2&LifecycleActionResult=$1&LifecycleHookName=${BOOT_HOOK_NAME}&Version=2011-01-01"`,
    "}",
    "# hand_over INSTANCE: marks this instance Unhealthy, for its group to replace (launching the successor first).",
    "hand_over() {",
    '  autoscaling_call "Action=SetInstanceHealth&HealthStatus=Unhealthy&InstanceId=$1&ShouldRespectGracePeriod=true&Version=2011-01-01"',
    "}",
    "",
  ].join("\n");
}
