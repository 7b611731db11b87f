import { join } from "node:path";
import { terraformCliConfigFile } from "../lib/terraform-env";

// Tests run Terraform through cdktf's matchers: point it at the provider mirror (or registry), and
// keep the CLI from calling home.
process.env.TF_CLI_CONFIG_FILE = terraformCliConfigFile(join(__dirname, ".."));
process.env.CHECKPOINT_DISABLE = "1";
