// Leader election on a coordination.k8s.io Lease: only the holder reconciles; a standby takes over on expiry.
import {
  ApiException,
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from "@kubernetes/client-node";
import type { Logger } from "pino";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is valid without renewal (client-go default 15 s). */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leadership (default 10 s). */
  renewDeadlineMs: number;
  /** Pause between attempts (default 2 s). */
  retryPeriodMs: number;
  logger: Logger;
}

export interface LeaderHandle {
  /** Resolves when this process holds the lease. */
  leading: Promise<void>;
  /** Resolves when leadership is lost after having been held (the process should exit: controller-runtime does). */
  lost: Promise<void>;
  isLeader(): boolean;
  /** Stops renewing and hands the lease back so a standby takes over at once. */
  release(): Promise<void>;
}

/** Starts competing for the lease. Expiry is judged by local observation time, so clock skew does not matter. */
export function startLeaderElection(kc: KubeConfig, options: LeaderElectionOptions): LeaderHandle {
  const api = kc.makeApiClient(CoordinationV1Api);
  const { namespace, name, identity, logger } = options;
  let leader = false;
  let stopped = false;
  let observed: { holder?: string; renewTime?: string; at: number } | undefined;
  let lastRenew = 0;
  let resolveLeading!: () => void;
  let resolveLost!: () => void;
  const leading = new Promise<void>((r) => (resolveLeading = r));
  const lost = new Promise<void>((r) => (resolveLost = r));
  let timer: NodeJS.Timeout | undefined;

  const spec = (previous?: V1Lease): V1Lease["spec"] => {
    const now = new V1MicroTime(Date.now());
    const takeover = previous?.spec?.holderIdentity !== identity;
    return {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(options.leaseDurationMs / 1000),
      acquireTime: takeover ? now : previous.spec?.acquireTime,
      renewTime: now,
      leaseTransitions: (previous?.spec?.leaseTransitions ?? 0) + (takeover && previous ? 1 : 0),
    };
  };

  async function tryAcquireOrRenew(): Promise<boolean> {
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!(error instanceof ApiException) || error.code !== 404) throw error;
      await api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: spec() } });
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    const renewTime = timeText(lease.spec?.renewTime);
    if (!observed || observed.holder !== holder || observed.renewTime !== renewTime) {
      observed = { holder, renewTime, at: Date.now() };
    }
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    const heldByOther = holder !== undefined && holder !== "" && holder !== identity;
    if (heldByOther && observed.at + durationMs > Date.now()) return false;
    await api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: spec(lease) } });
    return true;
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    let ok = false;
    try {
      ok = await tryAcquireOrRenew();
    } catch (error) {
      // 409 Conflict: another candidate wrote first; anything else: retry until the renew deadline.
      if (!(error instanceof ApiException && error.code === 409)) {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "leader election: lease update failed",
        );
      }
    }
    if (ok) {
      lastRenew = Date.now();
      if (!leader) {
        leader = true;
        logger.info({ lease: `${namespace}/${name}`, identity }, "became leader");
        resolveLeading();
      }
    } else if (leader && Date.now() - lastRenew > options.renewDeadlineMs) {
      leader = false;
      stopped = true;
      logger.error({ lease: `${namespace}/${name}` }, "lost leadership");
      resolveLost();
      return;
    }
    if (!stopped) timer = setTimeout(() => void tick(), options.retryPeriodMs);
  }
  void tick();

  return {
    leading,
    lost,
    isLeader: () => leader,
    async release(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      if (!leader) return;
      leader = false;
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        if (lease.spec?.holderIdentity === identity) {
          const body: V1Lease = {
            ...lease,
            spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 },
          };
          await api.replaceNamespacedLease({ name, namespace, body });
        }
      } catch (error) {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "leader election: release failed",
        );
      }
    },
  };
}

// The client may hand back MicroTime fields as Date or as the wire string; either identifies a renewal.
function timeText(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === "string" ? value : undefined;
}
