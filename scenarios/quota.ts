// quota: the large-pvc workload with a ResourceQuota on Velero's namespace, as a platform team
// sets one to keep backups from taking over a shared cluster (velero-io/velero #8344: idle
// data-mover pods hold quota). The default quota is sized for the data paths with headroom:
// 3 backup nodes x 2 slots = 6 data paths of 1 CPU / 1 GiB, so 10 pods, 10 CPU and 20 GiB of
// requests, 20 backup PVCs and 1 TiB of backup volumes. The embedded cluster's ResourceQuota
// admission refuses a create over it with 403 "exceeded quota: ..." (harness/apiserver/quota.ts).
// What each flow does then, from Velero's source (docs/design.md 2.3-2.5):
// - velero-1.16 and velero-1.17: Expose fails, errorOut cleans up and the DataUpload is Failed
//   (reason quota-exceeded); nothing retries it. velero-1.16 exposes every DataUpload at once;
//   velero-1.17 at most prepareQueueLength (8) besides the running ones, so up to 14 pods.
// - deploying: a refused backup PVC fails the same way (the proposal keeps Expose); a refused
//   data-mover pod returns the claim (slot freed, Prepared again) and is retried 5 s later.
// Two variants: the quota as sized above, and one below the slots (4 pods / 4 CPU / 8 GiB), where
// only a flow that treats the quota as a limit rather than a failure completes the backup.
// Velero's own pods (server, node-agents) are not in the embedded cluster (no DaemonSet
// controller runs): the quota here is the data movers' share of the namespace's.
import { BACKUP_WORKLOAD_PARAMS, backupWorkload } from '../harness/scenario/backup-workload.ts';
import { completionGates, defineScenario, ParamError, type ExplainInput } from '../harness/scenario/scenario.ts';
import { parseCount, parseNanos, QuantityError } from '../controller/quantity.ts';

const QUOTA_NAME = 'velero-data-movers';

/** The quota's limits, by parameter and the resource each sets. */
const QUOTA_PARAMS = [
  { name: 'quota-pods', resource: 'pods', default: '10', description: 'the quota’s pods', count: true },
  { name: 'quota-cpu', resource: 'requests.cpu', default: '10', description: 'the quota’s requests.cpu', count: false },
  { name: 'quota-memory', resource: 'requests.memory', default: '20Gi', description: 'the quota’s requests.memory', count: false },
  { name: 'quota-pvcs', resource: 'persistentvolumeclaims', default: '20', description: 'the quota’s persistentvolumeclaims', count: true },
  { name: 'quota-storage', resource: 'requests.storage', default: '1Ti', description: 'the quota’s requests.storage', count: false },
] as const;

export default defineScenario({
  name: 'quota',
  summary: 'large-pvc with a ResourceQuota on Velero’s namespace (sized for the data paths, and below them); every flow',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: [
    ...BACKUP_WORKLOAD_PARAMS,
    ...QUOTA_PARAMS.map((q) => ({ name: q.name, type: 'string' as const, default: q.default, description: `${q.description} ("none": not limited)` })),
  ],
  variants: [
    { name: 'sized for the data paths', params: {} },
    { name: 'below the slots', params: { 'quota-pods': '4', 'quota-cpu': '4', 'quota-memory': '8Gi' } },
  ],
  build(p, seed) {
    const hard: Record<string, string> = {};
    for (const q of QUOTA_PARAMS) {
      const v = String(p[q.name]);
      if (v === 'none') continue;
      try {
        const negative = q.count ? parseCount(v, `--${q.name}`) < 0 : parseNanos(v, `--${q.name}`) < 0n;
        if (negative) throw new QuantityError(`--${q.name}: ${JSON.stringify(v)} is not accepted: a ${q.count ? 'whole number' : 'quantity'} of 0 or more`);
      } catch (e) {
        if (e instanceof QuantityError) throw new ParamError(`${e.message} (or "none")`);
        throw e;
      }
      hard[q.resource] = v;
    }
    return { ...backupWorkload(p, seed), resourceQuotas: Object.keys(hard).length ? [{ name: QUOTA_NAME, hard }] : [] };
  },
  // npm run gate: 60 PVCs. The refusals must stay visible for the velero flows below the slots,
  // and deploying must complete everything in both variants.
  gate: {
    params: { pvcs: 60, namespaces: 6 },
    gates: [
      ...completionGates('deploying / sized for the data paths', { all: true }),
      ...completionGates('deploying / below the slots', { all: true }),
      { figure: 'peakDataMoverPods', flow: 'deploying / below the slots', op: '<=', value: 4 },
      ...completionGates('pipelined / sized for the data paths', { all: true }),
      ...completionGates('pipelined / below the slots'),
      { figure: 'peakDataMoverPods', flow: 'pipelined / below the slots', op: '<=', value: 4 },
      { figure: 'failed', flow: 'velero-1.16 / below the slots', op: '>=', value: 1 },
      { figure: 'failed', flow: 'velero-1.17 / below the slots', op: '>=', value: 1 },
      ...['velero-1.16', 'velero-1.17'].flatMap((flow) => ['sized for the data paths', 'below the slots'].flatMap((v) => completionGates(`${flow} / ${v}`))),
    ],
  },
  explain(results) {
    const lines = ['What the quota did:'];
    for (const r of results) lines.push(`  ${r.flow}${r.variant ? ` (${r.variant})` : ''}: ${reading(r)}`);
    return lines;
  },
});

function reading(r: ExplainInput): string {
  const refused = r.outcomesByReason['quota-exceeded'] ?? 0;
  const others = Object.entries(r.outcomesByReason).filter(([k]) => k !== 'quota-exceeded').map(([k, v]) => `${v} ${k}`);
  const rest = others.length ? `; also ${others.join(', ')}` : '';
  if (refused === 0) {
    const returned = r.claimsReturned ? `; the quota refused ${r.claimsReturned} pod${r.claimsReturned === 1 ? '' : 's'}, each claim given back and retried` : '; nothing refused by the quota';
    return `${r.completed} of ${r.dataUploads} completed${returned}${rest}; at most ${r.peakDataMoverPods} data-mover pods at once.`;
  }
  return `${refused} of ${r.dataUploads} DataUploads failed because the quota refused their backup PVC or pod (quota-exceeded), ${r.completed} completed${rest}.`;
}
