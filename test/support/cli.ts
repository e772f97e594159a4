// Runs the built CLI (dist/) as a user would: a child process with arguments, exit code and output.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopProcess } from "./stop-process.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(repoRoot, "dist/src/cli/main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bucketops <args>` to completion. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** The arguments of `bucketops run` over `config`, storing into `storage`, on a free loopback port; then `extra`. */
export function runArgs(config: string, storage: string, ...extra: string[]): string[] {
  return ["--config", config, "--storage", storage, "--listen", "127.0.0.1:0", ...extra];
}

/** Starts a long-running `bucketops run` and resolves once it prints its URL. */
export async function startServerProcess(args: string[]): Promise<{
  url: string;
  child: ChildProcess;
  logs: () => string;
  /** Everything printed on stdout so far. */
  stdout: () => string;
  stop(): Promise<void>;
}> {
  const child = spawn(process.execPath, [CLI, "run", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`bucketops run did not start:\n${out}\n${err}`));
    }, 20_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const match = /dashboard:\s+(http:\/\/\S+?)\/\s/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bucketops run exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    logs: () => err,
    stdout: () => out,
    stop: () => stopProcess(child, { graceMs: 15_000 }),
  };
}
