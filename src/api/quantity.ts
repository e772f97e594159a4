// Byte sizes as Kubernetes quantities ("512Mi", "10Gi", "1G", "1500000"), for spec.limits and the limit flags.

/** The quantities accepted: a whole or decimal number with an optional binary (Ki…Ei) or decimal (k…E) suffix. */
export const QUANTITY_PATTERN = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";

const quantityRe = new RegExp(QUANTITY_PATTERN);
const SUFFIX: Record<string, number> = {
  "": 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * Parses a byte size: a Kubernetes quantity string or a non-negative whole number. Returns undefined when it is
 * neither, is not a whole number of bytes ("0.5" ) or is above Number.MAX_SAFE_INTEGER.
 */
export function parseByteQuantity(value: string | number): number | undefined {
  let bytes: number;
  if (typeof value === "number") bytes = value;
  else {
    if (!quantityRe.test(value)) return undefined;
    const match = /^([0-9.]+)(.*)$/.exec(value);
    bytes = Number(match?.[1]) * (SUFFIX[match?.[2] ?? ""] ?? Number.NaN);
    bytes = Math.round(bytes * 1e6) / 1e6; // "1.1Ki" is 1126.4 → refused; float noise is not
  }
  if (!Number.isSafeInteger(bytes) || bytes < 0) return undefined;
  return bytes;
}

/** Formats bytes the short way a person reads them: "10Gi" when exact, else "1.5 GiB (1610612736 bytes)". */
export function formatBytes(bytes: number): string {
  for (const suffix of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const unit = SUFFIX[suffix] ?? 1;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  for (const suffix of ["Ti", "Gi", "Mi", "Ki"]) {
    const unit = SUFFIX[suffix] ?? 1;
    if (bytes >= unit) return `${(bytes / unit).toFixed(1)} ${suffix}B (${bytes} bytes)`;
  }
  return `${bytes} bytes`;
}
