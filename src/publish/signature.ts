// Ed25519 signatures over the index's canonical bytes, through node:crypto (no extra dependency, keys in PEM).
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { canonicalIndexBytes, type IndexObject, type IndexSignature } from "./index-object.js";

export class SignatureKeyError extends Error {
  override readonly name = "SignatureKeyError";
}

/** sha256:<hex> of a public key's SPKI DER: the keyId a signature names. */
export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}

/** Reads an Ed25519 private key (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes). Throws SignatureKeyError. */
export function loadPrivateKey(pem: string | Buffer, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new SignatureKeyError(
      `${source} is not a PEM private key (expected PKCS#8, e.g. from openssl genpkey -algorithm ed25519)`,
    );
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new SignatureKeyError(
      `${source} is a ${key.asymmetricKeyType ?? "unknown"} key; bucketops signs with ed25519`,
    );
  return key;
}

/** Reads an Ed25519 public key (SPKI PEM). Throws SignatureKeyError naming `source`, never the key bytes. */
export function loadPublicKey(pem: string | Buffer, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new SignatureKeyError(
      `${source} is not a PEM public key (expected SPKI, e.g. from openssl pkey -pubout)`,
    );
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new SignatureKeyError(
      `${source} is a ${key.asymmetricKeyType ?? "unknown"} key; bucketops verifies ed25519`,
    );
  return key;
}

/** Signs the index's canonical bytes; returns the index with the signature appended to any it had. */
export function signIndex(index: IndexObject, privateKey: KeyObject): IndexObject {
  const value = sign(null, canonicalIndexBytes(index), privateKey).toString("base64");
  const signature: IndexSignature = {
    algorithm: "ed25519",
    keyId: keyId(createPublicKey(privateKey)),
    value,
  };
  return { ...index, signatures: [...(index.signatures ?? []), signature] };
}

export type SignatureCheck = { valid: true; keyId: string } | { valid: false; reason: string };

/**
 * Whether any signature on the index is valid for any of `publicKeys` (several keys allow rotation). Never throws
 * for a malformed signature: it counts as invalid.
 */
export function verifyIndex(index: IndexObject, publicKeys: readonly KeyObject[]): SignatureCheck {
  const signatures = index.signatures ?? [];
  if (signatures.length === 0) return { valid: false, reason: "the index object carries no signature" };
  const bytes = canonicalIndexBytes(index);
  for (const signature of signatures) {
    const value = Buffer.from(signature.value, "base64");
    for (const key of publicKeys) {
      if (verify(null, bytes, key, value)) return { valid: true, keyId: keyId(key) };
    }
  }
  const n = signatures.length;
  return {
    valid: false,
    reason: `none of the index's ${n} signature${n === 1 ? "" : "s"} is valid for the ${publicKeys.length} trusted public key${publicKeys.length === 1 ? "" : "s"}`,
  };
}
