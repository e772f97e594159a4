// How to reach an endpoint: the TLS and proxy settings every network client of bucketops takes.

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface ProxyOptions {
  /** Proxy URL without credentials, e.g. http://proxy.internal:3128. */
  url: string;
  username?: string;
  password?: string;
}

/** How to reach an endpoint: custom CA / client certificate, proxy. */
export interface TransportOptions {
  tls?: TlsOptions;
  proxy?: ProxyOptions;
}
