import { join } from "node:path";
import { terraformCliConfigFile } from "../lib/terraform-env";

// Tests run Terraform through cdktf's matchers: point it at the provider mirror (or registry), and
// keep the CLI from calling home.
process.env.TF_CLI_CONFIG_FILE = terraformCliConfigFile(join(__dirname, ".."));
process.env.CHECKPOINT_DISABLE = "1";
// The suites start Terraform and the AWS provider (Go programs) hundreds of times, and most of each start is
// the provider building its schema: a garbage collector that runs an eighth as often takes about a third less
// CPU for about twice the memory (`terraform validate` here: 6.2 s of CPU and 380 MB by default, 4.2 s and
// 730 MB at GOGC=800). What Terraform does is the same; a GOGC set by the caller is kept.
process.env.GOGC ??= "800";
