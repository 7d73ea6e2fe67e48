// Velero issue #8316, "DataUploads fail in DataMover count constrained environments with
// timeouts": 10 PVCs of ~20 GB (one volume cloned 9 times), loadConcurrency 1, data movers
// pinned to one node by loadAffinity, podResources {} (BestEffort pods). Velero created every
// data-mover pod at once; each waited in its pod for the node's one slot; in the reporter's
// distribution the pod gives up waiting for InProgress after a deadline ("error waiting for du:
// context deadline exceeded"), and three of ten DataUploads failed. Upstream has no such
// deadline: there the pods only wait, holding memory. The proposal creates each pod only when
// its slot is free, so no pod waits for a slot at all.
//
// Run as two variants, side by side: the report's setup with a pod deadline, and upstream's
// without one; and deploying alone without prepareQueueLength (it otherwise runs with
// velero-1.17's ConfigMap), to show the phase by itself. The report does not give the deadline; 10 minutes is shorter than the 30 minutes
// the last of ten 20 GiB uploads waits at 100 MiB/s. velero-1.17 and deploying run with prepareQueueLength
// 2, Velero's own mitigation as a user would set it here (unset, 1.17 behaves as 1.16).
import { completionGates, defineScenario, type ExplainInput } from '../harness/scenario/scenario.ts';

export default defineScenario({
  name: 'issue-8316',
  summary: 'Velero #8316: 10 x 20 GiB, concurrency 1, BestEffort movers pinned to one node; with and without a pod deadline',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: [
    { name: 'pvcs', type: 'int', default: 10, min: 1, max: 5000, description: 'PVCs in the backup (the report: 10)' },
    { name: 'size-gib', type: 'number', default: 20, min: 0.001, max: 10_000, description: 'size of each PVC, GiB (the report: ~20 GB)' },
    { name: 'pod-in-progress-timeout', type: 'string', default: '10m', description: 'the data-mover pod’s deadline for InProgress, a Go duration, or "none"; set, it replaces the two variants' },
    { name: 'cpu-request', type: 'string', default: '0', description: 'data-mover pod CPU request ("0": none; the report: podResources {}, BestEffort)' },
    { name: 'memory-request', type: 'string', default: '0', description: 'data-mover pod memory request ("0": none)' },
    { name: 'prepare-queue-length', type: 'int', default: 2, min: 0, max: 10_000, description: 'loadConcurrency.prepareQueueLength of velero-1.17 and deploying (0: off, as 1.16)' },
  ],
  variants: [
    { name: 'pod deadline 10m', params: { 'pod-in-progress-timeout': '10m' } },
    { name: 'no pod deadline', params: { 'pod-in-progress-timeout': 'none' } },
    // deploying runs with velero-1.17's prepareQueueLength; this shows the phase alone.
    { name: 'no pod deadline, no prepare queue', params: { 'pod-in-progress-timeout': 'none', 'prepare-queue-length': 0 }, flows: ['deploying', 'pipelined'] },
  ],
  build(p) {
    const deadline = p['pod-in-progress-timeout'] === 'none' ? undefined : String(p['pod-in-progress-timeout']);
    return {
      nodes: [{ count: 3, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }],
      pvcs: Array.from({ length: Number(p.pvcs) }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: `${Math.round(Number(p['size-gib']) * 1024)}Mi` })),
      nodeAgentConfig: (flow) => ({
        loadConcurrency: { globalConfig: 1, ...(flow !== 'velero-1.16' && Number(p['prepare-queue-length']) > 0 ? { prepareQueueLength: Number(p['prepare-queue-length']) } : {}) },
        loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }],
        podResources: { cpuRequest: String(p['cpu-request']), cpuLimit: '0', memoryRequest: String(p['memory-request']), memoryLimit: '0' },
        datamoverBench: deadline ? { podInProgressTimeout: deadline } : {},
      }),
      deadlineSeconds: 8 * 3600,
    };
  },
  // npm run gate: the report's finding must stay visible, and deploying must stay clear of it.
  gate: {
    gates: [
      { figure: 'timeouts', flow: 'velero-1.16 / pod deadline 10m', op: '>=', value: 1 },
      { figure: 'timeouts', flow: 'deploying / pod deadline 10m', op: '==', value: 0 },
      { figure: 'timeouts', flow: 'deploying / no pod deadline', op: '==', value: 0 },
      { figure: 'peakDataMoverPods', flow: 'deploying / no pod deadline', op: '<=', value: 1 },
      { figure: 'idleResidentMemoryGiBSeconds', flow: 'velero-1.16 / no pod deadline', op: '>=', baseline: { tolerance: 0.1 } },
      ...completionGates('deploying / pod deadline 10m', { all: true }),
      ...completionGates('deploying / no pod deadline', { all: true }),
      ...completionGates('deploying / no pod deadline, no prepare queue', { all: true }),
      { figure: 'peakDataMoverPods', flow: 'deploying / no pod deadline, no prepare queue', op: '<=', value: 1 },
      // pipelined: never a timeout, every DataUpload, one pod per slot plus one made ahead.
      ...['pod deadline 10m', 'no pod deadline', 'no pod deadline, no prepare queue'].flatMap((v) => [
        { figure: 'timeouts', flow: `pipelined / ${v}`, op: '==' as const, value: 0 },
        { figure: 'peakDataMoverPods', flow: `pipelined / ${v}`, op: '<=' as const, value: 2 },
        ...completionGates(`pipelined / ${v}`, { all: true }),
      ]),
      ...['velero-1.16', 'velero-1.17'].flatMap((flow) => ['pod deadline 10m', 'no pod deadline'].flatMap((v) => completionGates(`${flow} / ${v}`))),
    ],
  },
  explain(results) {
    const lines = ['What this shows (Velero #8316):'];
    for (const r of results) lines.push(`  ${r.flow}${r.variant ? ` (${r.variant})` : ''}: ${reading(r)}`);
    const failedWithDeadline = results.some((r) => r.flow === 'velero-1.16' && r.variant === 'pod deadline 10m' && r.timeouts > 0);
    const cleanWithout = results.filter((r) => r.variant === 'no pod deadline').every((r) => r.timeouts === 0);
    const deployingClean = results.filter((r) => r.flow === 'deploying').every((r) => r.timeouts === 0);
    if (failedWithDeadline && cleanWithout && deployingClean) {
      lines.push(
        '  As reported: with a pod deadline, velero-1.16, which creates every pod up front, times out:',
        '  its pods wait for the one slot longer than the deadline. Without a deadline it does not, but',
        '  the waiting pods hold memory for the whole backup. velero-1.17 bounds how many pods wait',
        '  (prepareQueueLength); it avoids the timeouts only while that queue drains within the deadline.',
        '  deploying creates a pod only when its slot is free: no pod waits, none times out.',
      );
    }
    return lines;
  },
});

function reading(r: ExplainInput): string {
  const held = `waiting pods held ${Math.round(r.idleResidentMemoryGiBSeconds)} GiB-s of memory, ${Math.round(r.idleCpuCoreSeconds)} core-s of requests; at most ${r.peakDataMoverPods} pod${r.peakDataMoverPods === 1 ? '' : 's'} at once`;
  if (r.timeouts === 0) return `no timeouts, ${r.completed} of ${r.dataUploads} completed; ${held}.`;
  const reasons = Object.entries(r.outcomesByReason).map(([k, v]) => `${v} ${k}`).join(', ');
  return `${r.timeouts} of ${r.dataUploads} DataUploads timed out (${reasons}): their pods gave up waiting for the slot; ${held}.`;
}
