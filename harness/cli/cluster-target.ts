// The --target option and the real-cluster options that go with it, shared by `npm run scenario`
// and `npm run gate`: which cluster, and how a scenario is scaled down to run there.
import { resolve } from 'node:path';
import { KIND_IMAGE, KIND_SCALE } from '../run/targets/cluster.ts';
import { clusterKubeConfig, type ClusterTarget } from '../run/flow-run.ts';
import { CSI_STORAGE_CLASS } from '../sim/csi.ts';

export const TARGETS = ['embedded', 'kind', 'kubeconfig'] as const;
export type Target = (typeof TARGETS)[number];
/** The context kind writes for the cluster of kind/cluster.yaml. */
export const KIND_CONTEXT = 'kind-datamover-bench';

export class TargetError extends Error {}

export const CLUSTER_USAGE = `  --target T          embedded (default), kind (the cluster of npm run kind:up) or kubeconfig
                      (any cluster: KUBECONFIG or ~/.kube/config); on a real cluster the flows
                      run one after another on the wall clock, scaled down (README, Real clusters)
  --kubeconfig PATH   kind, kubeconfig: the kubeconfig file (default KUBECONFIG, ~/.kube/config)
  --context NAME      kind, kubeconfig: the context (kind default: ${KIND_CONTEXT})
  --time-scale N      kind, kubeconfig: durations divided by N (default ${KIND_SCALE.time})
  --size-scale N      kind, kubeconfig: volume sizes divided by N (default ${KIND_SCALE.size})
  --node-agents M     kind, kubeconfig: in-cluster (the DaemonSet of kind/manifests; kind's default)
                      or local (in this process; kubeconfig's default)
  --image IMAGE       kind, kubeconfig: the data-mover and fill pods' image (default ${KIND_IMAGE})
  --storage-class SC  kind, kubeconfig: the workload's StorageClass (default ${CSI_STORAGE_CLASS})`;

/** parseArgs declarations of the real-cluster options. */
export const CLUSTER_OPTIONS = {
  target: { type: 'string', default: 'embedded' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'time-scale': { type: 'string' },
  'size-scale': { type: 'string' },
  'node-agents': { type: 'string' },
  image: { type: 'string' },
  'storage-class': { type: 'string' },
} as const;

/** --time-scale or --size-scale, checked: a number from 1 to 100,000, or the default. */
export function scaleOption(values: Record<string, unknown>, opt: 'time-scale' | 'size-scale', dflt: number): number {
  const raw = values[opt];
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n >= 1 && n <= 100_000)) throw new TargetError(`--${opt}: ${JSON.stringify(raw)} is not accepted: a number from 1 to 100000`);
  return n;
}

/** The real cluster the options name; undefined for the embedded target. Checks every value and that the context exists. */
export function clusterTargetOf(target: string, values: Record<string, unknown>): ClusterTarget | undefined {
  if (!(TARGETS as readonly string[]).includes(target)) throw new TargetError(`--target: ${JSON.stringify(target)} is not accepted: one of ${TARGETS.join(', ')}`);
  const given = Object.keys(CLUSTER_OPTIONS).filter((k) => k !== 'target' && values[k] !== undefined);
  if (target === 'embedded') {
    if (given.length) throw new TargetError(`--${given[0]}: only with --target kind or kubeconfig`);
    return undefined;
  }
  const scale = (opt: 'time-scale' | 'size-scale', dflt: number) => scaleOption(values, opt, dflt);
  const nodeAgents = String(values['node-agents'] ?? (target === 'kind' ? 'in-cluster' : 'local'));
  if (nodeAgents !== 'in-cluster' && nodeAgents !== 'local') throw new TargetError(`--node-agents: ${JSON.stringify(nodeAgents)} is not accepted: in-cluster or local`);
  const context = values.context === undefined ? (target === 'kind' ? KIND_CONTEXT : undefined) : String(values.context);
  const t: ClusterTarget = {
    target: target as 'kind' | 'kubeconfig',
    ...(values.kubeconfig !== undefined ? { kubeconfig: resolve(String(values.kubeconfig)) } : {}),
    ...(context ? { context } : {}),
    scale: { time: scale('time-scale', KIND_SCALE.time), size: scale('size-scale', KIND_SCALE.size) },
    nodeAgents,
    image: values.image === undefined ? KIND_IMAGE : String(values.image),
    ...(values['storage-class'] !== undefined ? { storageClass: String(values['storage-class']) } : {}),
  };
  try {
    clusterKubeConfig(t);
  } catch (e) {
    throw new TargetError(`--target ${target}: ${(e as Error).message}`);
  }
  return t;
}
