// Credentials of a Helm repository endpoint: basic auth (username + password) or a bearer token, from a Secret.
import { createHash, timingSafeEqual } from "node:crypto";

/** What a request must present. */
export type RepoAuth =
  { scheme: "Basic"; username: string; password: string } | { scheme: "Bearer"; token: string };

/** The Secret has neither `username` + `password` nor `token`. */
export class RepoAuthError extends Error {
  override readonly name = "RepoAuthError";
}

/**
 * Reads the credentials from a Secret's data: `token` (bearer) or `username` and `password` (basic). Throws
 * RepoAuthError naming the Secret when it holds neither; never includes a value in the message.
 */
export function repoAuthFromSecret(data: Readonly<Record<string, string>>, secretName: string): RepoAuth {
  const token = data.token?.trim();
  if (token) return { scheme: "Bearer", token };
  const username = data.username;
  const password = data.password;
  if (username && password) return { scheme: "Basic", username, password };
  throw new RepoAuthError(
    `Secret ${secretName}: needs keys username and password (basic auth) or token (bearer) for spec.helmRepository`,
  );
}

/** Whether an Authorization header carries the credentials (compared in constant time). */
export function isAuthorized(auth: RepoAuth, header: string | undefined): boolean {
  const match = /^(\S+)\s+(.+)$/.exec(header?.trim() ?? "");
  if (!match || match[1]?.toLowerCase() !== auth.scheme.toLowerCase()) return false;
  const offered = match[2] ?? "";
  if (auth.scheme === "Bearer") return same(offered, auth.token);
  const decoded = Buffer.from(offered, "base64").toString("utf8");
  return same(decoded, `${auth.username}:${auth.password}`);
}

/** The WWW-Authenticate challenge of a 401. */
export function challenge(auth: RepoAuth, realm: string): string {
  return `${auth.scheme} realm="${realm.replace(/"/g, "")}"`;
}

function same(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
