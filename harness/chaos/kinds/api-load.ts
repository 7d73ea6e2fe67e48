import autocannon from 'autocannon';
import { DATA_UPLOAD_LABEL } from '../../../controller/api/dataupload.ts';
import { LOAD_HEADER } from '../../../controller/clock.ts';
import { defineFaultKind } from './types.ts';

const NOT_YET = "not carried out on a real cluster yet (autocannon would need the kubeconfig's credentials)";

export default defineFaultKind({
  kind: 'api-load',
  summary: 'autocannon reads `path` (default: the data-mover pods) over `connections` (default 8) for durationSeconds; its figures go in the results',
  fields: ['path', 'connections'],
  check(d, bad) {
    if (d.durationSeconds === undefined) bad('durationSeconds', d.durationSeconds, 'seconds > 0: how long the load runs');
    if (d.path !== undefined && (typeof d.path !== 'string' || !/^\/(api|apis)\//.test(d.path))) bad('path', d.path, 'an API path such as /api/v1/pods or /apis/velero.io/v2alpha1/datauploads');
    if (d.connections !== undefined && (!Number.isInteger(d.connections) || (d.connections as number) < 1 || (d.connections as number) > 256)) bad('connections', d.connections, 'a whole number from 1 to 256');
  },
  // Background load (LOAD_HEADER): served, but never holds the virtual clock, so the figures
  // do not depend on how fast the machine serves it; autocannon's own figures are wall time.
  embedded(env, f, rec, t) {
    const path = f.path ?? `/api/v1/namespaces/${env.namespace}/pods?labelSelector=${encodeURIComponent(DATA_UPLOAD_LABEL)}`;
    const connections = f.connections ?? 8;
    const wallStart = performance.now();
    let instance!: autocannon.Instance;
    const done = new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon({ url: env.server.url + path, connections, duration: 24 * 3600, headers: { [LOAD_HEADER]: '1' } }, (err, result) => (err ? reject(err) : resolve(result)));
    });
    let stopping: Promise<void> | undefined;
    // Once: from the fault's end, or at the end of the run, whichever is first.
    const stop = () =>
      (stopping ??= (async () => {
        instance.stop();
        const r = await done;
        rec.endedAt ??= t.now();
        rec.load = {
          path,
          connections,
          requests: r.requests.total,
          wallSeconds: Math.round(performance.now() - wallStart) / 1000,
          requestsPerSecond: r.requests.average,
          latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
          errors: r.errors,
          non2xx: r.non2xx,
        };
      })());
    t.onStop(stop);
    rec.detail = `autocannon: GET ${path} over ${connections} connections`;
    t.timer(f.durationSeconds! * 1000, () => {
      rec.endedAt = t.now();
      void stop();
    });
  },
  onKind: {
    does: "autocannon reads the path from the cluster's API server with the kubeconfig's credentials",
    start: (f) => [`autocannon GET <server>${f.path ?? '/api/v1/namespaces/velero/pods?labelSelector=velero.io%2Fdata-upload'} -c ${f.connections ?? 8}`],
  },
  notOnKind: NOT_YET,
  notOnKubeconfig: NOT_YET,
});
