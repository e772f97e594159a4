// Object keys are untrusted: a key becomes a path inside the artifact only if it cannot leave it.
//
// Control characters (C0 U+0001–U+001F, DEL U+007F, C1 U+0080–U+009F) are refused too, although tar can hold them:
// a CR or LF in a name breaks Flux's line-based revision format ("<key> <etag>\n" lines would become ambiguous),
// ESC sequences reach terminals through logs and `tar -tv`, and Windows file systems refuse them. Such a key fails the
// Bucket with InvalidPath naming it (escaped), and spec.ignore can exclude it.

/** Longest path segment (UTF-8 bytes) that common file systems (ext4, XFS, APFS, NTFS) take as a file name. */
export const MAX_SEGMENT_BYTES = 255;

// eslint-disable-next-line no-control-regex -- the control characters are what this matches
const CONTROL_CHARACTER = /[\u0001-\u001f\u007f-\u009f]/u;

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
 * Checks that `key` is a relative path that stays inside the artifact: no NUL or other control character, no
 * leading "/", no backslash, no "", "." or ".." segment, no segment over 255 bytes. Throws UnsafeKeyError naming the
 * key (JSON-escaped, so control characters show as \u001b) otherwise.
 */
export function assertSafeKey(key: string): void {
  if (key.length === 0) throw new UnsafeKeyError(key, "it is empty");
  if (key.includes("\0")) throw new UnsafeKeyError(key, "it contains a NUL byte");
  const control = CONTROL_CHARACTER.exec(key);
  if (control) {
    const code = `U+${(control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
    throw new UnsafeKeyError(key, `it contains the control character ${code}, not a portable file name`);
  }
  if (key.startsWith("/")) throw new UnsafeKeyError(key, "it is an absolute path");
  if (key.includes("\\"))
    throw new UnsafeKeyError(key, "it contains a backslash, a path separator on some systems");
  for (const segment of key.split("/")) {
    if (segment === "..")
      throw new UnsafeKeyError(key, 'it has a ".." segment that could leave the artifact');
    if (segment === "." || segment === "") throw new UnsafeKeyError(key, 'it has an empty or "." segment');
    if (segment.length * 3 > MAX_SEGMENT_BYTES && Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new UnsafeKeyError(
        key,
        `it has a path segment of ${Buffer.byteLength(segment)} bytes, over the ${MAX_SEGMENT_BYTES}-byte file name limit`,
      );
    }
  }
}
