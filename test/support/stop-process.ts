// Stopping a server process started by a test: one routine for every test/support starter.
import type { ChildProcess } from "node:child_process";

/** True while `child` has neither exited nor been killed by a signal. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `signal` (SIGTERM by default) and resolves once the process is gone; a process still alive after
 * `graceMs` (default 5 s) is SIGKILLed. Resolves at once for a process that already exited or never started.
 */
export async function stopProcess(
  child: ChildProcess,
  options: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<void> {
  if (!isRunning(child) || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) =>
    child.once("exit", () => {
      resolve();
    }),
  );
  child.kill(options.signal ?? "SIGTERM");
  const timer = setTimeout(() => {
    if (isRunning(child)) child.kill("SIGKILL");
  }, options.graceMs ?? 5_000);
  try {
    await gone;
  } finally {
    clearTimeout(timer);
  }
}
