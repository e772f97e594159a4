// Talking to a running `bucketops run` server.
import { CliError, ExitCode } from "./exit-codes.js";

/**
 * Sends a request to the server's JSON API (with `body` as JSON when given); maps connection failures and HTTP
 * errors to CliErrors: Unreachable when the server cannot be reached, Usage for a 400, Failed otherwise.
 */
export async function callServer<T>(
  server: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const url = `${server.replace(/\/+$/, "")}${path}`;
  let res: Response;
  try {
    res = await fetch(
      url,
      body === undefined
        ? { method }
        : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    );
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CliError(
      `cannot reach the bucketops server at ${server} (${cause}); start it with 'bucketops run' or pass --server`,
      ExitCode.Unreachable,
    );
  }
  const answer = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok)
    throw new CliError(
      answer.error ?? `${method} ${url}: HTTP ${res.status}`,
      res.status === 400 ? ExitCode.Usage : ExitCode.Failed,
    );
  return answer;
}
