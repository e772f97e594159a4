// Talking to a running `bucketops run` server.
import { CliError, ExitCode } from "./exit-codes.js";

/** Sends a request to the server's JSON API; maps connection failures and HTTP errors to CliErrors. */
export async function callServer<T>(server: string, method: "GET" | "POST", path: string): Promise<T> {
  const url = `${server.replace(/\/+$/, "")}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { method });
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CliError(
      `cannot reach the bucketops server at ${server} (${cause}); start it with 'bucketops run' or pass --server`,
      ExitCode.Unreachable,
    );
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new CliError(body.error ?? `${method} ${url}: HTTP ${res.status}`, ExitCode.Failed);
  return body;
}
