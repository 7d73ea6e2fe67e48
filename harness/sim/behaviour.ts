// The embedded cluster's behaviour, declared as data (in the spirit of KWOK stages): every
// latency, throughput and probability the simulation uses, with a documented default. A
// scenario overrides any of them; overrides are checked and a bad one is named with its field.
import { checkDistribution, type Distribution } from './distribution.ts';

export interface ClusterBehaviour {
  scheduler: {
    /** Pending pod -> bound, when it fits. Default uniform 20-100 ms: kube-scheduler's per-pod latency on a small cluster. */
    bindSeconds: Distribution;
  };
  kubelet: {
    /** Bound pod -> Running: sandbox, volume mount, container start, with the image present (the data mover runs the node-agent's own image). Default lognormal median 3 s, sigma 0.5, 1-30 s: the Kubernetes pod-startup SLO is p99 <= 5 s without image pulls, CSI mounts add a few seconds. */
    podStartSeconds: Distribution;
    /** Running container told to stop -> exited. Default fixed 1 s. */
    containerStopSeconds: Distribution;
    /** Interval at which the kubelet renews its node Lease. Default 10 s (kubelet nodeLeaseDurationSeconds 40 / 4). */
    leaseRenewSeconds: number;
    /** Interval at which the kubelet re-posts node status when nothing changed. Default 300 s (nodeStatusReportFrequency 5m). */
    nodeStatusReportSeconds: number;
    /** Interval at which the kubelet checks eviction signals. Default 10 s (housekeeping interval). */
    evictionCheckSeconds: number;
  };
  nodeLifecycle: {
    /** No heartbeat for this long -> node NotReady / Unknown and tainted. Default 50 s (kube-controller-manager node-monitor-grace-period since 1.32). */
    nodeMonitorGraceSeconds: number;
  };
  csi: {
    /** VolumeSnapshot created -> readyToUse: base + perGiB x size. Default base uniform 2-10 s, 0.05 s/GiB: CSI snapshots are cut fast, uploaded lazily by the storage. */
    snapshotReadyBaseSeconds: Distribution;
    snapshotReadySecondsPerGiB: number;
    /** Probability that a snapshot fails (VolumeSnapshot status.error). Default 0. */
    snapshotFailureRate: number;
    /** PVC from a VolumeSnapshot -> Bound: base + perGiB x size. Default base lognormal median 8 s, 0.5 s/GiB: restoring a volume from a snapshot scales with its size on most drivers. */
    provisionFromSnapshotBaseSeconds: Distribution;
    provisionFromSnapshotSecondsPerGiB: number;
    /** Plain PVC -> Bound. Default uniform 1-5 s. */
    provisionSeconds: Distribution;
    /** A deleted claim's PV (reclaimPolicy Delete) -> gone: the driver's DeleteVolume. Default uniform 1-5 s, as provisioning. Velero's CleanUp waits for it (up to a minute). */
    volumeDeleteSeconds: Distribution;
  };
  dataPath: {
    /** How often the data-mover pod polls its DataUpload for InProgress. Velero: 500 ms. */
    pollIntervalSeconds: number;
    /** Upper bound on one data-mover pod's throughput, MiB/s. Default 100: kopia upload of a single volume to object storage. */
    perPodMiBps: number;
    /** A node's data bandwidth shared by its concurrent transfers, MiB/s. Default 250 (about 2 Gbit/s). Nodes may override it. */
    nodeMiBps: number;
    /** Throughput multiplier on a node under CPU pressure. Default 0.5. */
    cpuPressureFactor: number;
    /** Interval of Data-Path-Progress events. Default 10 s. */
    progressIntervalSeconds: number;
    /** Resident memory of a data-mover pod waiting for its turn / moving data, MiB (what a BestEffort pod really holds). Defaults 50 / 400. */
    idleResidentMiB: number;
    busyResidentMiB: number;
    /** Probability that a transfer fails midway (Data-Path-Failed, exit 1). Default 0. */
    failureRate: number;
  };
}

export const DEFAULT_BEHAVIOUR: ClusterBehaviour = {
  scheduler: { bindSeconds: { kind: 'uniform', min: 0.02, max: 0.1 } },
  kubelet: {
    podStartSeconds: { kind: 'lognormal', median: 3, sigma: 0.5, min: 1, max: 30 },
    containerStopSeconds: { kind: 'fixed', value: 1 },
    leaseRenewSeconds: 10,
    nodeStatusReportSeconds: 300,
    evictionCheckSeconds: 10,
  },
  nodeLifecycle: { nodeMonitorGraceSeconds: 50 },
  csi: {
    snapshotReadyBaseSeconds: { kind: 'uniform', min: 2, max: 10 },
    snapshotReadySecondsPerGiB: 0.05,
    snapshotFailureRate: 0,
    provisionFromSnapshotBaseSeconds: { kind: 'lognormal', median: 8, sigma: 0.4, min: 2, max: 120 },
    provisionFromSnapshotSecondsPerGiB: 0.5,
    provisionSeconds: { kind: 'uniform', min: 1, max: 5 },
    volumeDeleteSeconds: { kind: 'uniform', min: 1, max: 5 },
  },
  dataPath: {
    pollIntervalSeconds: 0.5,
    perPodMiBps: 100,
    nodeMiBps: 250,
    cpuPressureFactor: 0.5,
    progressIntervalSeconds: 10,
    idleResidentMiB: 50,
    busyResidentMiB: 400,
    failureRate: 0,
  },
};

export type BehaviourOverrides = { [K in keyof ClusterBehaviour]?: Partial<ClusterBehaviour[K]> };

export class BehaviourError extends Error {}

const isDistribution = (v: unknown) => typeof v === 'object' && v !== null && 'kind' in v;

/** Defaults with overrides applied; throws BehaviourError naming every bad field. */
export function resolveBehaviour(overrides: BehaviourOverrides = {}): ClusterBehaviour {
  const problems: string[] = [];
  const out = structuredClone(DEFAULT_BEHAVIOUR) as unknown as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries(overrides)) {
    const defaults = out[section];
    if (!defaults) {
      problems.push(`behaviour.${section}: unknown section; accepted: ${Object.keys(DEFAULT_BEHAVIOUR).join(', ')}`);
      continue;
    }
    for (const [key, value] of Object.entries(values ?? {})) {
      const field = `behaviour.${section}.${key}`;
      if (!(key in defaults)) {
        problems.push(`${field}: unknown field; accepted: ${Object.keys(defaults).join(', ')}`);
        continue;
      }
      if (isDistribution(defaults[key])) {
        problems.push(...checkDistribution(field, value));
      } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        problems.push(`${field}: ${JSON.stringify(value)} is not accepted: use a number >= 0`);
      } else if (key.endsWith('Rate') && value > 1) {
        problems.push(`${field}: ${value} is not accepted: use a probability from 0 to 1`);
      }
      defaults[key] = value;
    }
  }
  if (problems.length) throw new BehaviourError(problems.join('\n'));
  return out as unknown as ClusterBehaviour;
}
