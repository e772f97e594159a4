// Chart versions as Helm reads them (Masterminds semver: "1", "1.2", "v1.2.3-rc.1+build"), ordered by SemVer 2.0
// precedence. Small on purpose: the project has no semver dependency and Helm needs only parse and compare.

/** A parsed chart version. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

const PATTERN =
  /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Parses a version the way Helm accepts it; undefined when Helm would refuse it ("chart.metadata.version is invalid"). */
export function parseSemVer(text: string): SemVer | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    patch: Number(m[3] ?? 0),
    prerelease: m[4] === undefined ? [] : m[4].split("."),
  };
}

/**
 * Orders two version strings by SemVer precedence (negative: a is older). Build metadata is ignored except as the
 * last tie-break on the text, so the order is total and stable; unparsable versions sort before every valid one.
 */
export function compareVersions(a: string, b: string): number {
  const va = parseSemVer(a);
  const vb = parseSemVer(b);
  if (!va || !vb) return va ? 1 : vb ? -1 : textOrder(a, b);
  const core = va.major - vb.major || va.minor - vb.minor || va.patch - vb.patch;
  if (core !== 0) return core;
  return comparePrerelease(va.prerelease, vb.prerelease) || textOrder(a, b);
}

function comparePrerelease(a: string[], b: string[]): number {
  // A version without a prerelease ranks above the same version with one.
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (nx !== ny) {
      return nx ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
