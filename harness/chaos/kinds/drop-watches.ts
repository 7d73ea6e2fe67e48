import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'drop-watches',
  summary: 'the API server closes every open watch (of `resource`, or all); clients re-list',
  instant: true,
  fields: ['resource'],
  embedded(env, f, rec) {
    const n = env.server.dropWatches(f.resource);
    rec.detail = `closed ${n} watch${n === 1 ? '' : 'es'}${f.resource ? ` of ${f.resource}` : ''}`;
    rec.endedAt = rec.startedAt!;
  },
  onKind: { none: 'a real API server cannot be told to close watches' },
});
