// Which flow's ConfigMap the terminal prints, and what the report says around it.
import { describe, expect, it } from 'vitest';
import type { FlowName } from '../../controller/flows/types.ts';
import { adviceText, printedFlow, type Advice } from './advice.ts';
import type { Choice, FlowAdvice } from './search.ts';

const choice = (setting: Record<string, number | string>): Choice => ({
  setting,
  stage: 'grid',
  seeds: [1, 2, 3],
  summary: { meets: true, makespanSeconds: 9000, lost: 0, idleCpuCoreSeconds: 800, idleMemoryGiBSeconds: 800, idlePendingCpuCoreSeconds: 0, completed: 240, dataUploads: 240 },
  makespanRange: [8800, 9000],
});

function flow(name: FlowName, o: Partial<FlowAdvice>): FlowAdvice {
  return {
    flow: name,
    applied: { configMap: `# ${name}'s ConfigMap\n`, prepareTimeout: '30m', itemOperationTimeout: '4h', requests: { cpu: '1', memory: '1Gi' } },
    notApplicable: [],
    counts: { settings: 6, run: 4, pruned: 2, runs: 6 },
    requestsNote: 'requests kept as yours',
    ...o,
  };
}

const meets = (name: FlowName) => flow(name, { recommended: choice({ concurrency: 3 }) });
const late = (name: FlowName) => flow(name, { limit: { kind: 'overhead', text: 'late' }, closest: { ...choice({ concurrency: 3 }), summary: { ...choice({}).summary, meets: false } } });
const pruned = (name: FlowName) => flow(name, { limit: { kind: 'bandwidth', text: 'even with unlimited slots ...' } });

describe('the ConfigMap printed', () => {
  it.each([
    ['velero-1.17 meets', [meets('velero-1.16'), meets('velero-1.17'), meets('deploying')], 'velero-1.17', /^velero-1\.17, what Velero ships/],
    ['only velero-1.16 of the shipped flows meets', [meets('velero-1.16'), late('velero-1.17'), meets('deploying')], 'velero-1.16', /^velero-1\.16, Velero before v1\.17 .*velero-1\.17 does not meet the window here$/],
    ['only a proposal meets', [late('velero-1.16'), late('velero-1.17'), meets('pipelined')], 'pipelined', /^pipelined, which Velero does not ship \(docs\/proposal\.md\): velero-1\.17 and velero-1\.16 meet no setting here$/],
    ['none meets: velero-1.17\'s closest, said so', [late('velero-1.16'), late('velero-1.17'), late('deploying')], 'velero-1.17', /^velero-1\.17's closest setting: it does NOT end every DataUpload inside the window$/],
    ['none meets, velero-1.17 all pruned: the closest that ran', [pruned('velero-1.17'), late('deploying')], 'deploying', /closest setting: it does NOT/],
  ])('%s: %s', (_, advice, expected, heading) => {
    const p = printedFlow(advice as FlowAdvice[]);
    expect(p?.flow).toBe(expected);
    expect(p?.heading).toMatch(heading);
  });

  it('every setting pruned: no ConfigMap, and the text says why', () => {
    const advice = [pruned('velero-1.17'), pruned('deploying')];
    expect(printedFlow(advice)).toBeNull();
    const a = { settings: ['concurrency'], parameters: { concurrency: 2 }, start: { concurrency: 2 }, candidates: [], seeds: [1], windowSeconds: 3600, advice, printed: null } as unknown as Advice;
    const text = adviceText(a);
    expect(text).toContain('velero-1.17  none meets the window: bandwidth: even with unlimited slots ...');
    expect(text).toContain('No ConfigMap is printed: every setting was ruled out by its lower bound before running');
    expect(text).not.toContain('kubectl apply');
  });
});
