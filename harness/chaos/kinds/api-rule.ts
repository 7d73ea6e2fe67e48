// What api-latency and api-errors share: a rule on the embedded API server's fault seam
// (harness/apiserver/faults.ts) for some verbs and resources.
import type { Fault } from '../faults.ts';
import type { FaultRecord } from '../injector.ts';
import type { Bad, ChaosEnv } from './types.ts';

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

export function checkApiRule(d: Record<string, unknown>, bad: Bad): void {
  for (const f of ['verbs', 'resources'] as const) {
    if (d[f] !== undefined && (!Array.isArray(d[f]) || !(d[f] as unknown[]).every((x) => typeof x === 'string' && x))) bad(f, d[f], 'a list of names');
  }
  for (const v of (d.verbs as string[] | undefined) ?? []) if (!VERBS.includes(v)) bad('verbs', d.verbs, `verbs of ${VERBS.join(', ')}`);
}

export function apiRuleBegin(
  env: ChaosEnv,
  f: Fault,
  rec: FaultRecord,
  rule: { latencyMs?: number; jitterMs?: number; errorCode?: 429 | 500 | 503 | 504; errorRate?: number },
  detail: (which: string) => string,
): () => void {
  const id = env.server.faults.addRule({ verbs: f.verbs, resources: f.resources, ...rule });
  rec.detail = detail(`${f.verbs?.join('/') ?? 'all verbs'} on ${f.resources?.join(', ') ?? 'all resources'}`);
  return () => env.server.faults.removeRule(id);
}
