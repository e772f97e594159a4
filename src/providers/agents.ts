// HTTP(S) agents for a provider: keep-alive pools sized for parallel GETs, custom CA / client cert, and a proxy.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { HttpProxyAgent } from "http-proxy-agent";
import { HttpsProxyAgent } from "https-proxy-agent";
import { SocksProxyAgent } from "socks-proxy-agent";
import type { ProxyOptions, TransportOptions } from "../credentials/transport.js";

export interface Agents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

/**
 * Builds the agents every request of one provider goes through. TLS options apply to the endpoint's
 * certificate (also behind a CONNECT proxy); proxy credentials are sent only to the proxy.
 */
export function buildAgents(transport: TransportOptions, maxSockets: number): Agents {
  const pool = { keepAlive: true, maxSockets };
  const tls = transport.tls ?? {};
  if (!transport.proxy) {
    return { httpAgent: new HttpAgent(pool), httpsAgent: new HttpsAgent({ ...pool, ...tls }) };
  }
  const proxyUrl = proxyUrlWithAuth(transport.proxy);
  if (proxyUrl.startsWith("socks")) {
    const agent = new SocksProxyAgent(proxyUrl, { ...pool, ...tls });
    // agent-base proxy agents serve both schemes; they are http.Agent subclasses by type only.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    return { httpAgent: agent, httpsAgent: agent };
  }
  return {
    httpAgent: new HttpProxyAgent(proxyUrl, pool),
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    httpsAgent: new HttpsProxyAgent(proxyUrl, { ...pool, ...tls }),
  };
}

function proxyUrlWithAuth(proxy: ProxyOptions): string {
  const url = new URL(proxy.url);
  if (proxy.username !== undefined) url.username = encodeURIComponent(proxy.username);
  if (proxy.password !== undefined) url.password = encodeURIComponent(proxy.password);
  return url.toString();
}
