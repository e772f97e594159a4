// The offending value, quoted in a spec error so the user sees what was read; never for fields that may hold secrets.

const SECRET_FIELD = /secret|password|passwd|token|key|credential|auth|cert/i;
const MAX_ECHO = 64;

/**
 * `value` as a short JSON-like quote for the error about the field at `path`, or undefined when it should not be
 * shown: a field whose name suggests a secret (any path segment), or no value at all. Credentials in a URL's
 * userinfo and its query (SAS tokens, signatures) are masked; the quote is cut at 64 characters with "…".
 */
export function echoValue(path: readonly PropertyKey[], value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (path.some((segment) => typeof segment === "string" && SECRET_FIELD.test(segment))) return undefined;
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value; // YAML and JSON values always stringify; others name their type
  } catch {
    text = typeof value;
  }
  text = text.replace(/(\/\/)[^/@\s"]*@/g, "$1***@");
  if (text.includes("://")) text = text.replace(/\?[^"\s]*/g, "?***"); // a SAS token or signed query
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO - 1)}…` : text;
}
