import { join } from "node:path";
import { terraformCliConfigFile } from "../lib/terraform-env";

// Tests run Terraform through cdktf's matchers: point it at the provider mirror (or registry), and
// keep the CLI from calling home.
process.env.TF_CLI_CONFIG_FILE = terraformCliConfigFile(join(__dirname, ".."));
process.env.CHECKPOINT_DISABLE = "1";
// The suites start Terraform and the AWS provider (Go programs) hundreds of times, and most of each start is
// the provider building its schema: a garbage collector that runs a quarter as often saves about a quarter of
// that CPU for a tenth more memory (measured with `terraform providers schema -json`, docs/testing.md). What
// Terraform does is the same; a GOGC set by the caller is kept.
process.env.GOGC ??= "400";
