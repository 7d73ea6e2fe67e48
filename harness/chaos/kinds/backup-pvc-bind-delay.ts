import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'backup-pvc-bind-delay',
  summary: 'a PVC made from a snapshot takes `seconds` to bind, until durationSeconds',
  fields: ['seconds'],
  check: (d, _bad, nonNegative) => nonNegative('seconds', d.seconds),
  // The simulated provisioner's time to bind a PVC from a snapshot (harness/sim/csi.ts).
  embedded(env, f, rec) {
    const csi = env.sim.ctx.behaviour.csi;
    const before = { base: csi.provisionFromSnapshotBaseSeconds, perGiB: csi.provisionFromSnapshotSecondsPerGiB };
    csi.provisionFromSnapshotBaseSeconds = { kind: 'fixed', value: f.seconds! };
    csi.provisionFromSnapshotSecondsPerGiB = 0;
    rec.detail = `PVCs from snapshots bind after ${f.seconds} s`;
    return () => {
      csi.provisionFromSnapshotBaseSeconds = before.base;
      csi.provisionFromSnapshotSecondsPerGiB = before.perGiB;
    };
  },
  onKind: { none: 'csi-driver-host-path binds at its own pace; it cannot be slowed' },
});
