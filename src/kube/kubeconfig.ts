// A KubeConfig whose API clients reuse connections. client-node 1.4 builds a new https.Agent for every request,
// so every status patch and event paid a TLS handshake (with a secure context built from the CA): at 1,000
// Buckets that was a fifth of the controller's CPU and a good part of the API server's.
import { Agent as HttpsAgent } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";

type RequestContext = Parameters<KubeConfig["applySecurityAuthentication"]>[0];

/**
 * Loads like KubeConfig and hands every request one keep-alive agent for the current TLS settings (a new one
 * when the CA or client certificate changes, e.g. after an exec plugin renewed it). Requests through a proxy
 * keep client-node's own agent.
 */
export class PooledKubeConfig extends KubeConfig {
  private pooled: { key: string; agent: HttpsAgent } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    if (this.getCurrentCluster()?.proxyUrl || !(fresh instanceof HttpsAgent)) return;
    const o = fresh.options;
    const key = JSON.stringify([
      o.ca,
      o.cert,
      o.key,
      o.pfx,
      o.passphrase,
      o.rejectUnauthorized,
      o.servername,
    ]);
    if (this.pooled?.key !== key) {
      this.pooled?.agent.destroy();
      this.pooled = { key, agent: new HttpsAgent({ ...o, keepAlive: true }) };
    }
    context.setAgent(this.pooled.agent);
  }
}
