// .sourceignore + spec.ignore, in gitignore syntax, evaluated in order so later rules win.
import ignore, { type Ignore } from "ignore";

/** One set of rules and the directory (key prefix, "" for the bucket root) its patterns are relative to. */
export interface IgnoreLayer {
  patterns: string;
  base: string;
}

export type KeyFilter = (key: string) => boolean;

/**
 * Returns a predicate that says whether a key is ignored. Layers are applied in order: a later layer's
 * match (ignore, or "!" re-include) overrides an earlier one, as if all rules were one file.
 * Total over all keys: keys `ignore` would reject ("../x", "/x", "./x") are tested as they are, never thrown on,
 * so an unsafe key is either excluded by a rule or refused by assertSafeKey with its name.
 */
export function buildIgnoreFilter(layers: readonly IgnoreLayer[]): KeyFilter {
  const compiled: { base: string; rules: Ignore }[] = layers
    .filter((layer) => layer.patterns.trim() !== "")
    .map((layer) => ({
      base: layer.base === "" || layer.base.endsWith("/") ? layer.base : `${layer.base}/`,
      rules: ignore({ allowRelativePaths: true, ignoreCase: false }).add(layer.patterns),
    }));
  return (key: string): boolean => {
    let ignored = false;
    for (const { base, rules } of compiled) {
      if (!key.startsWith(base)) continue;
      const verdict = rules.test(key.slice(base.length));
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  };
}
