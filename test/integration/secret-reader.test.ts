import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secretReaderScript } from "../../instance/app-environment";

describe("the boot's reader of one answer", () => {
  let dir: string;
  let reader: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-reader-"));
    reader = join(dir, "read-secret.js");
    writeFileSync(reader, secretReaderScript());
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the reader prints for an answer, and what sh then sees when it loads that line. */
  function read(store: string, status: string, answer: string) {
    const result = spawnSync(process.execPath, [reader, store, "VALUE", status], { input: answer, encoding: "utf8" });
    const loaded =
      result.status === 0
        ? execFileSync("sh", ["-c", `${result.stdout}printf %s "$VALUE"`], { encoding: "utf8" })
        : undefined;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, loaded };
  }

  it.each([
    ["quotes", 'it\'s "quoted"'],
    ["several lines and trailing blanks", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n  "],
    ["shell syntax that must stay text", "$(echo injected) `id` ${HOME} \\n ; exit 1"],
  ])("hands a value with %s to the process exactly", (_what, value) => {
    expect(read("ssm", "200", JSON.stringify({ Parameter: { Type: "SecureString", Value: value } })).loaded).toBe(
      value,
    );
    expect(read("secretsmanager", "200", JSON.stringify({ SecretString: value })).loaded).toBe(value);
  });

  it("says what AWS answered, and never prints a value, when it cannot", () => {
    expect(read("ssm", "400", '{"__type":"ParameterNotFound","message":"x"}')).toMatchObject({
      status: 1,
      stdout: "",
      stderr: "ParameterNotFound (HTTP 400)\n",
    });
    expect(read("ssm", "400", '{"__type":"com.amazon.coral.service#AccessDeniedException"}').stderr).toBe(
      "AccessDeniedException (HTTP 400)\n",
    );
    expect(read("ssm", "000", "")).toMatchObject({ status: 1, stderr: "no answer from AWS (HTTP 000)\n" });
    expect(read("secretsmanager", "200", '{"SecretBinary":"c2VjcmV0"}')).toMatchObject({
      status: 1,
      stdout: "",
      stderr: "it holds no SecretString (a binary secret cannot be an environment variable)\n",
    });
    const nul = read("ssm", "200", JSON.stringify({ Parameter: { Value: "top\u0000secret" } }));
    expect(nul).toMatchObject({
      status: 1,
      stdout: "",
      stderr: "the value holds a NUL character, which no environment variable can\n",
    });
  });
});
