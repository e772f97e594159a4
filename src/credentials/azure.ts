// Azure Blob credentials from a Secret, in Flux's order of precedence.
import { CredentialsError, type SecretData } from "./secret.js";

export type AzureCredentialConfig =
  | {
      type: "servicePrincipal";
      tenantId: string;
      clientId: string;
      clientSecret: string;
      authorityHost?: string;
    }
  | {
      type: "clientCertificate";
      tenantId: string;
      clientId: string;
      certificate: string;
      password?: string;
      sendChain?: boolean;
      authorityHost?: string;
    }
  | { type: "managedIdentity"; clientId: string }
  | { type: "sharedKey"; accountName: string; accountKey: string }
  | { type: "sas"; token: string };

/** The account and key of Azurite's development storage (public, documented by Microsoft; never a real secret). */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const ALL_KEYS = [
  "tenantId + clientId + clientSecret",
  "tenantId + clientId + clientCertificate",
  "clientId (managed identity)",
  "accountKey",
  "sasKey",
  "connectionString",
];

/**
 * Reads Azure credentials from Secret data, in Flux's order: `tenantId`+`clientId`+`clientSecret` (service principal),
 * `tenantId`+`clientId`+`clientCertificate` (certificate), `clientId` (managed identity), `accountKey` (shared key
 * for `accountName`, the account of the endpoint), `sasKey`; then `connectionString` (e.g. Azurite's
 * development storage). Throws CredentialsError naming the keys to add and the keys present, never a value.
 */
export function azureCredentialsFromSecret(
  data: SecretData,
  secretName: string,
  accountName: string,
): AzureCredentialConfig {
  const get = (key: string): string | undefined => {
    const value = data[key]?.trim();
    return value ? value : undefined;
  };
  const fail = (what: string): never => {
    throw new CredentialsError(`Secret '${secretName}' ${what} (keys present: ${presentKeys(data)})`);
  };
  const tenantId = get("tenantId");
  const clientId = get("clientId");
  const clientSecret = get("clientSecret");
  const clientCertificate = data.clientCertificate?.trim() ? data.clientCertificate : undefined;
  const authorityHost = get("authorityHost");

  if (clientSecret !== undefined || clientCertificate !== undefined) {
    const which = clientSecret !== undefined ? "clientSecret" : "clientCertificate";
    const missing = [tenantId === undefined ? "tenantId" : "", clientId === undefined ? "clientId" : ""]
      .filter(Boolean)
      .join(" and ");
    if (missing) fail(`has ${which} but lacks ${missing}; a service principal needs all three`);
  }
  if (authorityHost !== undefined && !/^https:\/\/[^/\s]+/i.test(authorityHost)) {
    fail("has an authorityHost that is not an https:// URL (e.g. https://login.microsoftonline.com)");
  }
  if (tenantId !== undefined && clientId !== undefined) {
    if (clientSecret !== undefined) {
      const config: AzureCredentialConfig = { type: "servicePrincipal", tenantId, clientId, clientSecret };
      return withAuthority(config, authorityHost);
    }
    if (clientCertificate !== undefined) {
      if (!clientCertificate.includes("-----BEGIN")) {
        fail("has a clientCertificate that is not PEM (a certificate and its private key, -----BEGIN ...)");
      }
      const config: AzureCredentialConfig = {
        type: "clientCertificate",
        tenantId,
        clientId,
        certificate: clientCertificate,
      };
      const password = data.clientCertificatePassword;
      if (password !== undefined && password !== "") config.password = password;
      const sendChain = get("clientCertificateSendChain")?.toLowerCase();
      if (sendChain !== undefined) config.sendChain = sendChain === "true" || sendChain === "1";
      return withAuthority(config, authorityHost);
    }
  }
  // As Flux: a clientId without a client secret or certificate is a (user-assigned) managed identity.
  if (clientId !== undefined) return { type: "managedIdentity", clientId };

  const accountKey = get("accountKey");
  if (accountKey !== undefined) {
    if (!accountName) {
      fail("has accountKey, but the storage account cannot be read from spec.endpoint");
    }
    if (!isBase64(accountKey)) fail("has an accountKey that is not base64 (copy the storage account's key)");
    return { type: "sharedKey", accountName, accountKey };
  }

  const sasKey = get("sasKey");
  if (sasKey !== undefined) return { type: "sas", token: sasToken(sasKey, fail) };

  const connectionString = get("connectionString");
  if (connectionString !== undefined) return fromConnectionString(connectionString, accountName, fail);

  return fail(`has no Azure credentials; add ${ALL_KEYS.join(", or ")}`);
}

function withAuthority<T extends { authorityHost?: string }>(
  config: T,
  authorityHost: string | undefined,
): T {
  if (authorityHost !== undefined) config.authorityHost = authorityHost;
  return config;
}

/** A SAS token without its leading `?`; a full SAS URL is accepted too (its query is the token). */
function sasToken(sasKey: string, fail: (what: string) => never): string {
  let token = sasKey;
  if (/^https?:\/\//i.test(token)) {
    try {
      token = new URL(token).search;
    } catch {
      return fail("has a sasKey that is neither a SAS token nor a SAS URL");
    }
  }
  token = token.replace(/^\?/, "");
  const params = new URLSearchParams(token);
  if (!params.get("sig")) fail("has a sasKey without a signature (sig=); paste the whole SAS token");
  return token;
}

/**
 * A storage connection string: `AccountName` + `AccountKey` (shared key) or `SharedAccessSignature`;
 * `UseDevelopmentStorage=true` means Azurite's development account. Its account must be the endpoint's.
 */
function fromConnectionString(
  text: string,
  accountName: string,
  fail: (what: string) => never,
): AzureCredentialConfig {
  const fields = new Map<string, string>();
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  if (fields.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    fields.set("accountname", AZURITE_ACCOUNT_NAME);
    fields.set("accountkey", AZURITE_ACCOUNT_KEY);
  }
  const sas = fields.get("sharedaccesssignature");
  const name = fields.get("accountname");
  const key = fields.get("accountkey");
  if (name !== undefined && accountName && name !== accountName) {
    fail(`has a connectionString for account '${name}', but spec.endpoint is for account '${accountName}'`);
  }
  if (name !== undefined && key !== undefined) {
    if (!isBase64(key)) fail("has a connectionString whose AccountKey is not base64");
    return { type: "sharedKey", accountName: name, accountKey: key };
  }
  if (sas !== undefined) return { type: "sas", token: sasToken(sas, fail) };
  return fail(
    "has a connectionString without AccountName + AccountKey or SharedAccessSignature " +
      `(fields present: ${[...fields.keys()].sort().join(", ") || "none"})`,
  );
}

function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0;
}

function presentKeys(data: SecretData): string {
  const keys = Object.keys(data).sort();
  return keys.length === 0 ? "none" : keys.join(", ");
}
