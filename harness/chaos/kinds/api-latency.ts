import { apiRuleBegin, checkApiRule } from './api-rule.ts';
import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'api-latency',
  summary: 'the API server answers `latencyMs` (+ up to `jitterMs`) later, for `verbs`/`resources` (default all), until durationSeconds',
  fields: ['latencyMs', 'jitterMs', 'verbs', 'resources'],
  check(d, bad, nonNegative) {
    nonNegative('latencyMs', d.latencyMs);
    if (d.jitterMs !== undefined) nonNegative('jitterMs', d.jitterMs);
    checkApiRule(d, bad);
  },
  embedded: (env, f, rec) =>
    apiRuleBegin(env, f, rec, { latencyMs: f.latencyMs, jitterMs: f.jitterMs }, (which) => `+${f.latencyMs} ms${f.jitterMs ? ` (+0-${f.jitterMs})` : ''}, ${which}`),
  onKind: { none: 'a real API server has no latency seam (it would need a proxy in front of it)' },
});
