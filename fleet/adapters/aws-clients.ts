import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingClient } from "@aws-sdk/client-elastic-load-balancing";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { IAMClient } from "@aws-sdk/client-iam";
import { Route53Client } from "@aws-sdk/client-route-53";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { Agent } from "node:http";
import type { Target } from "../target";

// The SDK warns on every Node.js below 22 that its releases after January 2027 will need 22. The
// versions pinned here support Node 20 (this project's minimum); the SDK's own switch keeps the warning
// out of command output that people and CI parse. The workflows run Node 24, which needs none.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// No keep-alive: these clients make a handful of calls, and idle pooled sockets would keep a
// finished command (or test) from exiting.
const requestHandler = { httpAgent: new Agent({ keepAlive: false }) };

/** SDK settings for one region of a target: the emulator's endpoint and test credentials locally. */
export function clientConfig(target: Target, region: string) {
  return target.kind === "aws"
    ? { region }
    : {
        region,
        requestHandler,
        endpoint: target.endpoint,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        forcePathStyle: true,
      };
}

export interface RegionClients {
  readonly elb: ElasticLoadBalancingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly autoScaling: AutoScalingClient;
  readonly cloudWatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly ssm: SSMClient;
  readonly route53: Route53Client;
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  readonly iam: IAMClient;
}

export function regionClients(target: Target, region: string): RegionClients {
  const config = clientConfig(target, region);
  return {
    elb: new ElasticLoadBalancingClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    autoScaling: new AutoScalingClient(config),
    cloudWatch: new CloudWatchClient(config),
    logs: new CloudWatchLogsClient(config),
    ssm: new SSMClient(config),
    route53: new Route53Client(config),
    ec2: new EC2Client(config),
    s3: new S3Client(config),
    iam: new IAMClient(config),
  };
}

/** An S3 object's text; undefined when it (or its bucket) does not exist. */
export async function readObjectText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString()) ?? "";
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "NoSuchKey" || name === "NoSuchBucket") return undefined;
    throw error;
  }
}
