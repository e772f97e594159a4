import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent as HttpsAgent } from "node:https";
import { HttpMethod, RequestContext } from "@kubernetes/client-node";
import { PooledKubeConfig } from "../../src/kube/kubeconfig.js";

function config(caData: string, proxyUrl?: string): PooledKubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443", caData, skipTLSVerify: false, proxyUrl }],
    users: [{ name: "u", token: "t0ken" }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

async function agentOf(kc: PooledKubeConfig): Promise<unknown> {
  const context = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context.getAgent();
}

void test("PooledKubeConfig: every request of one config shares one keep-alive agent, with the token header", async () => {
  const ca = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
  const kc = config(ca);
  const first = await agentOf(kc);
  const second = await agentOf(kc);
  assert.ok(first instanceof HttpsAgent);
  assert.equal(first, second, "the same agent, so the same pooled TLS connections");
  assert.equal(first.options.keepAlive, true);

  const context = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  assert.equal(
    context.getHeaders().Authorization,
    "Bearer t0ken",
    "authentication still applied per request",
  );

  // Other TLS settings (another CA) get another agent; a proxy keeps client-node's own.
  const other = await agentOf(config(Buffer.from("other").toString("base64")));
  assert.notEqual(other, first);
  const viaProxy = config(ca, "http://127.0.0.1:3128");
  assert.notEqual(await agentOf(viaProxy), await agentOf(viaProxy));
});
