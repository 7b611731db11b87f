import { terraformEnv } from "../../terraform/adapters/env";

describe("terraform environment", () => {
  it("replaces a CLI config path that does not exist (this machine kind sets one)", () => {
    const env = terraformEnv("/project", { TF_CLI_CONFIG_FILE: "/nonexistent/.terraformrc" });
    expect(env.TF_CLI_CONFIG_FILE).toMatch(/^\/project\/tf\/(mirror|registry)\.tfrc$/);
    expect(env.CHECKPOINT_DISABLE).toBe("1");
  });

  it("keeps a CLI config the user points at", () => {
    // Any file that exists will do: this test's own.
    expect(terraformEnv("/project", { TF_CLI_CONFIG_FILE: __filename }).TF_CLI_CONFIG_FILE).toBe(__filename);
  });
});
