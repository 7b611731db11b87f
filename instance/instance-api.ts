/*
 * Pure: the shell library an instance uses to speak for itself to AWS, with the instance role's
 * credentials from IMDSv2: its own id, and the Auto Scaling calls it may make on its own group (complete
 * its launch lifecycle action; count the instances of its group already out of service; hand itself over
 * as unhealthy). Every call has a connect timeout, an
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
 * Counts, in DescribeAutoScalingGroups' XML split at each `<`, the instances other than `self` that are not
 * InService and Healthy. Each instance is one `member` of the group's `Instances`, its fields in any order;
 * the group's other lists have members without an InstanceId.
 */
const OUT_OF_SERVICE_AWK = [
  '/^member>/ { id = ""; state = ""; health = "" }',
  "/^InstanceId>/ { id = substr($0, 12) }",
  "/^LifecycleState>/ { state = substr($0, 16) }",
  "/^HealthStatus>/ { health = substr($0, 14) }",
  '/^\\/member>/ { if (id != "" && id != self && (state != "InService" || health != "Healthy")) n++; id = "" }',
  "END { print n + 0 }",
].join(" ");

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
    "# autoscaling_read QUERY: one signed GET, its answer (XML) on stdout; QUERY's parameters sorted by name.",
    "autoscaling_read() {",
    `  role_credentials | ${API_CURL} -K - --aws-sigv4 "aws:amz:${spec.region}:autoscaling" "$autoscaling/?$1"`,
    "}",
    'autoscaling_call() { autoscaling_read "$1" >/dev/null; }',
    "# complete_boot CONTINUE|ABANDON INSTANCE: ends this instance's launch lifecycle action.",
    "complete_boot() {",
    `  autoscaling_call "Action=CompleteLifecycleAction&AutoScalingGroupName=$group&InstanceId=$2&LifecycleActionResult=$1&LifecycleHookName=${BOOT_HOOK_NAME}&Version=2011-01-01"`,
    "}",
    "# group_out_of_service INSTANCE: how many other instances of this group are out of service or Unhealthy",
    "# (being replaced, launching, handed over): the answer is read whole first, so a failed call is no count of 0.",
    "group_out_of_service() {",
    '  answer=$(autoscaling_read "Action=DescribeAutoScalingGroups&AutoScalingGroupNames.member.1=$group&Version=2011-01-01") || return 1',
    `  printf '%s\\n' "$answer" | tr '<' '\\n' | awk -v self="$1" '${OUT_OF_SERVICE_AWK}'`,
    "}",
    "# hand_over INSTANCE: marks this instance Unhealthy, for its group to replace (launching the successor first).",
    "hand_over() {",
    '  autoscaling_call "Action=SetInstanceHealth&HealthStatus=Unhealthy&InstanceId=$1&ShouldRespectGracePeriod=true&Version=2011-01-01"',
    "}",
    "",
  ].join("\n");
}
