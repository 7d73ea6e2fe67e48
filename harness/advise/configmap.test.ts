// The ConfigMap advise prints is one Velero reads: it parses as the node-agent reads its ConfigMap
// (controller/config.ts parseConfigMapData, as Velero's GetConfigs), and carries the recommended
// values; the flags beside it say the recommended timeouts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigMapData } from '../../controller/config.ts';
import { loadScenarioFile } from '../scenario/file/load.ts';
import { shortDuration } from './candidates.ts';
import { appliedSettings, CONFIGMAP, flagLines } from './configmap.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '../../docs/examples/large-pvc.yaml');

describe('the ConfigMap and flags advise prints', () => {
  it('a scenario file at a recommended setting: the ConfigMap parses, carries the setting, keeps the requests, has no bench keys', async () => {
    const scenario = await loadScenarioFile(EXAMPLE);
    const base = Object.fromEntries(scenario.params.map((p) => [p.name, p.default]));
    const e = scenario.build({ ...base, concurrency: 3, 'data-mover-nodes': 'all', 'prepare-queue-length': 6, 'prepare-timeout': '2h', 'item-operation-timeout': '6h' }, 1);
    const a = appliedSettings(e, 'velero-1.17');
    const manifest = parse(a.configMap) as { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; data: Record<string, string> };
    expect(manifest).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'node-agent-config', namespace: 'velero' } });
    expect(Object.keys(manifest.data)).toEqual([CONFIGMAP.key]);
    const config = parseConfigMapData(manifest.data, 'the printed ConfigMap');
    expect(config.loadConcurrency).toEqual({ globalConfig: 3, perNodeConfig: [], prepareQueueLength: 6 });
    // all: no loadAffinity, so a data mover may run on any node.
    expect(config.loadAffinity).toEqual([]);
    expect(config.podResources).toEqual({ cpuRequest: '1', memoryRequest: '1Gi' });
    const doc = JSON.parse(manifest.data[CONFIGMAP.key]) as Record<string, unknown>;
    // The file's podResources as written ("0": no limit), and nothing of the bench's own.
    expect(doc.podResources).toEqual({ cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' });
    expect(Object.keys(doc)).toEqual(['loadConcurrency', 'podResources']);
    expect(a).toMatchObject({ prepareTimeout: '2h', itemOperationTimeout: '6h', requests: { cpu: '1', memory: '1Gi' } });
    expect(flagLines(a)).toEqual([
      'node-agent (DaemonSet args):   --data-mover-prepare-timeout=2h',
      "backup or schedule:            --item-operation-timeout=6h   (velero backup create / velero schedule create; a Schedule's spec.template.itemOperationTimeout)",
    ]);
  });

  it('velero-1.16\'s ConfigMap has no prepareQueueLength; the configured loadAffinity is the file\'s', async () => {
    const scenario = await loadScenarioFile(EXAMPLE);
    const base = Object.fromEntries(scenario.params.map((p) => [p.name, p.default]));
    const a = appliedSettings(scenario.build({ ...base, concurrency: 2, 'prepare-queue-length': 6 }, 1), 'velero-1.16');
    const config = parseConfigMapData((parse(a.configMap) as { data: Record<string, string> }).data, 'the printed ConfigMap');
    expect(config.loadConcurrency).toEqual({ globalConfig: 2, perNodeConfig: [] });
    expect(config.loadAffinity).toEqual([{ nodeSelector: { matchLabels: { 'datamover-bench.io/backup-node': 'true' } } }]);
  });

  it.each([
    [4 * 3600_000, '4h'],
    [90 * 60_000, '1h30m'],
    [10 * 60_000, '10m'],
    [45_000, '45s'],
    [3600_000 + 5_000, '1h0m5s'],
  ])('durations as a user writes them: %d ms is %s', (ms, text) => {
    expect(shortDuration(ms)).toBe(text);
  });
});
