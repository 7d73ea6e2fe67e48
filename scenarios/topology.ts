// topology: the large-pvc workload, smaller (60 PVCs), where a volume can be attached only in
// its zone (zonal: cloud block storage, nodes over three zones) or only on its node
// (node-local: csi-driver-host-path, local volumes), with each binding mode. The backup volume
// restored from a snapshot lives where the provisioner puts it (harness/sim/csi.ts: Immediate
// binding draws a zone, or takes the snapshot's node; WaitForFirstConsumer uses the pod's node,
// and node-local can restore only on the snapshot's node), and kube-scheduler places a pod only
// where its bound volume can attach ("node(s) had volume node affinity conflict").
// What the flows do: Velero creates the data-mover pod with loadAffinity and lets the scheduler
// follow the volume (and, for WaitForFirstConsumer, adds the source PV's node affinity:
// v1.18 GetVolumeTopology); a volume that only a node outside loadAffinity can reach leaves the
// pod Pending until the prepare timeout. deploying claims on any node with a free slot and pins
// the pod there: where the volume cannot attach, the pod stays Pending, holding the slot, until
// the deploy timeout (as seen on kind with csi-driver-host-path). With WaitForFirstConsumer the
// backup volume would follow deploying's pod, but Velero adds the source volume's topology to
// the pod's affinity (GetVolumeTopology), which the pinned node may not satisfy either.
import { backupWorkload, withDefaults } from '../harness/scenario/backup-workload.ts';
import { completionGates, defineScenario, type ExplainInput } from '../harness/scenario/scenario.ts';

export default defineScenario({
  name: 'topology',
  summary: '60 PVCs whose volumes attach only in their zone or on their node, with each binding mode; every flow',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: withDefaults({ pvcs: 60, namespaces: 6, 'storage-topology': 'zonal' }),
  variants: [
    { name: 'zonal', params: { 'storage-topology': 'zonal', 'binding-mode': 'Immediate' } },
    { name: 'zonal, WaitForFirstConsumer', params: { 'storage-topology': 'zonal', 'binding-mode': 'WaitForFirstConsumer' } },
    { name: 'node-local', params: { 'storage-topology': 'node-local', 'binding-mode': 'Immediate' } },
    { name: 'node-local, WaitForFirstConsumer', params: { 'storage-topology': 'node-local', 'binding-mode': 'WaitForFirstConsumer' } },
  ],
  build: backupWorkload,
  // npm run gate: 30 PVCs. Velero's scheduler-placed pods must keep following zonal volumes; the
  // proposal's pinned claim must keep showing what it costs where volumes cannot follow it.
  gate: {
    params: { pvcs: 30, namespaces: 6 },
    gates: [
      ...completionGates('velero-1.17 / zonal', { all: true }),
      ...completionGates('velero-1.17 / zonal, WaitForFirstConsumer', { all: true }),
      { figure: 'timeouts', flow: 'deploying / zonal', op: '>=', value: 1 },
      // pipelined claims only where the volume attaches: every zonal one completes; node-local,
      // those no data-mover node can reach fail at once by name, none times out.
      ...completionGates('pipelined / zonal', { all: true }),
      ...completionGates('pipelined / zonal, WaitForFirstConsumer', { all: true }),
      ...completionGates('pipelined / node-local'),
      { figure: 'timeouts', flow: 'pipelined / node-local', op: '==', value: 0 },
      { figure: 'timeouts', flow: 'velero-1.17 / node-local', op: '>=', value: 1 },
    ],
  },
  explain(results) {
    const lines = ['Where the backup volumes could attach:'];
    for (const r of results) lines.push(`  ${r.flow} (${r.variant}): ${reading(r)}`);
    return lines;
  },
});

function reading(r: ExplainInput): string {
  const reasons = Object.entries(r.outcomesByReason).map(([k, v]) => `${v} ${k}`).join(', ');
  if (!reasons) return `${r.completed} of ${r.dataUploads} completed.`;
  return `${r.completed} of ${r.dataUploads} completed; ${reasons}: their data-mover pod could not run where its volume was.`;
}
