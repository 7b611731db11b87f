import { createReadStream, existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename, join } from "node:path";

/**
 * What an EC2 instance reaches, standing in on loopback for the host sandbox: the instance metadata
 * service (IMDSv2 only: a token first, then the role's credentials and the instance id), a mirror of the
 * Node.js tarballs the boot script downloads, and the Auto Scaling API the boot and the watchdog call,
 * which records each call. The scripts are pointed here by CLOUDRIM_IMDS_ENDPOINT, CLOUDRIM_NODE_MIRROR and
 * CLOUDRIM_AUTOSCALING_ENDPOINT, which are unset on an instance.
 */
export interface MachineOptions {
  /** The instance profile's role name the metadata service reports. */
  readonly role: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly token: string };
  /** Directory of `node-linux-<arch>-<version>.tgz` files served at the npm registry's paths. */
  readonly nodeTarballs: string;
  /** The instance id the metadata service reports. @default "i-0sandbox0000000000" */
  readonly instanceId?: string;
  /** The address to listen on: an instance's side of its link, for one in a namespace. @default "127.0.0.1" */
  readonly host?: string;
}

/** One call to the Auto Scaling stand-in: its query parameters, and whether it came signed with the role's session. */
export interface AutoScalingCall {
  readonly params: Readonly<Record<string, string>>;
  readonly signed: boolean;
}

/** Another instance of the group, as DescribeAutoScalingGroups lists it. */
export interface GroupPeer {
  readonly instanceId: string;
  /** `InService`, `Pending`, `Terminating`, … */
  readonly lifecycleState: string;
  readonly healthStatus: "Healthy" | "Unhealthy";
}

/** The path under the stand-in's endpoint where the Auto Scaling API answers. */
export const AUTOSCALING_PATH = "/autoscaling";

export class MachineServices {
  /** The group's other instances, as DescribeAutoScalingGroups answers (this one is listed too, InService). */
  groupPeers: readonly GroupPeer[] = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    /** Every Auto Scaling call so far, in order. */
    readonly autoScalingCalls: AutoScalingCall[],
  ) {}

  static start(options: MachineOptions): Promise<MachineServices> {
    const tokens = new Set<string>();
    const calls: AutoScalingCall[] = [];
    const instanceId = options.instanceId ?? "i-0sandbox0000000000";
    // Assigned once listening: the answer reads the peers set on it since.
    let services: MachineServices | undefined;
    const describeAnswer = () => {
      const self: GroupPeer = { instanceId, lifecycleState: "InService", healthStatus: "Healthy" };
      const members = [self, ...(services?.groupPeers ?? [])].map(
        (p) =>
          `<member><InstanceId>${p.instanceId}</InstanceId><LifecycleState>${p.lifecycleState}</LifecycleState>` +
          `<HealthStatus>${p.healthStatus}</HealthStatus></member>`,
      );
      return (
        '<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
        `<DescribeAutoScalingGroupsResult><AutoScalingGroups><member><Instances>${members.join("")}</Instances>` +
        "</member></AutoScalingGroups></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>"
      );
    };
    const server = createServer((req, res) => {
      const url = req.url ?? "/";
      const reply = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(body);
      };
      if (url === "/latest/api/token") {
        if (req.method !== "PUT" || req.headers["x-aws-ec2-metadata-token-ttl-seconds"] === undefined) {
          reply(400, "IMDSv2: PUT with X-aws-ec2-metadata-token-ttl-seconds");
          return;
        }
        const token = `token-${tokens.size + 1}-${Date.now()}`;
        tokens.add(token);
        reply(200, token);
        return;
      }
      if (url.startsWith("/latest/meta-data/")) {
        // IMDSv2 only: every metadata request carries a token from the PUT above (the launch template requires it).
        if (!tokens.has(String(req.headers["x-aws-ec2-metadata-token"]))) {
          reply(401, "");
          return;
        }
        const prefix = "/latest/meta-data/iam/security-credentials/";
        if (url === "/latest/meta-data/instance-id") reply(200, instanceId);
        else if (url === prefix) reply(200, options.role);
        else if (url === `${prefix}${options.role}`) {
          reply(
            200,
            JSON.stringify(
              {
                Code: "Success",
                Type: "AWS-HMAC",
                AccessKeyId: options.credentials.accessKeyId,
                SecretAccessKey: options.credentials.secretAccessKey,
                Token: options.credentials.token,
                Expiration: new Date(Date.now() + 3_600_000).toISOString(),
              },
              null,
              2,
            ),
          );
        } else reply(404, "");
        return;
      }
      if (url.startsWith(`${AUTOSCALING_PATH}/?`)) {
        const params = Object.fromEntries(new URL(url, "http://stand-in").searchParams);
        const authorization = req.headers.authorization ?? "";
        const signed =
          authorization.startsWith("AWS4-HMAC-SHA256 Credential=" + options.credentials.accessKeyId + "/") &&
          authorization.includes("/autoscaling/aws4_request") &&
          req.headers["x-amz-security-token"] === options.credentials.token;
        calls.push({ params, signed });
        res.writeHead(signed ? 200 : 403, { "content-type": "text/xml" });
        res.end(
          params.Action === "DescribeAutoScalingGroups"
            ? describeAnswer()
            : `<${params.Action ?? "Unknown"}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"/>`,
        );
        return;
      }
      const tarball = /^\/(node-linux-[a-z0-9]+)\/-\/(node-linux-[a-z0-9]+-[\d.]+\.tgz)$/.exec(url);
      const file = tarball === null ? undefined : join(options.nodeTarballs, basename(tarball[2] ?? ""));
      if (file !== undefined && existsSync(file)) {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        createReadStream(file).pipe(res);
        return;
      }
      reply(404, "");
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      const host = options.host ?? "127.0.0.1";
      server.listen(0, host, () => {
        const address = server.address();
        const port = typeof address === "object" && address !== null ? address.port : 0;
        services = new MachineServices(server, `http://${host}:${port}`, calls);
        resolve(services);
      });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => {
        resolve();
      });
    });
  }
}
