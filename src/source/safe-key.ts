// Object keys are untrusted: a key becomes a path inside the artifact only if it cannot leave it.

/** A key that would escape the artifact root or is not a portable relative path. */
export class UnsafeKeyError extends Error {
  override readonly name = "UnsafeKeyError";
  readonly key: string;
  constructor(key: string, why: string) {
    super(
      `object key ${JSON.stringify(key)} is refused: ${why}; rename or delete the object, or exclude it with spec.ignore`,
    );
    this.key = key;
  }
}

/**
 * Checks that `key` is a relative path that stays inside the artifact: no NUL, no leading "/",
 * no backslash, no "", "." or ".." segment. Throws UnsafeKeyError naming the key otherwise.
 */
export function assertSafeKey(key: string): void {
  if (key.length === 0) throw new UnsafeKeyError(key, "it is empty");
  if (key.includes("\0")) throw new UnsafeKeyError(key, "it contains a NUL byte");
  if (key.startsWith("/")) throw new UnsafeKeyError(key, "it is an absolute path");
  if (key.includes("\\"))
    throw new UnsafeKeyError(key, "it contains a backslash, a path separator on some systems");
  for (const segment of key.split("/")) {
    if (segment === "..")
      throw new UnsafeKeyError(key, 'it has a ".." segment that could leave the artifact');
    if (segment === "." || segment === "") throw new UnsafeKeyError(key, 'it has an empty or "." segment');
  }
}
