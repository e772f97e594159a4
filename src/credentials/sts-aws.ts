// spec.sts.provider: aws — the AWS SDK's default credential chain (environment, shared config, web identity /
// IRSA, container and instance metadata), with its STS calls (AssumeRoleWithWebIdentity, AssumeRole of a
// profile) sent to spec.sts.endpoint instead of the regional AWS STS endpoint, as Flux does.
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { CredentialsError } from "./secret.js";
import { buildAgents } from "../net/agents.js";
import type { S3CredentialProvider } from "./sts-ldap.js";
import { stsEndpointUrl } from "./sts-ldap.js";
import type { ProxyOptions } from "./transport.js";

/** The configuration handed to the STS client of the chain; exported so tests can check the wiring. */
export function awsStsClientConfig(
  endpoint: string,
  proxy?: ProxyOptions,
): { endpoint: string; requestHandler: NodeHttpHandler } {
  stsEndpointUrl(endpoint);
  // Its own handler: the STS client would otherwise reuse the S3 client's, whose certSecretRef CA is for the
  // bucket endpoint only (a custom `ca` replaces Node's trust store). The Bucket's proxy applies, as in Flux.
  return { endpoint, requestHandler: new NodeHttpHandler(buildAgents(proxy ? { proxy } : {}, 8)) };
}

/**
 * The default chain with STS at `endpoint`. Its failures become CredentialsErrors
 * (→ AuthenticationFailed) that name the STS endpoint and the SDK's error.
 */
export function awsStsCredentialProvider(endpoint: string, proxy?: ProxyOptions): S3CredentialProvider {
  const clientConfig = awsStsClientConfig(endpoint, proxy);
  const chain = defaultProvider({ clientConfig });
  return async () => {
    try {
      return await chain();
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      const message = error instanceof Error ? error.message : String(error);
      throw new CredentialsError(
        `AWS credentials from the default chain with STS endpoint ${clientConfig.endpoint} failed: ${name}: ${message}`,
        { cause: error },
      );
    }
  };
}
