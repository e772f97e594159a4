// spec.verify's Secret → the trusted Ed25519 public keys. Every value that is an Ed25519 SPKI PEM is trusted (several
// allow rotation); other values are ignored, so one Secret may also hold notes or other keys. Values never logged.
import type { KeyObject } from "node:crypto";
import type { SecretReader } from "../../credentials/secret.js";
import { loadPublicKey } from "../../publish/signature.js";
import { VerificationFailedError } from "./errors.js";

/**
 * Reads the Secret (in the Bucket's own namespace) and returns its Ed25519 public keys. Throws
 * VerificationFailedError when the Secret is missing or holds none, naming the keys present, never a value.
 */
export async function trustedKeys(
  readSecret: SecretReader,
  namespace: string,
  name: string,
): Promise<KeyObject[]> {
  const data = await readSecret(namespace, name);
  if (data === undefined) {
    throw new VerificationFailedError(
      `Secret '${namespace}/${name}' (spec.verify.secretRef) not found; create it in the Bucket's namespace`,
    );
  }
  const keys: KeyObject[] = [];
  for (const [field, value] of Object.entries(data)) {
    try {
      keys.push(loadPublicKey(value, `${name}.${field}`));
    } catch {
      // not an Ed25519 public key: ignored
    }
  }
  if (keys.length === 0) {
    const present = Object.keys(data).join(", ") || "none";
    throw new VerificationFailedError(
      `Secret '${namespace}/${name}' (spec.verify.secretRef) holds no Ed25519 public key in SPKI PEM (keys present: ${present}); add one, e.g. from openssl pkey -pubout`,
    );
  }
  return keys;
}
