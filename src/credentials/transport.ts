// certSecretRef and proxySecretRef → TLS and proxy options shared by every provider.
import type { ProxyOptions, TlsOptions } from "../net/transport-options.js";
import { CredentialsError, type SecretData } from "./secret.js";

export type { ProxyOptions, TlsOptions, TransportOptions } from "../net/transport-options.js";

/**
 * Reads a certSecretRef Secret: `ca.crt`, and `tls.crt` + `tls.key` for a client certificate (Flux's legacy
 * `caFile`/`certFile`/`keyFile` too). Throws CredentialsError naming what is missing.
 */
export function tlsFromSecret(data: SecretData, secretName: string): TlsOptions {
  const tls: TlsOptions = {};
  const ca = data["ca.crt"] ?? data.caFile;
  const cert = data["tls.crt"] ?? data.certFile;
  const key = data["tls.key"] ?? data.keyFile;
  if ((cert === undefined) !== (key === undefined)) {
    throw new CredentialsError(
      `Secret '${secretName}' must hold both tls.crt and tls.key for a client certificate`,
    );
  }
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined && key !== undefined) {
    tls.cert = cert;
    tls.key = key;
  }
  if (tls.ca === undefined && tls.cert === undefined) {
    throw new CredentialsError(`Secret '${secretName}' has neither ca.crt nor tls.crt/tls.key`);
  }
  return tls;
}

/**
 * Reads a proxySecretRef Secret: `address` (http://, https:// or socks5:// URL), optional `username`/`password`.
 * Throws CredentialsError when the address is missing or not a URL.
 */
export function proxyFromSecret(data: SecretData, secretName: string): ProxyOptions {
  const address = data.address?.trim();
  if (!address) throw new CredentialsError(`Secret '${secretName}' lacks the key 'address' (the proxy URL)`);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new CredentialsError(`Secret '${secretName}': 'address' is not a URL; use e.g. http://proxy:3128`);
  }
  if (!["http:", "https:", "socks5:"].includes(url.protocol)) {
    throw new CredentialsError(
      `Secret '${secretName}': proxy scheme ${url.protocol} is not supported; use http, https or socks5`,
    );
  }
  const username = data.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = data.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  url.username = "";
  url.password = "";
  const proxy: ProxyOptions = { url: url.toString().replace(/\/$/, "") };
  if (username !== undefined) proxy.username = username;
  if (password !== undefined) proxy.password = password;
  return proxy;
}
