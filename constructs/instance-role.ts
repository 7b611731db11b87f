import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { Construct } from "constructs";
import { secretServiceHost, type SecretSource, type SecretStore } from "../instance/app-environment";

export interface InstanceRoleProps {
  /** Role and instance profile name; IAM names are account-wide, so it names deployment and region. */
  readonly name: string;
  /**
   * `arn:aws:s3:::bucket/releases/api/*`: the releases the instances may read (instance/release.ts,
   * releaseReadArn). @default none: no S3 permission
   */
  readonly releaseReadArn?: string;
  /** The region's log group the instances (and Session Manager's sessions) write to. */
  readonly logGroupArn: string;
  /** The instances' own Auto Scaling group, by name: each may complete its boot and hand itself over. */
  readonly autoScalingGroupName: string;
  /** The region the group is in. */
  readonly region: string;
  /**
   * Session Manager: its messages, nothing else of SSM, and a session document that logs every session to
   * `sessionLogGroupName`. @default none: no SSM permission
   */
  readonly ssm?: { readonly sessionDocumentName: string; readonly sessionLogGroupName: string };
  /** The app's parameters and secrets (region already substituted): read and decrypt exactly these. @default none */
  readonly secrets?: readonly SecretSource[];
  /** Managed policies attached to the role, for what the app itself calls. @default none */
  readonly policyArns?: readonly string[];
  /**
   * Whether the instances' watchdog may read its group (DescribeAutoScalingGroups), to count the instances
   * already out of service before it hands its own over. @default false: no watchdog, no read
   */
  readonly readsGroupHealth?: boolean;
}

/**
 * The role every instance of a region runs with, and its instance profile. Least privilege, each statement
 * on its own resource: `s3:GetObject` on the releases in the release's folder (none without a release); writing its own
 * streams in the region's log group; completing its launch hook and marking itself unhealthy, on its own
 * group only (and, for its watchdog, reading the group, which has no narrower permission); reading (and decrypting) exactly the app's parameters and secrets (none without them); and,
 * when asked, Session Manager's messages (never SSH). The app's own managed policies are attached as given.
 */
export class InstanceRole extends Construct {
  readonly role: IamRole;
  readonly profile: IamInstanceProfile;
  /** What an instance needs at boot (reading its release): a new launch template version waits for it. */
  readonly bootPolicies: readonly IamRolePolicy[];
  readonly sessionDocument?: SsmDocument;

  constructor(scope: Construct, id: string, props: InstanceRoleProps) {
    super(scope, id);
    const trust = new DataAwsIamPolicyDocument(this, "trust", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["ec2.amazonaws.com"] }],
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      name: props.name,
      description: "cloudrim-fleet instances: read the release, ship logs, report their own boot and health",
      assumeRolePolicy: trust.json,
    });
    this.bootPolicies =
      props.releaseReadArn === undefined
        ? []
        : [
            new IamRolePolicy(this, "release", {
              name: "read-release",
              role: this.role.id,
              policy: releasePolicy(props.releaseReadArn),
            }),
          ];
    new IamRolePolicy(this, "logs", { name: "ship-logs", role: this.role.id, policy: logsPolicy(props.logGroupArn) });
    const account = new DataAwsCallerIdentity(this, "account");
    const partition = new DataAwsPartition(this, "partition");
    new IamRolePolicy(this, "own-group", {
      name: "own-group",
      role: this.role.id,
      policy: ownGroupPolicy(
        `arn:${partition.partition}:autoscaling:${props.region}:${account.accountId}:autoScalingGroup:*:autoScalingGroupName/${props.autoScalingGroupName}`,
      ),
    });
    if (props.readsGroupHealth ?? false) {
      new IamRolePolicy(this, "group-health", {
        name: "read-group-health",
        role: this.role.id,
        policy: groupHealthPolicy(),
      });
    }
    if (props.ssm !== undefined) {
      new IamRolePolicy(this, "session-manager", {
        name: "session-manager",
        role: this.role.id,
        policy: sessionManagerPolicy(),
      });
      this.sessionDocument = new SsmDocument(this, "session", {
        name: props.ssm.sessionDocumentName,
        documentType: "Session",
        documentFormat: "JSON",
        content: sessionDocument(props.ssm.sessionLogGroupName),
      });
    }
    const secrets = secretsPolicy(props.secrets ?? []);
    if (secrets !== undefined) {
      new IamRolePolicy(this, "secrets", { name: "read-secrets", role: this.role.id, policy: secrets });
    }
    for (const policyArn of props.policyArns ?? []) {
      new IamRolePolicyAttachment(this, policyAttachmentId(policyArn), { role: this.role.name, policyArn });
    }
    this.profile = new IamInstanceProfile(this, "profile", { name: props.name, role: this.role.name });
  }
}

/**
 * `policy-aws-AmazonS3ReadOnlyAccess`, `policy-123456789012-team_app`: a managed policy's attachment is
 * keyed by the policy itself, so adding or removing one never re-addresses another.
 */
export function policyAttachmentId(policyArn: string): string {
  const [, account = "", path = ""] = /^arn:[^:]+:iam::([^:]+):policy\/(.+)$/.exec(policyArn) ?? [];
  return `policy-${account}-${path.replaceAll("/", "_")}`;
}

/**
 * What the boot reads the app's secrets with, exactly: `ssm:GetParameter` on each parameter (the boot asks
 * for one at a time) and `secretsmanager:GetSecretValue` on each secret, by full ARN; and `kms:Decrypt` for
 * a parameter or secret under a customer managed key, on keys of the secret's own account and region,
 * only when the request comes through that service (`kms:ViaService`) for one of these very parameters or
 * secrets: each service names the item it decrypts in the encryption context, Parameter Store as
 * `PARAMETER_ARN` (https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html,
 * "Parameter Store encryption context") and Secrets Manager as `SecretARN`
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html, "Encryption
 * context"). The AWS managed keys (aws/ssm, aws/secretsmanager) need no grant: their key policies allow any
 * principal of the account through the service. None at all without secrets.
 */
export function secretsPolicy(secrets: readonly SecretSource[]): string | undefined {
  const unique = (values: readonly string[]) => [...new Set(values)];
  const stores: readonly { store: SecretStore; read: string; sid: string; context: string }[] = [
    { store: "ssm", read: "ssm:GetParameter", sid: "Parameters", context: "PARAMETER_ARN" },
    { store: "secretsmanager", read: "secretsmanager:GetSecretValue", sid: "Secrets", context: "SecretARN" },
  ];
  const statements = stores.flatMap(({ store, read, sid, context }) => {
    const these = secrets.filter((s) => s.store === store);
    if (these.length === 0) return [];
    const arns = unique(these.map((s) => s.arn));
    return [
      { Sid: `ReadThe${sid}`, Effect: "Allow", Action: read, Resource: arns },
      {
        Sid: `DecryptThe${sid}`,
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: unique(these.map((s) => `arn:${s.partition}:kms:${s.region}:${s.account}:key/*`)),
        Condition: {
          StringEquals: {
            "kms:ViaService": unique(these.map(secretServiceHost)),
            [`kms:EncryptionContext:${context}`]: arns,
          },
        },
      },
    ];
  });
  return statements.length === 0 ? undefined : JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Allows `s3:GetObject` on exactly one object, and nothing else. */
export function releasePolicy(readArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadTheReleases", Effect: "Allow", Action: "s3:GetObject", Resource: readArn }],
  });
}

/** The CloudWatch agent's writes, to the region's log group and nowhere else. */
export function logsPolicy(logGroupArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ShipToTheRegionsLogGroup",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
    ],
  });
}

/** What an instance may do to its own group: end its launch hook, and hand itself over as unhealthy. */
export function ownGroupPolicy(groupArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReportOwnBootAndHealth",
        Effect: "Allow",
        Action: ["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"],
        Resource: groupArn,
      },
    ],
  });
}

/**
 * Before a hand-over, the watchdog counts its group's instances already out of service (its cap on
 * hand-overs at a time). DescribeAutoScalingGroups has no resource-level permissions: it is granted on *,
 * alone in a policy of its own, and it changes nothing.
 */
export function groupHealthPolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CountOwnGroupsHandOvers",
        Effect: "Allow",
        Action: "autoscaling:DescribeAutoScalingGroups",
        Resource: "*",
      },
    ],
  });
}

/**
 * Session Manager's channels and the SSM agent's registration and messages (AWS's documented minimal
 * policy for Session Manager): not AmazonSSMManagedInstanceCore, which also reads every Parameter Store
 * parameter of the account. These actions have no resource-level permissions. Session logs reach the log
 * group through the logs policy; the agent checks the group exists first.
 */
export function sessionManagerPolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "SessionManager",
        Effect: "Allow",
        Action: [
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
          "ec2messages:AcknowledgeMessage",
          "ec2messages:DeleteMessage",
          "ec2messages:FailMessage",
          "ec2messages:GetEndpoint",
          "ec2messages:GetMessages",
          "ec2messages:SendReply",
          "logs:DescribeLogGroups",
        ],
        Resource: "*",
      },
    ],
  });
}

/**
 * A Session Manager preferences document: start a session with it (`aws ssm start-session --document-name
 * …`) and everything typed and printed goes to the region's log group, streamed as it happens.
 */
export function sessionDocument(logGroupName: string): string {
  return JSON.stringify({
    schemaVersion: "1.0",
    description: "cloudrim-fleet: sessions logged to the region's log group",
    sessionType: "Standard_Stream",
    inputs: {
      cloudWatchLogGroupName: logGroupName,
      cloudWatchEncryptionEnabled: false,
      cloudWatchStreamingEnabled: true,
      s3BucketName: "",
      runAsEnabled: false,
      idleSessionTimeout: "20",
    },
  });
}
