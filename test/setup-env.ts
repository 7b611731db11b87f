import { join } from "node:path";
import { terraformCliConfigFile } from "../terraform/adapters/env";

// Tests run Terraform through cdktf's matchers: point it at the provider mirror (or registry), and
// keep the CLI from calling home.
process.env.TF_CLI_CONFIG_FILE = terraformCliConfigFile(join(__dirname, ".."));
process.env.CHECKPOINT_DISABLE = "1";
// The suites start Terraform and the AWS provider (Go programs) hundreds of times, and most of each start is
// the provider building its schema: a garbage collector that runs a quarter as often takes about a seventh
// less CPU for a third more memory (`terraform validate` here: 6.2 s of CPU and 380 MB by default, 5.3 s and
// 510 MB at GOGC=400; GOGC=800 measured no better in a whole run, at 730 MB). What Terraform does is the
// same; a GOGC set by the caller is kept.
process.env.GOGC ??= "400";
