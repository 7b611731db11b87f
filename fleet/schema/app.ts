/*
 * The app's section of the schema: what each process runs and as whom, the release it fetches, its
 * variables and secrets, and the managed policies its role gets.
 */
import { z } from "zod";
import { RELEASE_KEY } from "../../instance/release";
import { IAM_POLICY_ARN, secretArnProblem, variableNameProblem } from "../../instance/app-environment";
import { region, S3_BUCKET } from "./fields";

const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** `app.environment` and `app.secrets`: variable name → `value`, each name one the run script can set. */
const appVariables = (value: z.ZodType<string>) =>
  z
    .record(z.string(), value, { error: 'must be an object of variable names, e.g. {"LOG_LEVEL": …}' })
    .superRefine((variables, ctx) => {
      for (const name of Object.keys(variables)) {
        const problem = variableNameProblem(name);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: [name], input: name, message: problem });
      }
    });

/** What the instances run; every field has a default, so the section may be left out. */
export const app = z
  .strictObject({
    /**
     * Shell command for one process, with PORT (and HEALTH_PATH) set and the fleet's Node.js first on PATH;
     * runs in the release's directory (`/opt/{service}/current`), or in /opt/{service} for code on the
     * image. @default "node server.js" (the bundled demo app when there is no release)
     */
    command: z
      .string()
      .min(1, { error: "must not be empty" })
      .regex(/^[^\n\r]+$/, { error: "must be a single line" })
      .optional(),
    /** Unprivileged user the processes run as. @default "cloudrim" */
    user: z
      .string()
      .regex(UNIX_USER, { error: "must be a Unix user name: lowercase letters, digits, _ and -" })
      .refine((u) => u !== "root", { error: "must not be root: the service runs unprivileged" })
      .optional(),
    /**
     * The release every instance runs: a gzipped tarball in S3 (what `npm run release` prints), fetched
     * with the instance's own role, verified against `sha256`, then started. @default the bundled demo app
     */
    release: z
      .strictObject({
        bucket: z.string({ error: "must be a string" }).regex(S3_BUCKET, {
          error: "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens",
        }),
        key: z
          .string({ error: "must be a string" })
          .regex(RELEASE_KEY, {
            error:
              "must be an S3 key of letters, digits and . _ ~ - / (the boot script signs it as written), e.g. releases/api/<sha256>.tgz",
          })
          .max(1024, { error: "must be at most 1024 characters" }),
        sha256: z
          .string({ error: "must be a string" })
          .regex(/^[0-9a-f]{64}$/, { error: "must be the release's sha256: 64 lowercase hex digits" }),
        /** @default state.region */
        region: region.optional(),
      })
      .optional(),
    /**
     * Plain variables every process gets, name → value. Not secret: they are in the user data and the
     * plan; put secrets in `secrets`. @default none
     */
    environment: appVariables(
      z.string({ error: "must be a string" }).refine((value) => !value.includes("\0"), {
        error: "must not hold a NUL character, which no environment variable can",
      }),
    ).optional(),
    /**
     * Variables every process gets from an SSM parameter (SecureString included) or a Secrets Manager
     * secret, name → ARN, `{region}` standing for each region; each instance reads them at boot with its
     * role, which may read exactly these. The values are never in the user data, the state or the plan.
     * @default none
     */
    secrets: appVariables(
      z.string({ error: "must be a string: an ARN" }).superRefine((arn, ctx) => {
        const problem = secretArnProblem(arn);
        if (problem !== undefined) ctx.addIssue({ code: "custom", input: arn, message: problem });
      }),
    ).optional(),
    /** Managed policies attached to the instance role, for what the app itself calls. @default none */
    policyArns: z
      .array(
        z.string({ error: "must be a string: an ARN" }).regex(IAM_POLICY_ARN, {
          error:
            'must be an IAM managed policy ARN such as "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" or "arn:aws:iam::123456789012:policy/my-app"',
        }),
        { error: "must be a list of IAM policy ARNs" },
      )
      .optional(),
  })
  .default({});
