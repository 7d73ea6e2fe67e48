import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  affinityMatchesNode,
  concurrencyForNode,
  ConfigError,
  defaultNodeAgentConfig,
  loadAffinityFor,
  loadConfigFromFile,
  nodeAffinityFromLoadAffinity,
  parseConfigMapData,
  parseNodeAgentConfig,
  podResourceRequirements,
} from './config.ts';
import { formatGoDuration, parseGoDuration } from './duration.ts';
import { matchesLabelSelector } from './label-selector.ts';

const parse = (doc: unknown) => parseNodeAgentConfig(doc, 'test');

describe('Go durations', () => {
  it.each([
    ['10m', 600_000],
    ['10m0s', 600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['0', 0],
  ])('parses %s', (s, ms) => expect(parseGoDuration(s, 'f')).toBe(ms));
  it.each(['', '10', 'ten minutes', '5d', '1m-'])('refuses %j naming the field', (s) => expect(() => parseGoDuration(s, 'spec.x')).toThrow(/spec\.x: .* is not accepted/));
  it.each([
    [600_000, '10m0s'],
    [4 * 3_600_000, '4h0m0s'],
    [1500, '1.5s'],
    [500, '500ms'],
    [0, '0s'],
  ])('formats %d as %s', (ms, s) => expect(formatGoDuration(ms)).toBe(s));
});

describe('label selectors', () => {
  it.each([
    [{}, { a: '1' }, true],
    [{ matchLabels: { a: '1' } }, { a: '1' }, true],
    [{ matchLabels: { a: '1' } }, { a: '2' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { b: '1' }, true],
  ])('%j matches %j: %s', (sel, labels, want) => expect(matchesLabelSelector(sel, labels)).toBe(want));
});

describe('the node-agent config (Velero’s ConfigMap format + datamoverBench)', () => {
  it('defaults as Velero: concurrency 1, no affinity, BestEffort pods, prepare timeout 30m', () => {
    const c = defaultNodeAgentConfig();
    expect(c).toMatchObject({ flow: 'velero-1.17', loadConcurrency: { globalConfig: 1, perNodeConfig: [] }, loadAffinity: [], podResources: {} });
    expect(c.prepareTimeoutMs).toBe(30 * 60_000);
    expect(c.podInProgressTimeoutMs).toBeUndefined();
    expect(podResourceRequirements(c)).toEqual({});
  });

  it('reads every modelled key', () => {
    const c = parse({
      loadConcurrency: { globalConfig: 2, perNodeConfig: [{ nodeSelector: { matchLabels: { big: 'true' } }, number: 5 }, { nodeSelector: { matchLabels: { zone: 'a' } }, number: 3 }], prepareQueueLength: 10 },
      loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }, { nodeSelector: { matchLabels: { ssd: 'yes' } }, storageClass: 'fast' }],
      podResources: { cpuRequest: '1', memoryRequest: '1Gi', memoryLimit: '2Gi' },
      backupPVC: { 'csi-hostpath-sc': { readOnly: true } },
      datamoverBench: { flow: 'deploying', prepareTimeout: '20m', deployTimeout: '5m', podInProgressTimeout: '10m' },
    });
    expect(c.flow).toBe('deploying');
    expect(c.loadConcurrency.prepareQueueLength).toBe(10);
    expect(concurrencyForNode(c, { big: 'true', zone: 'a' })).toBe(3);
    expect(concurrencyForNode(c, { big: 'true' })).toBe(5);
    expect(concurrencyForNode(c, {})).toBe(2);
    expect(loadAffinityFor(c, 'fast')?.storageClass).toBe('fast');
    expect(loadAffinityFor(c, 'other')?.nodeSelector.matchLabels).toEqual({ 'kubernetes.io/hostname': 'worker-1' });
    expect(affinityMatchesNode(loadAffinityFor(c, 'other'), { 'kubernetes.io/hostname': 'worker-2' })).toBe(false);
    expect(nodeAffinityFromLoadAffinity(loadAffinityFor(c, 'other')!)).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-1'] }] }] } },
    });
    expect(podResourceRequirements(c)).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } });
    expect([c.prepareTimeoutMs, c.deployTimeoutMs, c.podInProgressTimeoutMs]).toEqual([1_200_000, 300_000, 600_000]);
  });

  it.each([
    [{ loadConcurrency: { globalConfig: 0 } }, 'loadConcurrency.globalConfig', 'whole number greater than 0'],
    [{ loadConcurrency: { perNodeConfig: [{ nodeSelector: {}, number: '2' }] } }, 'loadConcurrency.perNodeConfig[0].number', 'whole number'],
    [{ loadConcurrency: { prepareQueueLength: -1 } }, 'loadConcurrency.prepareQueueLength', 'greater than 0'],
    [{ loadAffinity: [{ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } }] }, 'loadAffinity[0].nodeSelector.matchExpressions[0].operator', 'In, NotIn'],
    [{ podResources: { cpuRequest: 'lots' } }, 'podResources.cpuRequest', 'quantity'],
    [{ podResources: { cpuRequest: '2', cpuLimit: '1' } }, 'podResources.cpuRequest', 'at most podResources.cpuLimit'],
    [{ loadConcurency: {} }, 'loadConcurency', 'not a node-agent setting'],
    [{ datamoverBench: { flow: 'fast' } }, 'datamoverBench.flow', 'velero-1.16, velero-1.17, deploying'],
    [{ datamoverBench: { podInProgressTimeout: '0s' } }, 'datamoverBench.podInProgressTimeout', 'greater than 0'],
  ])('refuses %j, naming %s and what is accepted', (doc, field, accepted) => {
    let err: unknown;
    try {
      parse(doc);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).toContain(accepted);
    expect((err as Error).message).toMatch(/^test: /);
  });

  it('reads a ConfigMap as Velero does: exactly one data key holding JSON', () => {
    expect(parseConfigMapData({ 'node-agent-config.json': '{"loadConcurrency":{"globalConfig":3}}' }, 'cm').loadConcurrency.globalConfig).toBe(3);
    expect(() => parseConfigMapData({ a: '{}', b: '{}' }, 'cm')).toThrow(/exactly one key/);
    expect(() => parseConfigMapData({ a: '{' }, 'cm')).toThrow(/valid JSON/);
  });

  it('loads a file holding the document or a ConfigMap manifest', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dmb-config-'));
    const json = path.join(dir, 'c.json');
    await writeFile(json, JSON.stringify({ loadConcurrency: { globalConfig: 4 } }));
    expect((await loadConfigFromFile(json)).loadConcurrency.globalConfig).toBe(4);
    const yaml = path.join(dir, 'cm.yaml');
    await writeFile(yaml, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: node-agent-config}\ndata:\n  config.json: \'{"datamoverBench":{"flow":"velero-1.16"}}\'\n');
    expect((await loadConfigFromFile(yaml)).flow).toBe('velero-1.16');
  });
});
