// Secret data → provider credentials. Only key names ever appear in messages, never values.

/** Decoded Secret data (values are plain strings). */
export type SecretData = Readonly<Record<string, string>>;

/** Looks up a Secret by namespace and name; undefined when it does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<SecretData | undefined>;

/** A Secret that is missing or lacks the keys a provider needs. */
export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const ACCESS_KEYS = ["accesskey", "AWS_ACCESS_KEY_ID"];
const SECRET_KEYS = ["secretkey", "AWS_SECRET_ACCESS_KEY"];
const TOKEN_KEYS = ["sessiontoken", "AWS_SESSION_TOKEN"];

/**
 * Reads S3 credentials from Secret data, accepting Flux's `accesskey`/`secretkey` and the AWS spellings.
 * Throws CredentialsError naming the keys to add (and the keys present), never their values.
 */
export function s3CredentialsFromSecret(data: SecretData, secretName: string): S3Credentials {
  const accessKeyId = firstOf(data, ACCESS_KEYS);
  const secretAccessKey = firstOf(data, SECRET_KEYS);
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    const missing = [
      accessKeyId === undefined ? ACCESS_KEYS : [],
      secretAccessKey === undefined ? SECRET_KEYS : [],
    ]
      .filter((keys) => keys.length > 0)
      .map((keys) => keys.join(" or "))
      .join(" and ");
    throw new CredentialsError(
      `Secret '${secretName}' lacks ${missing} (keys present: ${presentKeys(data)})`,
    );
  }
  const sessionToken = firstOf(data, TOKEN_KEYS);
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
}

/** Fetches the Secret a spec names, failing with a message that says where it was looked for. */
export async function readRequiredSecret(
  read: SecretReader,
  namespace: string,
  name: string,
): Promise<SecretData> {
  const data = await read(namespace, name);
  if (data === undefined) {
    throw new CredentialsError(
      `Secret '${namespace}/${name}' not found; create it in the Bucket's namespace`,
    );
  }
  return data;
}

function firstOf(data: SecretData, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = data[key]?.trim();
    if (value) return value;
  }
  return undefined;
}

function presentKeys(data: SecretData): string {
  const keys = Object.keys(data).sort();
  return keys.length === 0 ? "none" : keys.join(", ");
}
