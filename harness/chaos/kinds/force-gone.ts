import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'force-gone',
  summary: 'the API server compacts (of `resource`, or all): watches get 410 Gone and clients re-list',
  instant: true,
  fields: ['resource'],
  embedded(env, f, rec) {
    const n = env.server.forceGone(f.resource);
    rec.detail = `compacted${f.resource ? ` ${f.resource}` : ''}: ${n} watch${n === 1 ? '' : 'es'} got 410 Gone`;
    rec.endedAt = rec.startedAt!;
  },
  onKind: { none: "a real API server's compaction cannot be forced from outside" },
});
