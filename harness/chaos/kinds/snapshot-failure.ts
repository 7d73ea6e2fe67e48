import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'snapshot-failure',
  summary: 'CSI snapshots fail with probability `rate`, until durationSeconds',
  fields: ['rate'],
  check(d, bad) {
    if (typeof d.rate !== 'number' || !(d.rate >= 0 && d.rate <= 1)) bad('rate', d.rate, 'a probability from 0 to 1');
  },
  // The simulated CSI snapshotter's failure rate (harness/sim/csi.ts).
  embedded(env, f, rec) {
    const csi = env.sim.ctx.behaviour.csi;
    const before = csi.snapshotFailureRate;
    csi.snapshotFailureRate = f.rate!;
    rec.detail = `snapshots fail with probability ${f.rate}`;
    return () => (csi.snapshotFailureRate = before);
  },
  onKind: { none: 'csi-driver-host-path cannot be told to fail snapshots' },
});
