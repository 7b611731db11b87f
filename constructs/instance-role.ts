import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";

export interface InstanceRoleProps {
  /** Role and instance profile name; IAM names are account-wide, so it names deployment and region. */
  readonly name: string;
  /** `arn:aws:s3:::bucket/key`: the one object the instances may read. @default none: no S3 permission */
  readonly releaseObjectArn?: string;
  /** Attach AmazonSSMManagedInstanceCore, so operators reach instances with Session Manager. @default true */
  readonly ssm?: boolean;
}

/**
 * The role every instance of a region runs with, and its instance profile. Least privilege: the only
 * S3 permission is `s3:GetObject` on the release object (none without a release); Session Manager when
 * asked, never SSH.
 */
export class InstanceRole extends Construct {
  readonly role: IamRole;
  readonly profile: IamInstanceProfile;

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
      description: "cloudrim-fleet instances: read the release, and Session Manager when enabled",
      assumeRolePolicy: trust.json,
    });
    if (props.releaseObjectArn !== undefined) {
      new IamRolePolicy(this, "release", {
        name: "read-release",
        role: this.role.id,
        policy: releasePolicy(props.releaseObjectArn),
      });
    }
    if (props.ssm ?? true) {
      new IamRolePolicyAttachment(this, "ssm", { role: this.role.name, policyArn: SSM_MANAGED_POLICY });
    }
    this.profile = new IamInstanceProfile(this, "profile", { name: props.name, role: this.role.name });
  }
}

/** Session Manager's managed policy (the fleet's regions are all in the commercial `aws` partition). */
export const SSM_MANAGED_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/** Allows `s3:GetObject` on exactly one object, and nothing else. */
export function releasePolicy(objectArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "ReadTheRelease", Effect: "Allow", Action: "s3:GetObject", Resource: objectArn }],
  });
}
