import { DATA_UPLOAD_GROUP, DATA_UPLOAD_LABEL, DATA_UPLOAD_PLURAL } from '../../../controller/api/dataupload.ts';
import { resourceInfo } from '../../sim/context.ts';
import { apiPodKill, choosePods } from '../api-actions.ts';
import { DATA_UPLOAD_PHASES, defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'pod-kill',
  summary: 'deletes `count` data-mover pods chosen from the seed (with `dataUploadPhase`, only pods whose DataUpload is in that phase), with `gracePeriodSeconds` (default 0, as Chaos Mesh pod-kill)',
  instant: true,
  fields: ['count', 'gracePeriodSeconds', 'dataUploadPhase'],
  check(d, bad, nonNegative) {
    if (d.count !== undefined) {
      nonNegative('count', d.count, true);
      if ((d.count as number) < 1) bad('count', d.count, 'a whole number >= 1');
    }
    if (d.gracePeriodSeconds !== undefined) nonNegative('gracePeriodSeconds', d.gracePeriodSeconds, true);
    if (d.dataUploadPhase !== undefined && !DATA_UPLOAD_PHASES.includes(d.dataUploadPhase as string)) bad('dataUploadPhase', d.dataUploadPhase, `one of ${DATA_UPLOAD_PHASES.join(', ')}`);
  },
  embedded(env, f, rec) {
    const pods = resourceInfo(env.api, '', 'v1', 'pods');
    const dus = resourceInfo(env.api, DATA_UPLOAD_GROUP, 'v2alpha1', DATA_UPLOAD_PLURAL);
    const phases = new Map(env.api.list(dus, env.namespace).items.map((s) => [s.obj.metadata.name!, (s.obj as { status?: { phase?: string } }).status?.phase || 'New']));
    const live = env.api
      .list(pods, env.namespace, { labelSelector: DATA_UPLOAD_LABEL })
      .items.filter((s) => !s.obj.metadata.deletionTimestamp)
      .map((s) => ({ name: s.obj.metadata.name!, du: s.obj.metadata.labels![DATA_UPLOAD_LABEL] }))
      .filter((p) => f.dataUploadPhase === undefined || phases.get(p.du) === f.dataUploadPhase)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const killed = choosePods(f, live, env.random);
    const grace = f.gracePeriodSeconds ?? 0;
    for (const p of killed) env.api.delete(pods, env.namespace, p.name, { gracePeriodSeconds: grace });
    const which = f.dataUploadPhase ? ` of DataUploads ${f.dataUploadPhase}` : '';
    rec.detail = killed.length ? `deleted ${killed.map((p) => p.name).join(', ')}${which} (grace ${grace} s)` : `no data-mover pod${which} to delete`;
    rec.dataUploads = killed.map((p) => p.du);
    rec.endedAt = rec.startedAt!;
  },
  onKind: {
    does: "data-mover pods chosen from the seed are deleted, with the fault's grace period",
    start: (f) => [
      `kubectl -n velero get pods -l velero.io/data-upload -o name   # ${f.count ?? 1} of them, chosen from the seed, then:`,
      (f.gracePeriodSeconds ?? 0) === 0 ? 'kubectl -n velero delete <pod> --grace-period=0 --force' : `kubectl -n velero delete <pod> --grace-period=${f.gracePeriodSeconds}`,
    ],
  },
  api: apiPodKill,
  kindByApi: true,
});
