// `run --api-token` / `--api-token-file`: the bearer token the standalone API's write routes require.
import { readFile } from "node:fs/promises";
import { CliError, ExitCode } from "./exit-codes.js";

/** The API token from --api-token or --api-token-file (trimmed); undefined when neither is given. */
export async function readApiToken(flags: {
  apiToken?: string;
  apiTokenFile?: string;
}): Promise<string | undefined> {
  if (flags.apiToken !== undefined && flags.apiTokenFile !== undefined)
    throw new CliError("--api-token and --api-token-file: give one of them", ExitCode.Usage);
  if (flags.apiTokenFile === undefined) return flags.apiToken;
  let text: string;
  try {
    text = await readFile(flags.apiTokenFile, "utf8");
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError(`--api-token-file ${flags.apiTokenFile}: ${why}`, ExitCode.Usage);
  }
  const token = text.trim();
  if (token === "")
    throw new CliError(`--api-token-file ${flags.apiTokenFile}: the file is empty`, ExitCode.Usage);
  return token;
}
