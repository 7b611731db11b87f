import { join } from "node:path";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { plugin, refusal, ROOT } from "../../tools/eslint-boundaries.cjs";

// The boundary rule as eslint runs it, on fixture sources placed (by path only: nothing is written) in the
// project's folders; tools/layout.json decides, as it does for `make check`.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser },
      plugins: { layout: plugin },
      rules: { "layout/boundaries": "error" },
    },
  ],
});

/** The boundary rule's messages for `source` as if it were the file at `path`. */
async function refusals(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(ROOT, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? "parser"}: ${m.message}`);
}

describe("the layer boundaries eslint holds every folder to (tools/layout.json)", () => {
  it("refuses a pure core importing its own adapters, and says which layers it may import", async () => {
    expect(await refusals("fleet/fixture.ts", 'import { resolveFleet } from "./adapters/resolve";\n')).toEqual([
      "layout/boundaries: fleet/ is core and may import only core; fleet/adapters/ is adapters (a module's I/O beside its core: AWS, Terraform, files, processes). Move what both need into a layer both may import (tools/layout.json)",
    ]);
  });

  it("refuses Node's I/O and the AWS SDK in pure layers, however they are reached", async () => {
    const source = [
      'import { readFileSync } from "node:fs";',
      'import { S3Client } from "@aws-sdk/client-s3";',
      'const { spawn } = require("child_process");',
      'export const later = () => import("node:readline/promises");',
    ].join("\n");
    const messages = await refusals("rollout/fixture.ts", source);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toMatch(
      /^layout\/boundaries: rollout\/ is core .* may not import node:fs; do the I\/O in an adapter/,
    );
    expect(await refusals("constructs/fixture.ts", 'import { readdirSync } from "fs";\n')).toHaveLength(1);
  });

  it("lets an adapter import its core, other adapters and the command plumbing", async () => {
    const source = [
      'import { shapeOrThrow } from "../../fleet/validate";',
      'import { run } from "../../cli/run";',
      'import { fleetContext } from "../../terraform/adapters/stacks";',
      'import { readFileSync } from "node:fs";',
    ].join("\n");
    expect(await refusals("rollout/adapters/fixture.ts", source)).toEqual([]);
  });

  it("refuses constructs reaching an adapter, and the command plumbing reaching a feature's adapters", async () => {
    expect(await refusals("constructs/fixture.ts", 'import { run } from "../cli/run";\n')).toHaveLength(1);
    expect(await refusals("cli/fixture.ts", 'import { deploy } from "../rollout/adapters/deploy";\n')).toHaveLength(1);
  });

  it("lets only entry points and tests import the built-in fleets", async () => {
    const source = 'import { BUILT_IN_FLEETS } from "../regions";\n';
    expect(await refusals("scripts/fixture.ts", source)).toEqual([]);
    expect(await refusals("host/main.ts", source)).toEqual([]);
    expect(
      await refusals("host/adapters/fixture.ts", 'import { BUILT_IN_FLEETS } from "../../regions";\n'),
    ).toHaveLength(1);
    expect(
      await refusals("fleet/adapters/fixture.ts", 'import { defaultFleet } from "../../regions/default";\n'),
    ).toHaveLength(1);
  });

  it("keeps unit tests on the pure layers, mocks included, while other tests may import commands", async () => {
    expect(await refusals("test/unit/fixture.test.ts", 'import { run } from "../../cli/run";\n')).toHaveLength(1);
    expect(await refusals("test/unit/fixture.test.ts", 'jest.mock("../../state/adapters/unlock");\n')).toHaveLength(1);
    expect(await refusals("test/unit/fixture.test.ts", 'import { baseFleet } from "../fixtures";\n')).toEqual([]);
    expect(
      await refusals("test/integration/fixture.test.ts", 'import { command } from "../../scripts/deploy";\n'),
    ).toEqual([]);
  });

  it("keeps benchmark and host helpers off the commands: an entry is imported by tests only", async () => {
    expect(await refusals("bench/wrk.ts", 'import { command } from "../scripts/plan";\n')).toHaveLength(1);
    expect(await refusals("host/adapters/fixture.ts", 'import { command } from "../../scripts/plan";\n')).toHaveLength(
      1,
    );
  });

  it("is the same decision as the pure function the messages come from", () => {
    expect(refusal(join(ROOT, "review/fixture.ts"), "../monitoring/alarms")).toBeUndefined();
    expect(refusal(join(ROOT, "review/fixture.ts"), "./adapters/plan-stacks")).toMatch(/^review\/ is core/);
    expect(refusal(join(ROOT, "review/fixture.ts"), "yaml")).toBeUndefined();
  });
});
