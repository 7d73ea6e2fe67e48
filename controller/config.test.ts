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
  type NodeAgentConfig,
} from './config.ts';
import type { FlowName } from './flows/types.ts';

const parse = (doc: unknown) => parseNodeAgentConfig(doc, 'test');
const ALL_FOUR = { cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' };

function thrown(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('defaults, as Velero’s node-agent without a ConfigMap', () => {
  it('one data path per node, no affinity, BestEffort pods, prepare timeout 30m, client-go 5 QPS / burst 10, flow velero-1.17', () => {
    const c = defaultNodeAgentConfig();
    expect(c).toEqual({
      flow: 'velero-1.17',
      loadConcurrency: { globalConfig: 1, perNodeConfig: [] },
      loadAffinity: [],
      podResources: {},
      prepareTimeoutMs: 30 * 60_000,
      deployTimeoutMs: 30 * 60_000,
      // Velero's node-agent has no --client-qps / --client-burst (pkg/cmd/cli/nodeagent/server.go,
      // v1.16.2 to v1.18.2): client-go's rest.DefaultQPS and DefaultBurst apply.
      clientLimit: { qps: 5, burst: 10 },
    });
    expect(concurrencyForNode(c, { zone: 'a' })).toBe(1);
    expect(podResourceRequirements(c)).toEqual({});
    expect(defaultNodeAgentConfig('deploying').flow).toBe('deploying');
  });

  it.each([[{}], [null], [{ loadConcurrency: null, loadAffinity: null, podResources: null, datamoverBench: null }]])('%j reads as the defaults', (doc) =>
    expect(parse(doc)).toEqual(defaultNodeAgentConfig()),
  );
});

describe('reading a node-agent document', () => {
  const doc = {
    loadConcurrency: {
      globalConfig: 2,
      perNodeConfig: [
        { nodeSelector: { matchLabels: { big: 'true' } }, number: 5 },
        { nodeSelector: { matchLabels: { zone: 'a' } }, number: 3 },
      ],
      prepareQueueLength: 10,
    },
    loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }, { nodeSelector: { matchLabels: { ssd: 'yes' } }, storageClass: 'fast' }],
    podResources: { cpuRequest: '1', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi' },
    datamoverBench: { flow: 'deploying', prepareTimeout: '20m', deployTimeout: '5m', podInProgressTimeout: '10m', dataMoverThroughput: '6Mi', clientQPS: 20, clientBurst: 30 },
  };

  it('keeps every modelled value', () => {
    const c = parse(doc);
    expect(c.flow).toBe('deploying');
    expect(c.loadConcurrency).toEqual(doc.loadConcurrency);
    expect(c.loadAffinity).toEqual(doc.loadAffinity);
    expect(c.podResources).toEqual(doc.podResources);
    expect([c.prepareTimeoutMs, c.deployTimeoutMs, c.podInProgressTimeoutMs]).toEqual([1_200_000, 300_000, 600_000]);
    expect(c.dataMoverThroughput).toBe('6Mi');
    expect(c.clientLimit).toEqual({ qps: 20, burst: 30 });
    expect(parse({ datamoverBench: { clientQPS: -1 } }).clientLimit).toEqual({ qps: -1, burst: 10 });
    expect(parse({ datamoverBench: { clientQPS: 2.5 } }).clientLimit).toEqual({ qps: 2.5, burst: 10 });
  });

  it('accepts and ignores the Velero settings the bench does not model', () => {
    const withExtras = {
      ...doc,
      backupPVC: { 'csi-hostpath-sc': { storageClass: 'backup-sc', readOnly: true } },
      restorePVC: { ignoreDelayBinding: true },
      cachePVC: { storageClass: 'cache', residentThresholdInMB: 1024 },
      priorityClassName: 'backup-low',
      podLabels: { team: 'backup' },
      podAnnotations: { note: 'x' },
      privilegedFsBackup: true,
      podResources: { ...doc.podResources, ephemeralStorageRequest: '1Gi', ephemeralStorageLimit: '2Gi' },
    };
    expect(parse(withExtras)).toEqual(parse(doc));
  });

  it('prepareQueueLength 0 is no cap, as in Velero', () => {
    expect(parse({ loadConcurrency: { prepareQueueLength: 0 } }).loadConcurrency.prepareQueueLength).toBeUndefined();
  });
});

describe('refusing what Velero would ignore or fail on, naming the field, the value and what is accepted', () => {
  it.each([
    ['a typo at the top level', { loadConcurency: {} }, 'loadConcurency', 'not a node-agent setting; the keys are loadConcurrency, loadAffinity, podResources'],
    ['prepareQueueLength at the top level, as Velero’s docs show it', { prepareQueueLength: 10 }, 'prepareQueueLength', 'a key of loadConcurrency'],
    ['a Velero key in another capitalisation', { LoadConcurrency: {} }, 'LoadConcurrency', 'the keys are'],
    ['a document that is a list', [], '(document)', 'an object'],
    ['globalConfig 0 (Velero: warns, uses 1)', { loadConcurrency: { globalConfig: 0 } }, 'loadConcurrency.globalConfig', 'a whole number greater than 0'],
    ['globalConfig as a string', { loadConcurrency: { globalConfig: '2' } }, 'loadConcurrency.globalConfig', 'a whole number greater than 0'],
    ['globalConfig 1.5', { loadConcurrency: { globalConfig: 1.5 } }, 'loadConcurrency.globalConfig', 'a whole number'],
    ['a typo in loadConcurrency', { loadConcurrency: { perNodeConfigs: [] } }, 'loadConcurrency.perNodeConfigs', 'globalConfig, perNodeConfig, prepareQueueLength'],
    ['perNodeConfig not a list', { loadConcurrency: { perNodeConfig: { number: 2 } } }, 'loadConcurrency.perNodeConfig', 'a list of {nodeSelector, number}'],
    ['a rule’s number as a string', { loadConcurrency: { perNodeConfig: [{ nodeSelector: {}, number: 1 }, { nodeSelector: {}, number: '2' }] } }, 'loadConcurrency.perNodeConfig[1].number', 'a whole number greater than 0'],
    ['a rule without a number (Velero: skips it)', { loadConcurrency: { perNodeConfig: [{ nodeSelector: {} }] } }, 'loadConcurrency.perNodeConfig[0].number', 'greater than 0'],
    ['a rule with a misspelt key', { loadConcurrency: { perNodeConfig: [{ nodeSelecter: {}, number: 1 }] } }, 'loadConcurrency.perNodeConfig[0].nodeSelecter', 'nodeSelector, number'],
    ['a rule with a bad selector (Velero: skips it)', { loadConcurrency: { perNodeConfig: [{ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] }, number: 1 }] } }, 'loadConcurrency.perNodeConfig[0].nodeSelector.matchExpressions[0].values', 'In needs at least one value'],
    ['a negative prepareQueueLength', { loadConcurrency: { prepareQueueLength: -1 } }, 'loadConcurrency.prepareQueueLength', '0 (or absent) for no cap'],
    ['loadAffinity not a list', { loadAffinity: { nodeSelector: {} } }, 'loadAffinity', 'a list of {nodeSelector, storageClass}'],
    ['a loadAffinity entry that is null', { loadAffinity: [null] }, 'loadAffinity[0]', 'an object'],
    ['an empty loadAffinity selector (Velero 1.16/1.17: the pod fits no node)', { loadAffinity: [{ nodeSelector: {} }] }, 'loadAffinity[0].nodeSelector', 'leave the entry out'],
    ['an unknown operator', { loadAffinity: [{ nodeSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } }] }, 'loadAffinity[0].nodeSelector.matchExpressions[0].operator', 'one of In, NotIn, Exists, DoesNotExist'],
    ['a storageClass that is not a string', { loadAffinity: [{ nodeSelector: { matchLabels: { a: 'b' } }, storageClass: 3 }] }, 'loadAffinity[0].storageClass', 'a StorageClass name'],
    ['podResources missing a limit (Velero: ignores all of it)', { podResources: { cpuRequest: '1', memoryRequest: '1Gi', memoryLimit: '2Gi' } }, 'podResources.cpuLimit', 'write "0" for none'],
    ['podResources with an empty value', { podResources: { ...ALL_FOUR, memoryRequest: '' } }, 'podResources.memoryRequest', 'write "0" for none'],
    ['podResources with nothing in it', { podResources: {} }, 'podResources.cpuRequest', 'unless cpuRequest, cpuLimit, memoryRequest and memoryLimit are all set'],
    ['an invalid quantity', { podResources: { ...ALL_FOUR, cpuRequest: 'lots' } }, 'podResources.cpuRequest', 'a Kubernetes quantity'],
    ['a quantity as a number', { podResources: { ...ALL_FOUR, cpuRequest: 1 } }, 'podResources.cpuRequest', 'as a string'],
    ['a quantity with spaces', { podResources: { ...ALL_FOUR, memoryRequest: ' 1Gi' } }, 'podResources.memoryRequest', 'a Kubernetes quantity'],
    ['a negative quantity', { podResources: { ...ALL_FOUR, memoryRequest: '-1Gi' } }, 'podResources.memoryRequest', '0 or more'],
    ['a CPU request above its limit', { podResources: { ...ALL_FOUR, cpuRequest: '2', cpuLimit: '1500m' } }, 'podResources.cpuRequest', 'at most podResources.cpuLimit (1500m)'],
    ['a memory request above its limit', { podResources: { ...ALL_FOUR, memoryRequest: '2Gi', memoryLimit: '1Gi' } }, 'podResources.memoryRequest', 'at most podResources.memoryLimit (1Gi)'],
    ['an invalid ephemeral-storage value (Velero 1.18: ignores all of podResources)', { podResources: { ...ALL_FOUR, ephemeralStorageLimit: 'big' } }, 'podResources.ephemeralStorageLimit', 'a Kubernetes quantity'],
    ['a typo in podResources', { podResources: { ...ALL_FOUR, cpuRequests: '1' } }, 'podResources.cpuRequests', 'cpuRequest, cpuLimit, memoryRequest, memoryLimit'],
    ['an unknown flow', { datamoverBench: { flow: 'fast' } }, 'datamoverBench.flow', 'one of velero-1.16, velero-1.17, deploying'],
    ['a typo in datamoverBench', { datamoverBench: { prepareTimeOut: '5m' } }, 'datamoverBench.prepareTimeOut', 'flow, prepareTimeout, deployTimeout, podInProgressTimeout, dataMoverThroughput, clientQPS, clientBurst'],
    ['a client QPS of 0 (client-go would take its default)', { datamoverBench: { clientQPS: 0 } }, 'datamoverBench.clientQPS', 'above 0 (client-go\'s default is 5), or -1 for no limit'],
    ['a negative client QPS other than -1', { datamoverBench: { clientQPS: -5 } }, 'datamoverBench.clientQPS', 'or -1 for no limit'],
    ['a client QPS as a string', { datamoverBench: { clientQPS: '5' } }, 'datamoverBench.clientQPS', 'a number of requests per second'],
    ['a fractional burst', { datamoverBench: { clientBurst: 2.5 } }, 'datamoverBench.clientBurst', 'a whole number of requests of 1 or more'],
    ['a zero burst', { datamoverBench: { clientBurst: 0 } }, 'datamoverBench.clientBurst', 'of 1 or more'],
    ['a throughput that is not a quantity', { datamoverBench: { dataMoverThroughput: 'fast' } }, 'datamoverBench.dataMoverThroughput', 'a Kubernetes quantity greater than 0'],
    ['a throughput as a number', { datamoverBench: { dataMoverThroughput: 6291456 } }, 'datamoverBench.dataMoverThroughput', 'a Kubernetes quantity greater than 0'],
    ['a zero throughput', { datamoverBench: { dataMoverThroughput: '0' } }, 'datamoverBench.dataMoverThroughput', 'a Kubernetes quantity greater than 0'],
    ['a duration without a unit', { datamoverBench: { prepareTimeout: '30' } }, 'datamoverBench.prepareTimeout', 'a Go duration greater than 0'],
    ['a duration as a number', { datamoverBench: { deployTimeout: 1800 } }, 'datamoverBench.deployTimeout', 'a Go duration'],
    ['a zero timeout', { datamoverBench: { podInProgressTimeout: '0s' } }, 'datamoverBench.podInProgressTimeout', 'greater than 0'],
    ['a negative timeout', { datamoverBench: { deployTimeout: '-10m' } }, 'datamoverBench.deployTimeout', 'greater than 0'],
  ])('%s', (_name, doc, field, accepted) => {
    const err = thrown(() => parse(doc));
    expect(err.field).toBe(field);
    expect(err.accepted).toContain(accepted);
    expect(err.message).toBe(`test: ${field}: ${JSON.stringify(err.value) ?? '(missing)'} is not accepted: ${err.accepted}`);
  });

  it('shows a missing value as (missing)', () => {
    expect(thrown(() => parse({ loadConcurrency: { perNodeConfig: [{ nodeSelector: {} }] } })).message).toContain('perNodeConfig[0].number: (missing) is not accepted');
  });
});

describe('per-node concurrency (Velero’s getDataPathConcurrentNum)', () => {
  const cfg = parse({
    loadConcurrency: {
      globalConfig: 4,
      perNodeConfig: [
        { nodeSelector: { matchLabels: { big: 'true' } }, number: 5 },
        { nodeSelector: { matchLabels: { zone: 'a' } }, number: 3 },
        { nodeSelector: { matchExpressions: [{ key: 'backup-only', operator: 'Exists' }] }, number: 8 },
      ],
    },
  });
  it.each([
    ['matches one rule', { big: 'true' }, 5],
    ['matches two: the smallest wins', { big: 'true', zone: 'a' }, 3],
    ['a larger matching rule still wins over globalConfig', { 'backup-only': '' }, 8],
    ['matches none: globalConfig', { zone: 'b' }, 4],
    ['no labels: globalConfig', undefined, 4],
  ])('%s', (_name, labels, want) => expect(concurrencyForNode(cfg, labels)).toBe(want));

  it('a rule with an empty selector applies to every node', () => {
    expect(concurrencyForNode(parse({ loadConcurrency: { globalConfig: 4, perNodeConfig: [{ nodeSelector: {}, number: 2 }] } }), { zone: 'b' })).toBe(2);
  });

  it('no globalConfig: 1 where no rule matches', () => {
    expect(concurrencyForNode(parse({ loadConcurrency: { perNodeConfig: [{ nodeSelector: { matchLabels: { big: 'true' } }, number: 5 }] } }), {})).toBe(1);
  });
});

describe('loadAffinity per StorageClass', () => {
  const everyWorker1 = { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } };
  const fast = { nodeSelector: { matchLabels: { ssd: 'yes' } }, storageClass: 'fast' };
  const cfg = (flow: FlowName, loadAffinity: unknown[]) => parse({ loadAffinity, datamoverBench: { flow } });
  it.each<[string, FlowName, unknown[], string | undefined, unknown]>([
    ['1.17: the entry naming the class', 'velero-1.17', [everyWorker1, fast], 'fast', fast],
    ['1.17: the entry naming the class, wherever it is listed', 'velero-1.17', [fast, everyWorker1], 'fast', fast],
    ['1.17: another class gets the entry naming none', 'velero-1.17', [fast, everyWorker1], 'standard', everyWorker1],
    ['1.17: a volume without a class gets the entry naming none', 'velero-1.17', [fast, everyWorker1], undefined, everyWorker1],
    ['1.17: no entry for the class and none general: no affinity', 'velero-1.17', [fast], 'standard', undefined],
    ['deploying: as 1.17', 'deploying', [everyWorker1, fast], 'fast', fast],
    ['1.16 knows no storageClass: the first entry, for every volume', 'velero-1.16', [fast, everyWorker1], 'standard', fast],
    ['no loadAffinity: none', 'velero-1.17', [], 'fast', undefined],
  ])('%s', (_name, flow, entries, storageClass, want) => expect(loadAffinityFor(cfg(flow, entries), storageClass)).toEqual(want));

  it.each([
    ['no affinity: every node', undefined, { zone: 'a' }, true],
    ['the node matches', everyWorker1, { 'kubernetes.io/hostname': 'worker-1' }, true],
    ['another node', everyWorker1, { 'kubernetes.io/hostname': 'worker-2' }, false],
  ])('affinityMatchesNode, %s', (_name, la, labels, want) => expect(affinityMatchesNode(la, labels)).toBe(want));

  it('becomes one required node selector term on the data-mover pod, matchLabels as In', () => {
    const la = parse({
      loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' }, matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }, { key: 'zone', operator: 'NotIn', values: ['c'] }] } }],
    }).loadAffinity[0];
    expect(nodeAffinityFromLoadAffinity(la)).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-1'] },
                { key: 'gpu', operator: 'DoesNotExist' },
                { key: 'zone', operator: 'NotIn', values: ['c'] },
              ],
            },
          ],
        },
      },
    });
  });

  it('an empty selector gives the pod no constraint rather than a term that matches no node', () => {
    expect(nodeAffinityFromLoadAffinity({ nodeSelector: {} })).toEqual({});
  });
});

describe('data-mover pod resources (Velero’s ParseResourceRequirements)', () => {
  it.each([
    ['all four', { cpuRequest: '500m', cpuLimit: '1', memoryRequest: '512Mi', memoryLimit: '1Gi' }, { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } }],
    ['"0" is no request or limit', { cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' }, { requests: { cpu: '1', memory: '1Gi' } }],
    ['all "0": a BestEffort pod', { cpuRequest: '0', cpuLimit: '0', memoryRequest: '0', memoryLimit: '0' }, {}],
    ['a request equal to its limit', { cpuRequest: '1', cpuLimit: '1000m', memoryRequest: '1Gi', memoryLimit: '1024Mi' }, { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } }],
    ['a limit with no request', { cpuRequest: '0', cpuLimit: '2', memoryRequest: '0', memoryLimit: '4Gi' }, { limits: { cpu: '2', memory: '4Gi' } }],
  ])('from the document: %s', (_name, podResources, want) => expect(podResourceRequirements(parse({ podResources }))).toEqual(want));

  const built = (podResources: NodeAgentConfig['podResources']): NodeAgentConfig => ({ ...defaultNodeAgentConfig(), podResources });
  it('from a config built in code: empty strings are unset', () => {
    expect(podResourceRequirements(built({ cpuRequest: '1', cpuLimit: '', memoryRequest: '1Gi' }))).toEqual({ requests: { cpu: '1', memory: '1Gi' } });
  });
  it.each([
    ['an invalid quantity', { cpuRequest: 'one' }, 'podResources.cpuRequest'],
    ['a request above its limit', { memoryRequest: '2Gi', memoryLimit: '1Gi' }, 'podResources.memoryRequest'],
  ])('from a config built in code: refuses %s', (_name, podResources, field) => expect(thrown(() => podResourceRequirements(built(podResources))).field).toBe(field));
});

describe('the ConfigMap, as Velero’s GetConfigs reads it', () => {
  it('reads the only data key, whatever its name', () => {
    expect(parseConfigMapData({ 'node-agent-config.json': '{"loadConcurrency":{"globalConfig":3}}' }, 'cm').loadConcurrency.globalConfig).toBe(3);
  });
  it.each([
    ['no data', undefined, 'data', 'exactly one key'],
    ['empty data', {}, 'data', 'exactly one key'],
    ['two keys', { a: '{}', b: '{}' }, 'data', 'exactly one key'],
    ['not JSON', { 'config.json': '{loadConcurrency: 1}' }, 'data["config.json"]', 'JSON'],
  ])('refuses %s', (_name, data, field, accepted) => {
    const err = thrown(() => parseConfigMapData(data as Record<string, string> | undefined, 'ConfigMap velero/node-agent-config'));
    expect(err.field).toBe(field);
    expect(err.accepted).toContain(accepted);
    expect(err.message).toMatch(/^ConfigMap velero\/node-agent-config: /);
  });
  it('names the ConfigMap and its key in errors about the document', () => {
    expect(thrown(() => parseConfigMapData({ 'config.json': '{"loadConcurrency":{"globalConfig":0}}' }, 'ConfigMap velero/nac')).message).toBe(
      'ConfigMap velero/nac, data key config.json: loadConcurrency.globalConfig: 0 is not accepted: a whole number greater than 0',
    );
  });
});

describe('loadConfigFromFile', () => {
  async function file(name: string, text: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'dmb-config-'));
    const p = path.join(dir, name);
    await writeFile(p, text);
    return p;
  }
  it.each([
    ['a .json document', 'c.json', JSON.stringify({ loadConcurrency: { globalConfig: 4 } })],
    ['a YAML document', 'c.yaml', 'loadConcurrency:\n  globalConfig: 4\n'],
    ['a ConfigMap manifest', 'cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: node-agent-config, namespace: velero}\ndata:\n  config.json: \'{"loadConcurrency":{"globalConfig":4}}\'\n'],
  ])('reads %s', async (_name, name, text) => expect((await loadConfigFromFile(await file(name, text))).loadConcurrency.globalConfig).toBe(4));

  it.each([
    ['two documents', 'loadConcurrency: {}\n---\nloadAffinity: []\n', '(file)', 'one document'],
    ['broken YAML', 'loadConcurrency: {globalConfig: 4\n', '(file)', 'YAML or JSON'],
    ['an empty file', '', '(file)', 'one document'],
    ['another kind', 'apiVersion: v1\nkind: Secret\n', 'kind', 'ConfigMap'],
    ['a ConfigMap whose document is wrong', 'kind: ConfigMap\nmetadata: {name: nac, namespace: velero}\ndata:\n  c.json: \'{"loadConcurrency":{"globalConfig":"4"}}\'\n', 'loadConcurrency.globalConfig', 'whole number'],
  ])('refuses %s, naming the file', async (_name, text, field, accepted) => {
    const p = await file('bad.yaml', text);
    const err = await loadConfigFromFile(p).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as ConfigError).accepted).toContain(accepted);
    expect((err as Error).message.startsWith(p)).toBe(true);
  });
});
