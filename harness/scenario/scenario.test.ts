import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import issue8316 from '../../scenarios/issue-8316.ts';
import largePvc from '../../scenarios/large-pvc.ts';
import { parseParam, ParamError } from './scenario.ts';
import { RESULTS_SCHEMA, type Results } from './results.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'harness/cli/scenario.ts'), ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, CI: 'true' } });

describe('scenario parameters', () => {
  const decl = { name: 'pvcs', type: 'int' as const, default: 10, min: 1, max: 5000, description: '' };
  it('converts and checks values, naming the option, the value and what is accepted', () => {
    expect(parseParam(decl, '300')).toBe(300);
    expect(() => parseParam(decl, '0')).toThrow(new ParamError('--pvcs: "0" is not accepted: a whole number >= 1 and <= 5000'));
    expect(() => parseParam(decl, '2.5')).toThrow(/a whole number/);
    expect(() => parseParam({ ...decl, type: 'string', choices: ['a', 'b'] }, 'c')).toThrow(/one of a, b/);
  });

  it('large-pvc: the same seed builds the same workload, another seed another; sizes are heavy-tailed around the median', () => {
    const values = Object.fromEntries(largePvc.params.map((p) => [p.name, p.default]));
    const a = largePvc.build(values, 1);
    expect(largePvc.build(values, 1).pvcs).toEqual(a.pvcs);
    expect(largePvc.build(values, 2).pvcs).not.toEqual(a.pvcs);
    expect(a.pvcs).toHaveLength(240);
    expect(new Set(a.pvcs.map((p) => p.namespace)).size).toBe(12);
    const gib = a.pvcs.map((p) => parseInt(p.size, 10) / 1024).sort((x, y) => x - y);
    const median = gib[gib.length >> 1];
    expect(median).toBeGreaterThan(15);
    expect(median).toBeLessThan(25);
    expect(gib[gib.length - 1]).toBeGreaterThan(2 * median);
  });

  it('issue-8316 pins data movers to one node with one slot, and carries the pod deadline unless "none"', () => {
    const values = Object.fromEntries(issue8316.params.map((p) => [p.name, p.default]));
    const e = issue8316.build(values, 1);
    expect(e.nodeAgentConfig('velero-1.16')).toMatchObject({ loadConcurrency: { globalConfig: 1 }, datamoverBench: { podInProgressTimeout: '10m' } });
    expect(issue8316.build({ ...values, 'pod-in-progress-timeout': 'none' }, 1).nodeAgentConfig('deploying')).toMatchObject({ datamoverBench: {} });
    // The report's podResources {}: BestEffort pods.
    expect(e.nodeAgentConfig('deploying')).toMatchObject({ podResources: { cpuRequest: '0', memoryRequest: '0' } });
    expect(issue8316.variants!.map((v) => v.params['pod-in-progress-timeout'])).toEqual(['10m', 'none', 'none']);
    // The third variant is deploying's and pipelined's alone: without velero-1.17's prepareQueueLength.
    expect(issue8316.variants![2]).toMatchObject({ params: { 'prepare-queue-length': 0 }, flows: ['deploying', 'pipelined'] });
    const noQueue = issue8316.build({ ...values, ...issue8316.variants![2].params }, 1).nodeAgentConfig('deploying');
    expect(noQueue.loadConcurrency).toEqual({ globalConfig: 1 });
  });
});

describe('npm run scenario', () => {
  it('lists the scenarios, one line each', () => {
    const r = cli('--list');
    expect(r.status).toBe(0);
    const names = r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(['api-degraded', 'chaos-mix', 'controller-restart', 'issue-8316', 'large-pvc', 'node-failure', 'node-pressure', 'quota', 'topology']);
    expect(r.stdout).toMatch(/^large-pvc {2,}240 PVCs/m);
  });

  it.each([
    [['no-such'], /unknown scenario "no-such": the scenarios are api-degraded, chaos-mix, controller-restart, issue-8316, large-pvc, node-failure, node-pressure, quota, topology/],
    [['quota', '--quota-pods', 'ten'], /--quota-pods: "ten" is not a Kubernetes quantity: use a number with an optional suffix[^]*\(or "none"\)/],
    [['quota', '--quota-pods', '2.5'], /--quota-pods: "2.5" is not accepted: use a whole number \(or "none"\)/],
    [['quota', '--quota-storage=-1Gi'], /--quota-storage: "-1Gi" is not accepted: a quantity of 0 or more \(or "none"\)/],
    [['quota', '--quota-pods=-3'], /--quota-pods: "-3" is not accepted: a whole number of 0 or more \(or "none"\)/],
    [['issue-8316', '--pvcs', '0'], /--pvcs: "0" is not accepted: a whole number >= 1/],
    [['issue-8316', '--flows', 'velero-1.15'], /--flows: "velero-1.15" is not accepted/],
    [['issue-8316', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['issue-8316', '--target', 'kind', '--kubeconfig', '/nonexistent/kubeconfig'], /--target kind: ENOENT: no such file or directory, open '\/nonexistent\/kubeconfig'/],
    [['issue-8316', '--target', 'mars'], /--target: "mars" is not accepted: one of embedded, kind, kubeconfig/],
    [['chaos-mix', '--target', 'kind'], /--target kind: these faults are not carried out there[^]*faults\[1\] snapshot-failure-1 \(snapshot-failure\): csi-driver-host-path cannot/],
  ])('refuses %j with exit 2 and a message naming what is wrong', (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--target kind --dry-run prints the fault plan with its times and commands, needing no cluster; --dry-run alone is refused', () => {
    const r = cli('node-failure', '--target', 'kind', '--dry-run', '--time-scale', '10');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('faults[0] node-failure-0 (node-failure), when 20% of the DataUploads have reached InProgress');
    expect(r.stdout).toContain('  start: docker stop $NODE');
    expect(r.stdout).toContain('  end, 900 s later (90 s on the cluster):\n    docker start $NODE');
    const refused = cli('node-failure', '--dry-run');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--dry-run: only with --target kind or kubeconfig/);
  });

  it('runs issue-8316 small: prints the table and writes results@1; the same seed gives the same figures, in child processes or not', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dmb-scenario-'));
    const runOnce = (...extra: string[]) => {
      const r = cli('issue-8316', '--pvcs', '3', '--size-gib', '2', '--seed', '4', '--pod-in-progress-timeout', 'none', '--out', out, '--quiet', ...extra);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/velero-1\.16\s+velero-1\.17\s+deploying\s+pipelined/);
      expect(r.stdout).toMatch(/timeouts/);
      expect(r.stdout).toMatch(/wall s \(CPU s\)\s+\d+\.\d \(\d+\.\d\)/);
      return JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Results;
    };
    const a = runOnce('--jobs', '3');
    expect(a.schema).toBe(RESULTS_SCHEMA);
    // The variants' parameter was given: one run with it, no variants.
    expect(a.flows.map((f) => [f.flow, f.variant])).toEqual([['velero-1.16', undefined], ['velero-1.17', undefined], ['deploying', undefined], ['pipelined', undefined]]);
    expect(a.flows[0].dataUploads).toHaveLength(3);
    expect(a.flows[0].dataUploads[0].phases[0].phase).toBe('New');
    expect(a.parameters).toMatchObject({ pvcs: 3, 'size-gib': 2 });
    // Machine facts per run, in children and in the command's own process alike.
    for (const f of a.flows) {
      expect(f.cpuSeconds).toBeGreaterThan(0);
      expect(f.cpuSeconds).toBeLessThan(f.wallSeconds * 4);
      expect(f.peakRssMiB).toBeGreaterThan(0);
    }
    const b = runOnce('--jobs', '1');
    expect(b.flows.map((f) => f.figures)).toEqual(a.flows.map((f) => f.figures));
  }, 120_000);

  it('issue-8316 as reported: with a pod deadline velero-1.16 times out, without one it does not, deploying never does; and it says so', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dmb-8316-'));
    const r = cli('issue-8316', '--out', out, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Results;
    const get = (flow: string, variant: string) => results.flows.find((f) => f.flow === flow && f.variant === variant)!.figures;
    expect(get('velero-1.16', 'pod deadline 10m').timeouts).toBeGreaterThan(0);
    expect(get('velero-1.16', 'pod deadline 10m').outcomesByReason).toHaveProperty('pod-inprogress-timeout');
    for (const flow of ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined']) expect(get(flow, 'no pod deadline').timeouts).toBe(0);
    for (const variant of ['pod deadline 10m', 'no pod deadline']) expect(get('deploying', variant)).toMatchObject({ timeouts: 0, completed: 10, peakDataMoverPods: 1 });
    // BestEffort pods, as in the report: no requests, so what waiting costs is resident memory.
    expect(get('velero-1.16', 'no pod deadline')).toMatchObject({ bestEffortPods: 10, idleCpuCoreSeconds: 0 });
    expect(get('velero-1.16', 'no pod deadline').idleResidentMemoryGiBSeconds).toBeGreaterThan(10 * get('deploying', 'no pod deadline').idleResidentMemoryGiBSeconds);
    expect(r.stdout).toMatch(/pod deadline 10m\s+pod deadline 10m\s+pod deadline 10m\s+no pod deadline/);
    expect(r.stdout).toMatch(/As reported: with a pod deadline, velero-1\.16/);
    expect(r.stdout).toMatch(/velero-1\.16 \(pod deadline 10m\): \d+ of 10 DataUploads timed out/);
  }, 180_000);

  it('with --repeat 2: means with 95% intervals over seeds s and s+1, paired differences per seed, a file per seed', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dmb-repeat-'));
    const r = cli('issue-8316', '--pvcs', '2', '--size-gib', '1', '--seed', '9', '--repeat', '2', '--flows', 'velero-1.16,deploying', '--pod-in-progress-timeout', '10m', '--out', out, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/mean \[95% CI\], seeds 9\.\.10/);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Results;
    expect(results.repeat!.seeds).toEqual([9, 10]);
    expect(results.repeat!.figures['deploying'].completed).toMatchObject({ n: 2, mean: 2 });
    expect(results.repeat!.paired).toHaveLength(1);
    // Two seeds are the unit; 2 PVCs each, all completed by both flows: 4 pairs, none left out.
    expect(results.repeat!.paired[0]).toMatchObject({ a: 'velero-1.16', b: 'deploying', latencySeconds: { n: 2, pairs: 4 }, latencyPairsDropped: 0, timedOut: { n: 2, pairs: 4 } });
    expect(JSON.parse(readFileSync(path.join(out, 'results-seed-10.json'), 'utf8')).seed).toBe(10);
  }, 120_000);
});

describe('one node-agent ConfigMap for velero-1.17 and deploying', () => {
  // deploying is built on velero-1.17 (docs/design.md section 2.5): with the same ConfigMap,
  // prepareQueueLength (Velero v1.17.0+ pkg/exposer/vgdp_counter.go IsConstrained) included, the
  // comparison isolates the DatamoverDeploying phase. velero-1.16 has no prepare queue.
  it('every scenario, at its defaults and at its gate parameters, gives both the same document', async () => {
    const { loadScenarios } = await import('./registry.ts');
    const defaultsOf = (s: import('./scenario.ts').Scenario) => Object.fromEntries(s.params.map((p) => [p.name, p.default]));
    const scenarios = [...(await loadScenarios()).values()];
    expect(scenarios.length).toBeGreaterThanOrEqual(7);
    for (const s of scenarios) {
      for (const params of [defaultsOf(s), { ...defaultsOf(s), ...(s.gate?.params ?? {}) }, ...(s.variants ?? []).map((v) => ({ ...defaultsOf(s), ...v.params }))]) {
        const e = s.build(params, 1);
        expect(e.nodeAgentConfig('deploying'), s.name).toEqual(e.nodeAgentConfig('velero-1.17'));
      }
    }
  });

  it('large-pvc: both run with prepareQueueLength 8; velero-1.16 without', () => {
    const e = largePvc.build(Object.fromEntries(largePvc.params.map((p) => [p.name, p.default])), 1);
    const queue = (flow: 'velero-1.16' | 'velero-1.17' | 'deploying') => (e.nodeAgentConfig(flow).loadConcurrency as { prepareQueueLength?: number }).prepareQueueLength;
    expect([queue('velero-1.16'), queue('velero-1.17'), queue('deploying')]).toEqual([undefined, 8, 8]);
  });
});
