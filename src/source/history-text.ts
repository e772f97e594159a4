// Text or not: what a diff of two versions can show as lines.

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The content as text, or undefined when it is binary: a NUL byte, or not valid UTF-8. */
export function asText(content: Buffer): string | undefined {
  if (content.includes(0)) return undefined;
  try {
    return utf8.decode(content);
  } catch {
    return undefined;
  }
}
