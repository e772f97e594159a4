// Talking to a running `bucketops run` server.
import { CliError, ExitCode } from "./exit-codes.js";

/** An error answer of the server: a CliError that also carries the HTTP status. */
export class ServerError extends CliError {
  readonly status: number;
  constructor(message: string, code: number, status: number) {
    super(message, code);
    this.status = status;
  }
}

/**
 * Sends a request to the server's JSON API (with `body` as JSON when given, and `token`, default
 * $BUCKETOPS_TOKEN, as a bearer token); maps connection failures and HTTP errors to CliErrors: Unreachable when the
 * server cannot be reached, Usage for a 400, Failed otherwise.
 */
export async function callServer<T>(
  server: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
  token: string | undefined = process.env.BUCKETOPS_TOKEN || undefined,
): Promise<T> {
  const url = `${server.replace(/\/+$/, "")}${path}`;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
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
    throw new ServerError(
      answer.error ?? `${method} ${url}: HTTP ${res.status}`,
      res.status === 400 ? ExitCode.Usage : ExitCode.Failed,
      res.status,
    );
  return answer;
}
