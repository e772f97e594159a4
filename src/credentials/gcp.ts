// GCS credentials: a service-account JSON key from the Secret (`serviceaccount`, or `gcp_credentials`).
import { createPrivateKey } from "node:crypto";
import { CredentialsError, type SecretData } from "./secret.js";

/** The fields of a service-account key the GCS client needs. */
export interface GcsCredentials {
  client_email: string;
  private_key: string;
  project_id?: string;
}

/** Flux's key first, then the spelling also seen in the wild. */
export const GCS_SECRET_KEYS = ["serviceaccount", "gcp_credentials"] as const;

const HOW_TO_GET_ONE =
  "a service-account key file as downloaded from Google Cloud (IAM → Service accounts → Keys → JSON)";

/**
 * Parses and checks the service-account JSON. Throws CredentialsError naming the key or JSON field to fix.
 * Messages name Secret keys and JSON fields only: no value, and no part of the JSON, ever appears in them.
 */
export function gcsCredentialsFromSecret(data: SecretData, secretName: string): GcsCredentials {
  const key = GCS_SECRET_KEYS.find((k) => data[k]?.trim());
  if (key === undefined) {
    throw new CredentialsError(
      `Secret '${secretName}' lacks ${GCS_SECRET_KEYS.join(" or ")} holding ${HOW_TO_GET_ONE} ` +
        `(keys present: ${presentKeys(data)})`,
    );
  }
  const where = `Secret '${secretName}', key '${key}'`;
  let json: unknown;
  try {
    json = JSON.parse(data[key] ?? "");
  } catch {
    // The parser's message quotes the input: never pass it on.
    throw new CredentialsError(`${where}: not valid JSON; it must hold ${HOW_TO_GET_ONE}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CredentialsError(`${where}: must be a JSON object, ${HOW_TO_GET_ONE}`);
  }
  const fields = json as Record<string, unknown>;

  if (fields.type === undefined) {
    throw new CredentialsError(`${where}: JSON field 'type' is missing; it must be "service_account"`);
  }
  if (fields.type !== "service_account") {
    throw new CredentialsError(
      `${where}: JSON field 'type' must be "service_account"; user credentials and workload identity ` +
        `federation configs are not supported (use a service-account key, or no secretRef for workload identity)`,
    );
  }
  const clientEmail = requiredString(fields, "client_email", where).trim();
  if (!clientEmail.includes("@")) {
    throw new CredentialsError(
      `${where}: JSON field 'client_email' must be the service account's email address`,
    );
  }
  const privateKey = requiredString(fields, "private_key", where);
  checkPrivateKey(privateKey, where);

  const credentials: GcsCredentials = { client_email: clientEmail, private_key: privateKey };
  if (fields.project_id !== undefined) {
    if (typeof fields.project_id !== "string") {
      throw new CredentialsError(`${where}: JSON field 'project_id' must be a string`);
    }
    if (fields.project_id !== "") credentials.project_id = fields.project_id;
  }
  return credentials;
}

/** A present, non-blank string field (returned as is: a PEM key keeps its final newline). */
function requiredString(fields: Record<string, unknown>, name: string, where: string): string {
  const value = fields[name];
  if (value === undefined || value === null) {
    throw new CredentialsError(`${where}: JSON field '${name}' is missing`);
  }
  if (typeof value !== "string" || value.trim() === "") {
    throw new CredentialsError(`${where}: JSON field '${name}' must be a non-empty string`);
  }
  return value;
}

const PEM_PRIVATE_KEY =
  /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (?:RSA |EC )?PRIVATE KEY-----/;

/** The key must be an unencrypted PEM private key that node:crypto can load (what the token signer needs). */
function checkPrivateKey(pem: string, where: string): void {
  const field = `${where}: JSON field 'private_key'`;
  if (pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
    throw new CredentialsError(`${field} is an encrypted key; it must be an unencrypted PEM private key`);
  }
  const hint = pem.includes("\\n")
    ? "; it contains a literal backslash-n: the JSON must encode each line break as \\n, not \\\\n"
    : "";
  if (!PEM_PRIVATE_KEY.test(pem)) {
    throw new CredentialsError(`${field} must be a PEM private key (-----BEGIN PRIVATE KEY----- …)${hint}`);
  }
  try {
    createPrivateKey({ key: pem, format: "pem" });
  } catch {
    // node:crypto's reason names no key material, but keep messages value-free by construction.
    throw new CredentialsError(
      `${field} is not a valid PEM private key (it could not be loaded; copy it again from the key file)${hint}`,
    );
  }
}

function presentKeys(data: SecretData): string {
  const keys = Object.keys(data).sort();
  return keys.length === 0 ? "none" : keys.join(", ");
}
