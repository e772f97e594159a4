// The real helm CLI (built by scripts/test-servers.sh) with its cache, config and data in a temp folder, so tests
// never read or write the user's Helm setup.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tempDir } from "./temp.js";

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Where the test-server script builds helm. */
export const HELM_BIN = path.join(repoRoot, ".cache/bin/helm");

export interface Helm {
  /** Runs helm with `args`; rejects with helm's stderr when it exits non-zero. */
  (...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** The temp folder holding HELM_CACHE_HOME, HELM_CONFIG_HOME and HELM_DATA_HOME. */
  home: string;
}

/** A helm runner isolated in a temp folder removed when `t` ends. */
export async function helmCli(t: { after: (fn: () => Promise<void>) => void }): Promise<Helm> {
  const home = await tempDir(t, "helm-home");
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    HELM_CACHE_HOME: path.join(home, "cache"),
    HELM_CONFIG_HOME: path.join(home, "config"),
    HELM_DATA_HOME: path.join(home, "data"),
    NO_PROXY: "*",
  };
  const helm = (async (...args: string[]) => {
    try {
      return await run(HELM_BIN, args, { env, cwd: home, maxBuffer: 64 * 1024 * 1024 });
    } catch (error: unknown) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`helm ${args.join(" ")} failed: ${e.stderr ?? e.message}`, { cause: error });
    }
  }) as Helm;
  helm.home = home;
  return helm;
}

/** Writes a minimal chart folder (Chart.yaml, values.yaml, one ConfigMap template) and returns its path. */
export async function writeChartDir(
  parent: string,
  name: string,
  version: string,
  extra: Record<string, string> = {},
): Promise<string> {
  const dir = path.join(parent, name);
  await mkdir(path.join(dir, "templates"), { recursive: true });
  const files: Record<string, string> = {
    "Chart.yaml": `apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: "${version}"\ndescription: test chart ${name}\n`,
    "values.yaml": `greeting: hello\n`,
    "templates/configmap.yaml":
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n" +
      "  greeting: {{ .Values.greeting | quote }}\n  version: {{ .Chart.Version | quote }}\n",
    ...extra,
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}
