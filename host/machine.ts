import { createReadStream, existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { basename, join } from "node:path";

/**
 * What an EC2 instance reaches at boot, standing in on loopback for the host sandbox: the instance
 * metadata service (IMDSv2 only: a token first, then the role's credentials) and a mirror of the Node.js
 * tarballs the boot script downloads. The boot script is pointed here by CLOUDRIM_IMDS_ENDPOINT and
 * CLOUDRIM_NODE_MIRROR, which are unset on an instance.
 */
export interface MachineOptions {
  /** The instance profile's role name the metadata service reports. */
  readonly role: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly token: string };
  /** Directory of `node-linux-<arch>-<version>.tgz` files served at the npm registry's paths. */
  readonly nodeTarballs: string;
}

export class MachineServices {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static start(options: MachineOptions): Promise<MachineServices> {
    const tokens = new Set<string>();
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
        if (url === prefix) reply(200, options.role);
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
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const port = typeof address === "object" && address !== null ? address.port : 0;
        resolve(new MachineServices(server, `http://127.0.0.1:${port}`));
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
