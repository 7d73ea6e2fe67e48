// Scenario files: the worked example is large-pvc, written by hand, and builds large-pvc's very
// experiment; every malformed file is refused with the path of what is wrong; the JSON Schema
// agrees with the checker; the settings a user controls are parameters that change only themselves.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../registry.ts';
import { scenarioByName } from '../registry.ts';
import { ParamError, type ParamValues, type Scenario } from '../scenario.ts';
import { loadScenarioFile, scenarioOfFile } from './load.ts';
import { FILE_FIELDS, parseScenarioFile, POOL_FIELDS, ScenarioFileError } from './parse.ts';

const EXAMPLE = join(REPO_ROOT, 'docs', 'examples', 'large-pvc.yaml');
const exampleText = readFileSync(EXAMPLE, 'utf8');
const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'scenario-file.schema.json'), 'utf8'));
const defaults = (s: Scenario): ParamValues => Object.fromEntries(s.params.map((p) => [p.name, p.default]));
/** Sorted keys, so two experiments compare by content, not by the order fields were written in. */
const canonical = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)])) : v;

/** The example with one change made to its document. */
function variant(change: (d: Record<string, any>) => void): string {
  const d = parse(exampleText);
  change(d);
  return stringify(d);
}

describe('the worked example (docs/examples/large-pvc.yaml)', () => {
  it('builds the experiment large-pvc builds: the same PVCs, nodes and node-agent config for every flow, at several seeds', async () => {
    const file = await loadScenarioFile(EXAMPLE);
    const shipped = (await scenarioByName('large-pvc'))!;
    expect(file.flows).toEqual(shipped.flows);
    for (const seed of [1, 7]) {
      const a = file.build(defaults(file), seed);
      const b = shipped.build(defaults(shipped), seed);
      expect(a.pvcs).toEqual(b.pvcs);
      expect(a.pvcs).toHaveLength(240);
      expect(canonical(a.nodes)).toEqual(canonical(b.nodes));
      for (const flow of file.flows) expect(a.nodeAgentConfig(flow)).toEqual(b.nodeAgentConfig(flow));
      expect([a.itemOperationTimeoutMs, a.deadlineSeconds, a.storageTopology]).toEqual([b.itemOperationTimeoutMs, b.deadlineSeconds, b.storageTopology]);
    }
    // The seed draws the group's sizes: another seed, other PVCs.
    expect(file.build(defaults(file), 2).pvcs).not.toEqual(file.build(defaults(file), 1).pvcs);
  });

  it('is valid against the JSON Schema, and the schema names exactly the fields the checker takes', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(parse(exampleText)), JSON.stringify(validate.errors)).toBe(true);
    expect(Object.keys(schema.properties).sort()).toEqual([...FILE_FIELDS].sort());
    expect(Object.keys(schema.properties.nodes.items.properties).sort()).toEqual([...POOL_FIELDS].sort());
  });
});

describe('malformed files are refused with the path of the problem, the value and what is accepted', () => {
  const cases: [string, string, string][] = [
    ['a PVC size that is not a quantity', variant((d) => (d.pvcs = [...[0, 1, 2].map((i) => ({ namespace: 'app', name: `d-${i}`, size: '20Gi' })), { namespace: 'app', name: 'd-3', size: '20 GB' }])), 'pvcs[3].size: "20 GB" is not accepted'],
    ['a pool of no nodes', variant((d) => (d.nodes[1].count = 0)), 'nodes[1].count: 0 is not accepted: a whole number from 1 to 5000'],
    ['a pool without memory', variant((d) => delete d.nodes[0].capacity.memory), 'nodes[0].capacity.memory: (missing) is not accepted'],
    ['a ConfigMap whose document Velero would not take', variant((d) => (d.nodeAgentConfigMap.data['node-agent-config.json'] = '{"loadConcurrency": {"globalConfig": 0}}')), 'nodeAgentConfigMap.data["node-agent-config.json"].loadConcurrency.globalConfig: 0 is not accepted'],
    ['a ConfigMap with two data keys', variant((d) => (d.nodeAgentConfigMap.data.other = '{}')), 'nodeAgentConfigMap.data: '],
    ['a fault on a node the file does not have', variant((d) => (d.faults = [{ kind: 'node-failure', at: 60, node: 'backup-9' }])), 'faults[0].node: "backup-9" is not accepted'],
    ['a backup of a namespace no PVC is in', variant((d) => ((d.pvcs = [{ namespace: 'shop', name: 'db', size: '5Gi' }]), (d.backups = [{ name: 'nightly', includedNamespaces: ['shop', 'crm'] }]))), 'backups[0].includedNamespaces[1]: "crm" is not accepted: a namespace of the PVCs (shop)'],
    ['a PVC of an undeclared StorageClass', variant((d) => (d.pvcs[0].storageClass = 'fast')), 'pvcs[0].storageClass: "fast" is not accepted: a StorageClass of storageClasses (csi-hostpath-sc)'],
    ['a gate on a flow the file does not run', variant((d) => ((d.flows = ['deploying']), (d.gates = [{ figure: 'timeouts', flow: 'pipelined', op: '==', value: 0 }]))), 'gates[0].flow: "pipelined" is not accepted: a flow the file runs (deploying)'],
    ['a timeout that is not a Go duration', variant((d) => (d.server.itemOperationTimeout = '4 hours')), 'server.itemOperationTimeout: "4 hours" is not accepted: a Go duration: numbers with units'],
    ['a field misspelt', variant((d) => ((d.node = d.nodes), delete d.nodes)), 'node: '],
    ['a name Kubernetes refuses', variant((d) => (d.metadata.name = 'Large_PVC')), 'metadata.name: "Large_PVC" is not accepted'],
    ['two PVCs of one name', variant((d) => (d.pvcs = [{ namespace: 'a', name: 'x', size: '1Gi' }, { namespace: 'a', name: 'x', size: '2Gi' }])), 'pvcs[1].name: "x" is not accepted: a name no other PVC of namespace a has'],
    ['a log-normal with no median', variant((d) => delete d.pvcs[0].size.median), 'pvcs[0].size.median: (missing) is not accepted'],
    ['a volume placed in a zone without a zonal topology', variant((d) => (d.pvcs = [{ namespace: 'a', name: 'x', size: '1Gi', zone: 'zone-a' }])), `pvcs[0].zone: "zone-a" is not accepted: nothing: a volume's zone is for storageTopology zonal`],
    ['a volume in a zone no node is in', variant((d) => ((d.storageTopology = 'zonal'), (d.nodes[0].zones = ['zone-a', 'zone-b']), (d.pvcs = [{ namespace: 'a', name: 'x', size: '1Gi', zone: 'zone-c' }]))), 'pvcs[0].zone: "zone-c" is not accepted: a zone of the nodes (zone-a, zone-b)'],
    ['not YAML', 'nodes: [\n  - name: a\n', '(file): "line 2, column 3" is not accepted: YAML or JSON'],
    ['another kind of document', variant((d) => (d.kind = 'ConfigMap')), 'kind: "ConfigMap" is not accepted: Scenario'],
  ];
  it.each(cases)('%s', (_name, text, message) => {
    let error: unknown;
    try {
      parseScenarioFile(text, 'my-backup.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioFileError);
    expect((error as Error).message).toContain(`my-backup.yaml: ${message}`);
  });

  it('the command refuses one with exit code 2, names the path, and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-file-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, variant((d) => (d.pvcs[0].size.sigma = -1)));
    const out = join(dir, 'out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'harness', 'cli', 'scenario.ts'), '--file', file, '--out', out, '--quiet'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: pvcs[0].size.sigma: -1 is not accepted: a number from 0 to 5`);
    expect(existsSync(out)).toBe(false);
  });
});

describe("the file's settings as parameters", () => {
  const file = () => scenarioOfFile(parseScenarioFile(exampleText, 'example'), resolve('example.yaml'));

  it('default to the file’s own values', () => {
    expect(defaults(file())).toEqual({ concurrency: 2, 'prepare-queue-length': 8, 'cpu-request': '1', 'memory-request': '1Gi', 'prepare-timeout': '30m', 'item-operation-timeout': '4h', 'data-mover-nodes': 'configured', 'concurrent-backups': 1 });
  });

  it('each changes its own setting and nothing else', () => {
    const s = file();
    const at = (over: ParamValues) => s.build({ ...defaults(s), ...over }, 1).nodeAgentConfig('velero-1.17') as Record<string, any>;
    const base = at({});
    expect(at({ concurrency: 3 })).toEqual({ ...base, loadConcurrency: { globalConfig: 3, prepareQueueLength: 8 } });
    expect(at({ 'prepare-queue-length': 0 })).toEqual({ ...base, loadConcurrency: { globalConfig: 2 } });
    expect(at({ 'cpu-request': '500m' }).podResources).toEqual({ ...base.podResources, cpuRequest: '500m' });
    expect(at({ 'memory-request': 'none' }).podResources).toEqual({ cpuRequest: '1', cpuLimit: '0', memoryLimit: '0' });
    expect(at({ 'data-mover-nodes': 'all' }).loadAffinity).toBeUndefined();
    expect(at({ 'data-mover-nodes': 'pool=backup,ssd=yes' }).loadAffinity).toEqual([{ nodeSelector: { matchLabels: { pool: 'backup', ssd: 'yes' } } }]);
    expect(at({ 'prepare-timeout': '1h' }).datamoverBench).toEqual({ prepareTimeout: '1h' });
    expect(s.build({ ...defaults(s), 'item-operation-timeout': '6h' }, 1).itemOperationTimeoutMs).toBe(6 * 3600_000);
    // velero-1.16 never gets a prepare queue: the field came with v1.17.
    expect((s.build({ ...defaults(s), 'prepare-queue-length': 4 }, 1).nodeAgentConfig('velero-1.16') as any).loadConcurrency).toEqual({ globalConfig: 2 });
  });

  it.each([
    ['data-mover-nodes', 'pool in (a,b)', '--data-mover-nodes: "pool in (a,b)" is not accepted'],
    ['cpu-request', 'lots', '--cpu-request: "lots" is not accepted'],
    ['prepare-timeout', '0s', '--prepare-timeout: "0s" is not accepted'],
  ])('a bad --%s is refused by name', (name, value, message) => {
    const s = file();
    expect(() => s.build({ ...defaults(s), [name]: value }, 1)).toThrow(ParamError);
    expect(() => s.build({ ...defaults(s), [name]: value }, 1)).toThrow(message);
  });

  it('a file that cannot be read is refused as --file', async () => {
    await expect(loadScenarioFile('/nonexistent/my-backup.yaml')).rejects.toThrow('--file: "/nonexistent/my-backup.yaml" cannot be read (ENOENT)');
  });

  it('--help with --file lists the file’s parameters with their values', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'harness', 'cli', 'scenario.ts'), '--file', EXAMPLE, '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(out).toContain('large-pvc-file: 240 PVCs');
    expect(out).toMatch(/--concurrency\s+loadConcurrency.globalConfig.*\(default 2\)/);
  });
});
