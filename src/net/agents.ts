// HTTP(S) agents for a provider: keep-alive pools sized for parallel GETs, custom CA / client cert, and a proxy.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { HttpProxyAgent } from "http-proxy-agent";
import { HttpsProxyAgent } from "https-proxy-agent";
import { SocksProxyAgent } from "socks-proxy-agent";
import type { ProxyOptions, TlsOptions, TransportOptions } from "./transport-options.js";

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
    const agent = new TlsSocksProxyAgent(proxyUrl, { ...pool, ...tls }, tls);
    // agent-base proxy agents serve both schemes; they are http.Agent subclasses by type only.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    return { httpAgent: agent, httpsAgent: agent };
  }
  return {
    httpAgent: new HttpProxyAgent(proxyUrl, pool),
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    httpsAgent: new TlsHttpsProxyAgent(proxyUrl, { ...pool, ...tls }, tls),
  };
}

// The proxy agents take the endpoint's TLS options from each request, not from the agent, so they are
// added to every connect: the custom CA / client certificate must apply to the endpoint behind the tunnel.
type ConnectOpts = Parameters<HttpsProxyAgent<string>["connect"]>[1];

class TlsHttpsProxyAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    options: ConstructorParameters<typeof HttpsProxyAgent<string>>[1],
    private readonly tls: TlsOptions,
  ) {
    super(proxy, options);
  }
  override async connect(
    req: Parameters<HttpsProxyAgent<string>["connect"]>[0],
    opts: ConnectOpts,
  ): ReturnType<HttpsProxyAgent<string>["connect"]> {
    // A refused tunnel would otherwise surface as an unreadable response from the endpoint.
    let status = 200;
    req.once("proxyConnect", (response: { statusCode: number }) => {
      status = response.statusCode;
    });
    const socket = await super.connect(req, { ...opts, ...this.tls });
    if (status !== 200) {
      socket.destroy();
      throw proxyRefused(status);
    }
    return socket;
  }
}

class TlsSocksProxyAgent extends SocksProxyAgent {
  constructor(
    proxy: string,
    options: ConstructorParameters<typeof SocksProxyAgent>[1],
    private readonly tls: TlsOptions,
  ) {
    super(proxy, options);
  }
  override connect(
    req: Parameters<SocksProxyAgent["connect"]>[0],
    opts: Parameters<SocksProxyAgent["connect"]>[1],
  ): ReturnType<SocksProxyAgent["connect"]> {
    return super.connect(req, { ...opts, ...this.tls });
  }
}

function proxyUrlWithAuth(proxy: ProxyOptions): string {
  const url = new URL(proxy.url);
  if (proxy.username !== undefined) url.username = encodeURIComponent(proxy.username);
  if (proxy.password !== undefined) url.password = encodeURIComponent(proxy.password);
  return url.toString();
}

/** An error for a proxy that answered CONNECT with something else than 200; code ERR_PROXY_REFUSED. */
function proxyRefused(status: number): Error {
  const hint =
    status === 407
      ? " (proxy authentication required: check username and password in the proxySecretRef Secret)"
      : "";
  return Object.assign(new Error(`the proxy refused the tunnel with HTTP ${status}${hint}`), {
    code: "ERR_PROXY_REFUSED",
  });
}
