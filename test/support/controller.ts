// Runs `bucketops controller` (the built CLI) as a separate process, like a Deployment's container would.
import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "./cli.js";
import { stopProcess } from "./stop-process.js";

export interface ControllerProcess {
  /** Where its artifact server answers. */
  url: string;
  child: ChildProcess;
  logs(): string;
  /** SIGTERM and wait (graceful: releases the lease). */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash: the lease must expire). */
  kill(): Promise<void>;
}

/** Starts the controller with `args` (after `controller`) and `env`, resolving once it serves. */
export async function startController(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ControllerProcess> {
  const child = spawn(process.execPath, [CLI, "controller", "--storage-addr", "127.0.0.1:0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`controller did not start:\n${out}\n${err}`));
    }, 30_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const match = /serving artifacts on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`controller exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    logs: () => err,
    stop: () => stopProcess(child, { graceMs: 15_000 }),
    kill: () => stopProcess(child, { signal: "SIGKILL" }),
  };
}
