// Describes YAML errors without quoting the source. The yaml library's messages may carry the offending text
// ("Unexpected scalar token in YAML stream: \"…\"", prettified excerpts), and in a Secret document that text is a
// secret value; a document that does not parse may not even say it is a Secret. So only our own short reason per
// error code, and the position, ever leave this module.
import type { ErrorCode, LineCounter, YAMLError } from "yaml";

const REASONS: Record<ErrorCode, string> = {
  ALIAS_PROPS: "an alias cannot have an anchor or tag",
  BAD_ALIAS: "invalid alias",
  BAD_COLLECTION_TYPE: "the collection does not match its tag",
  BAD_DIRECTIVE: "invalid directive",
  BAD_DQ_ESCAPE: "invalid escape sequence in a double-quoted string",
  BAD_INDENT: "bad indentation",
  BAD_PROP_ORDER: "anchor or tag in the wrong place",
  BAD_SCALAR_START: "a plain value starts with a reserved character (quote it)",
  BLOCK_AS_IMPLICIT_KEY: "nested mapping where a single-line key was expected (a missing space or newline?)",
  BLOCK_IN_FLOW: "block collection inside a flow collection",
  DUPLICATE_KEY: "duplicate key",
  IMPOSSIBLE: "the parser reached an impossible state",
  KEY_OVER_1024_CHARS: "an implicit key is longer than 1024 characters",
  MISSING_CHAR: "a closing quote, bracket or brace is missing",
  MULTILINE_IMPLICIT_KEY: "an implicit key spans several lines",
  MULTIPLE_ANCHORS: "a node has several anchors",
  MULTIPLE_DOCS: "several documents where one was expected",
  MULTIPLE_TAGS: "a node has several tags",
  NON_STRING_KEY: "a key is not a string",
  RESOURCE_EXHAUSTION: "collections nested too deep",
  TAB_AS_INDENT: "a tab used as indentation",
  TAG_RESOLVE_FAILED: "unknown tag",
  UNEXPECTED_TOKEN: "unexpected token",
};

/** Where a YAML error is (1-based line and column of the whole file) and why, never what the text there is. */
export interface YamlErrorDescription {
  line: number;
  column: number;
  code: ErrorCode;
  reason: string;
}

/** Describes a parse error by position and code only. */
export function describeYamlError(error: YAMLError, lines: LineCounter): YamlErrorDescription {
  const { line, col } = lines.linePos(error.pos[0]);
  return { line, column: col, code: error.code, reason: REASONS[error.code] ?? "invalid YAML" };
}

/**
 * Describes an error thrown while turning a parsed document into data (`toJS`): an alias bomb or an unresolved
 * alias. Their messages can name the alias (text of the file), so only the kind is kept.
 */
export function describeConversionError(error: unknown): { code: string; reason: string } {
  const message = error instanceof Error ? error.message : "";
  if (message.startsWith("Excessive alias count"))
    return { code: "RESOURCE_EXHAUSTION", reason: "too many alias expansions (an alias bomb?)" };
  if (message.startsWith("Unresolved alias")) return { code: "BAD_ALIAS", reason: "unresolved alias" };
  return { code: "CONVERSION_FAILED", reason: "the document cannot be turned into data" };
}
