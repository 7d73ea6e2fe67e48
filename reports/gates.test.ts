import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FLOWS } from '../controller/flows/index.ts';
import { runGates } from '../harness/cli/gate.ts';
import { RESULTS_SCHEMA, type FlowResult, type Results } from '../harness/scenario/results.ts';
import largePvc from '../scenarios/large-pvc.ts';
import { evaluateGates, junitXml, readBaseline, type Baseline } from './gates.ts';

const flow = (name: string, figures: object, steady = true) =>
  ({ flow: name, figures: { timeouts: 0, idleCpuCoreSeconds: 100, latencySeconds: { p95: 50 }, ...figures }, steadyState: [{ name: 'all-terminal', ok: steady, detail: '' }] }) as unknown as FlowResult;
const results = { schema: RESULTS_SCHEMA, scenario: 's', seed: 1, flows: [flow('deploying', { idleCpuCoreSeconds: 120 }), flow('velero-1.16', { timeouts: 3 }, false)] } as unknown as Results;
const baseline = { figures: { deploying: { idleCpuCoreSeconds: 100 } } } as unknown as Baseline;

describe('gates', () => {
  it('absolute limits and baselines with a tolerance, each line naming the figure, value, limit and baseline', () => {
    const r = evaluateGates(
      results,
      [
        { figure: 'idleCpuCoreSeconds', flow: 'deploying', op: '<=', baseline: { tolerance: 0.1 } },
        { figure: 'idleCpuCoreSeconds', flow: 'deploying', op: '<=', baseline: { tolerance: 0.25 } },
        { figure: 'timeouts', flow: 'velero-1.16', op: '<=', value: 5 },
        { figure: 'latencySeconds.p95', flow: 'deploying', op: '<', value: 50 },
        { figure: 'steadyStateFailures', flow: 'velero-1.16', op: '==', value: 0 },
        { figure: 'makespanSeconds', flow: 'deploying', op: '<=', baseline: { tolerance: 0.1 } },
        { figure: 'timeouts', flow: 'velero-1.17', op: '==', value: 0 },
      ],
      baseline,
    );
    expect(r.map((x) => x.line)).toEqual([
      'FAIL s: deploying idleCpuCoreSeconds = 120, limit <= 110 (baseline 100, tolerance 10%)',
      'pass s: deploying idleCpuCoreSeconds = 120, limit <= 125 (baseline 100, tolerance 25%)',
      'pass s: velero-1.16 timeouts = 3, limit <= 5',
      'FAIL s: deploying latencySeconds.p95 = 50, limit < 50',
      'FAIL s: velero-1.16 steadyStateFailures = 1, limit == 0',
      'FAIL s: deploying makespanSeconds: no such figure or flow in the results',
      'FAIL s: velero-1.17 timeouts: no such figure or flow in the results',
    ]);
    // Against another flow's figure in the same run.
    const cross = evaluateGates(results, [
      { figure: 'idleCpuCoreSeconds', flow: 'velero-1.16', op: '<=', value: { figure: 'idleCpuCoreSeconds', flow: 'deploying' } },
      { figure: 'timeouts', flow: 'deploying', op: '<=', value: { figure: 'timeouts', flow: 'velero-1.16' } },
      { figure: 'timeouts', flow: 'deploying', op: '<=', value: { figure: 'timeouts', flow: 'velero-1.17' } },
    ]);
    expect(cross.map((x) => x.line)).toEqual([
      'pass s: velero-1.16 idleCpuCoreSeconds = 100, limit <= 120 (deploying idleCpuCoreSeconds)',
      'pass s: deploying timeouts = 0, limit <= 3 (velero-1.16 timeouts)',
      'FAIL s: deploying timeouts: no figure velero-1.17 timeouts to compare with',
    ]);
    const xml = junitXml([{ scenario: 's', results: r, seconds: 1.5 }]);
    expect(xml).toMatch(/<testsuites name="datamover-bench gates" tests="7" failures="5">/);
    expect(xml).toContain('<failure message="FAIL s: deploying idleCpuCoreSeconds = 120, limit &lt;= 110 (baseline 100, tolerance 10%)"/>');
  });
});

describe('gates that catch failures', () => {
  const committed = readBaseline(path.resolve(import.meta.dirname, 'baselines', 'large-pvc.json'))!;
  // A results file that is the committed baseline figure for figure, every flow's 60 DataUploads.
  const asBaseline = (over: Record<string, Record<string, number>> = {}, parameters = committed.parameters): Results =>
    ({
      schema: RESULTS_SCHEMA,
      scenario: 'large-pvc',
      seed: 1,
      parameters,
      flows: Object.entries(committed.figures).map(([name, figures]) => ({
        flow: name,
        figures: { dataUploads: 60, ...figures, ...over[name] },
        steadyState: [{ name: 'all-terminal', ok: true, detail: '' }],
      })),
    }) as unknown as Results;

  it('the baseline itself passes every large-pvc gate', () => {
    expect(evaluateGates(asBaseline(), largePvc.gate!.gates, committed).filter((g) => !g.ok).map((g) => g.line)).toEqual([]);
  });

  it('deploying failing 30 of 60 DataUploads (pod-failed), with less idle and a shorter makespan, FAILS', () => {
    const r = asBaseline({ deploying: { completed: 30, failed: 30, idleCpuCoreSeconds: 100, makespanSeconds: 1400 } });
    const failed = evaluateGates(r, largePvc.gate!.gates, committed).filter((g) => !g.ok).map((g) => g.line);
    expect(failed).toEqual([
      'FAIL large-pvc: deploying completed = 30, limit == 60 (dataUploads)',
      'FAIL large-pvc: deploying failed = 30, limit <= 0 (baseline 0, tolerance 0%)',
    ]);
  });

  it('a baseline made with other parameters is refused, naming both values', () => {
    const r = asBaseline({}, { ...committed.parameters, pvcs: 61 });
    const lines = evaluateGates(r, largePvc.gate!.gates, committed).filter((g) => g.gate.baseline).map((g) => g.line);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^FAIL large-pvc: .*: the baseline was made with other parameters \(pvcs: baseline 60, this run 61\)/);
  });
});

describe('npm run gate on large-pvc', () => {
  const original = FLOWS.deploying;
  afterEach(() => {
    FLOWS.deploying = original;
  });

  it('the committed baseline passes', async () => {
    const r = await runGates({ update: false, only: ['large-pvc'], log: () => {} });
    expect(r.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(r.ok).toBe(true);
    expect(readFileSync(path.resolve(import.meta.dirname, 'out/gate/junit.xml'), 'utf8')).toMatch(/failures="0"/);
  }, 120_000);

  it('a controller change that creates data-mover pods before a slot is free fails, naming the figure', async () => {
    // The change: deploying's node-agents create the pod at accept, as velero-1.16 does.
    FLOWS.deploying = FLOWS['velero-1.16'];
    const r = await runGates({ update: false, jobs: 1, only: ['large-pvc'], log: () => {} });
    expect(r.ok).toBe(false);
    expect(r.lines).toContainEqual(expect.stringMatching(/^FAIL large-pvc: deploying idleCpuCoreSeconds = [\d,.]+, limit <= 232\.263 \(baseline 202\.057, tolerance 10% \+ 10\)$/));
    expect(r.lines).toContainEqual(expect.stringMatching(/^FAIL large-pvc: deploying peakDataMoverPods = \d+, limit <= 6/));
  }, 180_000);
});

describe('npm run gate on a real cluster (--target)', () => {
  const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'dmb-gate-')), 'kubeconfig');
  // A context of kind's name, on a port nothing listens on: the options are checked before any run.
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: kind-datamover-bench, context: {cluster: c, user: u}}]\ncurrent-context: kind-datamover-bench\n',
  );
  const gate = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/gate.ts', ...args], { cwd: path.resolve(import.meta.dirname, '..'), encoding: 'utf8' });

  it.each([
    [['--target', 'kind', '--kubeconfig', kubeconfig, '--update-baseline'], 'gate: --update-baseline: baselines come from the embedded cluster only; drop --target'],
    [['--only', 'nope'], 'gate: --only: "nope" is not accepted: the scenarios with gates are '],
    [['--target', 'kind', '--kubeconfig', path.join(tmpdir(), 'no-such-kubeconfig')], 'gate: --target kind: ENOENT'],
    [['--time-scale', '30'], 'gate: --time-scale: only with --target kind or kubeconfig'],
  ])('refuses %j with exit 2 and a clear message', (args, message) => {
    const r = gate(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('    at ');
  });
});
