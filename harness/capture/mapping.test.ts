// capture's rules as functions of data, each on cases worked out by hand: pools, zones, the
// storage topology, Velero's choice of VolumeSnapshotClass and of a Schedule's namespaces, the
// ConfigMap's renames, flags, and the options refused with what is accepted.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Node, V1PersistentVolume, V1Taint } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { VolumeSnapshotClass } from '../../controller/api/snapshot.ts';
import { UsageError } from '../cli/args.ts';
import { kubeconfigFor } from '../cluster/embedded.ts';
import { mapNodeAgentDocument } from './configmap.ts';
import { dnsLabel, namespaceMatches, NothingToCaptureError, scheduleNamespaces, snapshotClassProblem, storageTopologyOf, toScenarioFile, zoneCycle } from './mapping.ts';
import { loadKubeConfig, parseCaptureArgs } from './options.ts';
import { flagOf, type ClusterRead } from './read.ts';

function node(name: string, labels: Record<string, string> = {}, taints: V1Taint[] = [], cpu = '4'): V1Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } },
    spec: { taints },
    status: { capacity: { cpu, memory: '16Gi', pods: '110' }, allocatable: { cpu, memory: '15Gi', pods: '110' } },
  };
}
const pv = (name: string, key?: string, values: string[] = []): V1PersistentVolume => ({
  metadata: { name },
  spec: { csi: { driver: 'd', volumeHandle: name }, ...(key ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values }] }] } } } : {}) },
});

/** A small cluster as read: nodes as given, one Bound CSI PVC per entry of `pvcs`, one class, one snapshot class. */
function clusterRead(nodes: V1Node[], pvcs: { ns: string; name: string; size: string }[], snapshotApi = true): ClusterRead {
  const snapshotClasses: VolumeSnapshotClass[] | undefined = snapshotApi ? [{ metadata: { name: 'snap' }, driver: 'csi.example.com', deletionPolicy: 'Delete' }] : undefined;
  return {
    context: 'kind-test',
    nodes,
    pvcs: pvcs.map((p) => ({ metadata: { namespace: p.ns, name: p.name }, spec: { volumeName: `pv-${p.ns}-${p.name}`, storageClassName: 'fast' }, status: { phase: 'Bound', capacity: { storage: p.size } } })),
    pvs: pvcs.map((p) => ({ metadata: { name: `pv-${p.ns}-${p.name}` }, spec: { csi: { driver: 'csi.example.com', volumeHandle: p.name } } })),
    storageClasses: [{ metadata: { name: 'fast' }, provisioner: 'csi.example.com', volumeBindingMode: 'WaitForFirstConsumer' }],
    snapshotClasses,
    configMapName: 'node-agent-config',
    configMapNameFrom: 'default',
    notes: [],
  };
}
const map = (read: ClusterRead, keepNames = false) => toScenarioFile(read, { keepNames, capturedAt: new Date(0), veleroNamespace: 'velero' });

describe('nodes -> pools', () => {
  it('nodes differing only in their name, their hostname label and a lifecycle taint are one pool; a label apart is another pool, pools ordered by first node', () => {
    const nodes = [
      node('b-2', { role: 'app' }, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]),
      node('b-1', { role: 'app', 'csi.example.com/node': 'b-1' }),
      node('a-9', { role: 'backup' }, [{ key: 'dedicated', value: 'backup', effect: 'NoSchedule' }]),
    ];
    // csi.example.com/node is set on b-1 only, and names it: dropped, so b-1 and b-2 stay together.
    const c = map(clusterRead(nodes, [{ ns: 'app', name: 'd', size: '1Gi' }]));
    expect(c.file.nodes).toEqual([
      { name: 'pool-1', names: ['node-01'], capacity: { cpu: '4', memory: '16Gi', pods: '110' }, allocatable: { cpu: '4', memory: '15Gi', pods: '110' }, labels: { role: 'backup' }, taints: [{ key: 'dedicated', value: 'backup', effect: 'NoSchedule' }] },
      { name: 'pool-2', names: ['node-02', 'node-03'], capacity: { cpu: '4', memory: '16Gi', pods: '110' }, allocatable: { cpu: '4', memory: '15Gi', pods: '110' }, labels: { role: 'app' } },
    ]);
    expect(c.header).toContain('Dropped 1 taint the node lifecycle manages (node.kubernetes.io/*).');
    expect(c.header.some((l) => l.startsWith('Warning: pool-1 has the taint dedicated=backup:NoSchedule: the embedded cluster\'s data-mover pods carry no tolerations'))).toBe(true);
    expect(map(clusterRead(nodes, [{ ns: 'app', name: 'd', size: '1Gi' }]), true).file.nodes.map((p) => p.names)).toEqual([['a-9'], ['b-1', 'b-2']]);
  });

  it.each([
    [['a', 'b', 'c', 'a'], ['a', 'b', 'c']],
    [['a', 'b', 'a', 'b'], ['a', 'b']],
    [['a', 'a'], ['a']],
    [['a', 'a', 'b'], ['a', 'a', 'b']],
    [['b', 'a', 'c'], ['b', 'a', 'c']],
  ])('zones of nodes %j in name order -> zones %j (node i in zones[i mod n])', (perNode, zones) => {
    expect(zoneCycle(perNode)).toEqual(zones);
  });
});

describe('storage topology from the PVs\' node affinity', () => {
  const nodes = [node('n1', { 'topology.kubernetes.io/zone': 'z1', 'topology.ebs.csi.aws.com/zone': 'z1', 'topology.hostpath.csi/node': 'n1' }), node('n2', { 'topology.kubernetes.io/zone': 'z2' })];
  it.each([
    ['no node affinity', 'none', [pv('a'), pv('b')]],
    ['kubernetes.io/hostname', 'node-local', [pv('a', 'kubernetes.io/hostname', ['n1'])]],
    ['a key whose value is a node\'s name', 'node-local', [pv('a', 'topology.hostpath.csi/node', ['n1'])]],
    ['topology.kubernetes.io/zone', 'zonal', [pv('a', 'topology.kubernetes.io/zone', ['z1'])]],
    ['a driver\'s own zone key', 'zonal', [pv('a', 'topology.ebs.csi.aws.com/zone', ['z1'])]],
  ])('%s -> %s', (_what, want, pvs) => {
    const warnings: string[] = [];
    expect(storageTopologyOf(pvs, nodes, warnings)).toBe(want);
    expect(warnings).toEqual([]);
  });

  it('mixed: the most common, with a warning naming the counts', () => {
    const warnings: string[] = [];
    const pvs = [pv('a', 'topology.kubernetes.io/zone', ['z1']), pv('b', 'topology.kubernetes.io/zone', ['z2']), pv('c', 'kubernetes.io/hostname', ['n1'])];
    expect(storageTopologyOf(pvs, nodes, warnings)).toBe('zonal');
    expect(warnings).toEqual(['the PVs\' topologies are mixed (zonal 2, node-local 1): the file says zonal, the most common']);
  });

  it('a key naming neither a node nor a zone counts as none, with a warning', () => {
    const warnings: string[] = [];
    expect(storageTopologyOf([pv('a', 'topology.kubernetes.io/region', ['r'])], nodes, warnings)).toBe('none');
    expect(warnings).toEqual(['PV node affinity on topology.kubernetes.io/region, which names neither a node nor a zone: counted as storage topology none']);
  });
});

describe('Velero\'s VolumeSnapshotClass for a provisioner (GetVolumeSnapshotClassForStorageClass)', () => {
  const vsc = (name: string, driver: string, extra: Partial<VolumeSnapshotClass['metadata']> = {}): VolumeSnapshotClass => ({ metadata: { name, ...extra }, driver, deletionPolicy: 'Delete' });
  it.each<[string, VolumeSnapshotClass[] | undefined, string | undefined]>([
    ['the only class of the driver', [vsc('a', 'd')], undefined],
    ['one of two, labelled for Velero', [vsc('a', 'd'), vsc('b', 'd', { labels: { 'velero.io/csi-volumesnapshot-class': 'true' } })], undefined],
    ['one of two, annotated default', [vsc('a', 'd'), vsc('b', 'd', { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } })], undefined],
    ['two, neither marked', [vsc('a', 'd'), vsc('b', 'd')], '2 VolumeSnapshotClasses for its provisioner d and none labelled velero.io/csi-volumesnapshot-class or annotated snapshot.storage.kubernetes.io/is-default-class'],
    ['another driver\'s only', [vsc('a', 'other')], 'no VolumeSnapshotClass for its provisioner d'],
    ['no snapshot API', undefined, 'the cluster has no VolumeSnapshotClass API (snapshot.storage.k8s.io/v1)'],
  ])('%s', (_what, classes, problem) => {
    expect(snapshotClassProblem('d', classes)).toBe(problem);
  });

  it('no PVC left to move is an error naming why, not an empty file', () => {
    expect(() => map(clusterRead([node('n')], [{ ns: 'a', name: 'p', size: '1Gi' }], false))).toThrow(NothingToCaptureError);
    expect(() => map(clusterRead([node('n')], [{ ns: 'a', name: 'p', size: '1Gi' }], false))).toThrow(/none is a Bound CSI volume .*1 of StorageClass sc-1: the cluster has no VolumeSnapshotClass API/);
  });
});

describe('a Schedule\'s namespaces (Velero IncludesExcludes: globs, * or none is all, excludes win)', () => {
  const namespaces = ['app-a', 'app-b', 'db', 'logging'];
  it.each<[string, { includedNamespaces?: string[]; excludedNamespaces?: string[] }, string[]]>([
    ['none included: all', {}, namespaces],
    ['*', { includedNamespaces: ['*'] }, namespaces],
    ['* less an excluded one', { includedNamespaces: ['*'], excludedNamespaces: ['logging'] }, ['app-a', 'app-b', 'db']],
    ['a glob', { includedNamespaces: ['app-*'] }, ['app-a', 'app-b']],
    ['a glob excluded', { includedNamespaces: ['app-*', 'db'], excludedNamespaces: ['app-?'] }, ['db']],
    ['a namespace not captured', { includedNamespaces: ['gone'] }, []],
  ])('%s', (_what, template, want) => {
    expect(scheduleNamespaces(template, namespaces)).toEqual(want);
  });
  it('one item operation timeout for every backup: the longest one would get, a Schedule\'s own or else the server\'s default', () => {
    const schedule = (name: string, itemOperationTimeout?: string) => ({ metadata: { name }, spec: { schedule: '@daily', template: { includedNamespaces: ['app'], ...(itemOperationTimeout ? { itemOperationTimeout } : {}) } } });
    const read = (schedules: ReturnType<typeof schedule>[], veleroArgs?: string[]) => ({ ...clusterRead([node('n')], [{ ns: 'app', name: 'd', size: '1Gi' }]), schedules, veleroArgs });
    // b sets none: Velero's default, 4h, is longer than a's 1h.
    expect(map(read([schedule('a', '1h'), schedule('b')])).file.server).toEqual({ itemOperationTimeout: '4h' });
    expect(map(read([schedule('a', '1h'), schedule('b')], ['server', '--default-item-operation-timeout=30m'])).file.server).toEqual({ itemOperationTimeout: '1h' });
    expect(map(read([schedule('a', '90m'), schedule('b', '2h')])).file.server).toEqual({ itemOperationTimeout: '2h' });
    // Nothing set anywhere: left out, the scenario's default is Velero's.
    expect(map(read([schedule('a')])).file.server).toBeUndefined();
  });

  it('a dot in a pattern is a dot', () => {
    expect(namespaceMatches('a.b', 'axb')).toBe(false);
  });
});

describe('the ConfigMap\'s renames, in place', () => {
  const maps = { nodes: new Map([['ip-10-0-0-1', 'node-01'], ['ip-10-0-0-2', 'node-02']]), storageClasses: new Map([['gp3', 'sc-1'], ['gp3-backup', 'sc-2']]) };
  it('maps hostname selectors and class names, and copies every other byte (spacing, order, escapes)', () => {
    const text = '{"loadAffinity":[{"nodeSelector":{"matchExpressions":[{"values":[ "ip-10-0-0-2","ip-10-0-0-1" ],"operator":"In","key":"kubernetes.io/hostname"}]},"storageClass":"gp3"}],\n  "backupPVC": {"gp3": {"storageClass": "gp3-backup", "readOnly": true}},\n  "podLabels": {"owner": "ip-10-0-0-1", "note": "a \\"quoted\\" ip-10-0-0-1"}}';
    const m = mapNodeAgentDocument(text, maps);
    expect(m.text).toBe(
      '{"loadAffinity":[{"nodeSelector":{"matchExpressions":[{"values":[ "node-02","node-01" ],"operator":"In","key":"kubernetes.io/hostname"}]},"storageClass":"sc-1"}],\n  "backupPVC": {"sc-1": {"storageClass": "sc-2", "readOnly": true}},\n  "podLabels": {"owner": "ip-10-0-0-1", "note": "a \\"quoted\\" ip-10-0-0-1"}}',
    );
    expect(m.renamed).toEqual(['loadAffinity[0].nodeSelector: kubernetes.io/hostname values -> node aliases', 'loadAffinity[0].storageClass: StorageClass -> its alias', 'backupPVC.sc-1: StorageClass key -> its alias', 'backupPVC.sc-1.storageClass: StorageClass -> its alias']);
  });

  it('a node the cluster does not have becomes node-absent-N: it matched nothing before and matches nothing after', () => {
    const m = mapNodeAgentDocument('{"loadConcurrency": {"perNodeConfig": [{"nodeSelector": {"matchLabels": {"kubernetes.io/hostname": "old-node"}}, "number": 2}]}}', maps);
    expect(m.text).toBe('{"loadConcurrency": {"perNodeConfig": [{"nodeSelector": {"matchLabels": {"kubernetes.io/hostname": "node-absent-1"}}, "number": 2}]}}');
  });

  it('text that is not JSON is refused (the caller copies it unchanged)', () => {
    expect(() => mapNodeAgentDocument('loadConcurrency: 1', maps)).toThrow(SyntaxError);
  });
});

describe('flags, names and options', () => {
  it.each<[string[], string | undefined]>([
    [['server', '--concurrent-backups=2'], '2'],
    [['server', '--concurrent-backups', '3'], '3'],
    [['--concurrent-backups=2', '--concurrent-backups=4'], '4'],
    [['--concurrent-backups-x=2'], undefined],
    [['server'], undefined],
  ])('flagOf(%j, concurrent-backups) -> %j', (args, want) => {
    expect(flagOf(args, 'concurrent-backups')).toBe(want);
  });

  it.each([
    ['kind-prod', 'kind-prod'],
    ['arn:aws:eks:eu-west-1:1234:cluster/Prod', 'arn-aws-eks-eu-west-1-1234-cluster-prod'],
    ['--', ''],
  ])('context %j -> metadata.name %j', (context, want) => {
    expect(dnsLabel(context)).toBe(want);
  });

  it.each<[string[], string]>([
    [['--namespaces', 'shop,Bad_NS'], '--namespaces: "Bad_NS" is not accepted: a namespace is a DNS-1123 label'],
    [['--namespaces', 'shop,,db'], '--namespaces: "shop,,db" is not accepted: a comma-separated list of namespaces'],
    [['--velero-namespace', 'Velero'], '--velero-namespace: "Velero" is not accepted: a namespace is a DNS-1123 label'],
    [['--configmap', 'node agent'], '--configmap: "node agent" is not accepted: a ConfigMap name is a DNS-1123 subdomain'],
    [['--out', ''], '--out: "" is not accepted: a file path'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCaptureArgs(argv)).toThrow(UsageError);
    expect(() => parseCaptureArgs(argv)).toThrow(message);
  });

  it('unknown options and missing values are refused by name (parseArgs: exit 2)', () => {
    expect(() => parseCaptureArgs(['--namespace', 'x'])).toThrow(/Unknown option '--namespace'/);
    expect(() => parseCaptureArgs(['--out'])).toThrow(/--out/);
  });

  it('defaults', () => {
    expect(parseCaptureArgs([])).toEqual({ veleroNamespace: 'velero', keepNames: false, quiet: false, help: false });
    expect(parseCaptureArgs(['--namespaces', 'b,a,b', '--keep-names'])).toMatchObject({ namespaces: ['b', 'a'], keepNames: true });
  });

  it('a kubeconfig that is not there, or a context it does not have, is refused by name', () => {
    expect(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' })).toThrow('--kubeconfig: "/nonexistent/kubeconfig" is not accepted: no such file');
    const file = join(mkdtempSync(join(tmpdir(), 'capture-')), 'kubeconfig');
    writeFileSync(file, kubeconfigFor('http://127.0.0.1:1'));
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'prod' })).toThrow('--context: "prod" is not accepted: the kubeconfig\'s contexts are datamover-bench');
    expect(loadKubeConfig({ kubeconfig: file, context: 'datamover-bench' }).getCurrentCluster()?.server).toBe('http://127.0.0.1:1');
  });
});
