import { apiRuleBegin, checkApiRule } from './api-rule.ts';
import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'api-errors',
  summary: 'the API server answers `errorCode` (429, 500, 503, 504) with probability `rate`, for `verbs`/`resources`, until durationSeconds',
  fields: ['rate', 'errorCode', 'verbs', 'resources'],
  check(d, bad) {
    if (typeof d.rate !== 'number' || !(d.rate >= 0 && d.rate <= 1)) bad('rate', d.rate, 'a probability from 0 to 1');
    if (![429, 500, 503, 504].includes(d.errorCode as number)) bad('errorCode', d.errorCode, 'one of 429, 500, 503, 504');
    checkApiRule(d, bad);
  },
  embedded: (env, f, rec) => apiRuleBegin(env, f, rec, { errorCode: f.errorCode, errorRate: f.rate }, (which) => `${f.errorCode} at rate ${f.rate}, ${which}`),
  onKind: { none: 'a real API server has no error seam (it would need a proxy in front of it)' },
});
