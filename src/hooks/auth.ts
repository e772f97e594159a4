// Hook authentication from a Secret: a shared token (bearer, basic password or ?token=) or an HMAC of the body.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { SecretData } from "../credentials/secret.js";

/** Secret keys a hook Secret may hold; at least one is required. */
export const TOKEN_KEY = "token";
export const HMAC_KEY = "hmacKey";

/** What a request offers as proof. */
export interface HookCredentials {
  /** The Authorization header, verbatim. */
  authorization?: string;
  /** The `token` query parameter. */
  queryToken?: string;
  /** The X-Signature header: `sha256=<hex>` or `sha512=<hex>`. */
  signature?: string;
  /** The raw body the signature covers. */
  body: Buffer;
}

/** Whether the Secret holds a usable token or HMAC key (surrounding whitespace, e.g. a file's newline, is ignored). */
export function hasHookCredentials(secret: SecretData): boolean {
  return Boolean(secret[TOKEN_KEY]?.trim() || secret[HMAC_KEY]?.trim());
}

/**
 * Whether the request proves knowledge of the Secret: its `token` as `Authorization: Bearer <token>`, as the
 * password of `Authorization: Basic`, or as `?token=`; or a valid `X-Signature` HMAC of the raw body with
 * `hmacKey`. Every comparison takes constant time.
 */
export function isAuthorized(secret: SecretData, offered: HookCredentials): boolean {
  const token = secret[TOKEN_KEY]?.trim();
  if (token) {
    const candidates = [
      bearer(offered.authorization),
      basicPassword(offered.authorization),
      offered.queryToken,
    ];
    // Every candidate is compared, so the time taken does not say which one was present.
    let ok = false;
    for (const candidate of candidates)
      if (candidate !== undefined && sameSecret(candidate, token)) ok = true;
    if (ok) return true;
  }
  const hmacKey = secret[HMAC_KEY]?.trim();
  return hmacKey ? validSignature(hmacKey, offered.signature, offered.body) : false;
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

function basicPassword(header: string | undefined): string | undefined {
  const encoded = /^Basic\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

// Hashing both sides first gives equal lengths, so timingSafeEqual applies and the length is not revealed.
function sameSecret(candidate: string, secret: string): boolean {
  const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(candidate), digest(secret));
}

function validSignature(key: string, header: string | undefined, body: Buffer): boolean {
  const match = /^(sha256|sha512)=([0-9a-fA-F]+)$/.exec(header?.trim() ?? "");
  if (!match?.[1] || !match[2]) return false;
  const expected = createHmac(match[1], key).update(body).digest();
  const given = Buffer.from(match[2], "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
