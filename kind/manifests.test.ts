// kind/manifests/ against the embedded cluster: every manifest applies cleanly with kubectl (a
// server dry run that stores nothing, a real apply, and again with nothing to change), its
// objects pass the server's schema validation (kubectl's default fieldValidation=Strict: an
// unknown or mistyped field is refused), and the RBAC grants exactly what the node-agents and the
// data mover ask of the API in runs of every flow.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { WallClock } from '../controller/clock.ts';
import { runBackup as runDataMover } from '../controller/data-mover/backup.ts';
import { DataMoverTestCluster } from '../controller/data-mover/test-cluster.ts';
import { FLOW_NAMES } from '../controller/flows/types.ts';
import { KubeIo } from '../controller/kube/io.ts';
import { startEmbeddedCluster, type EmbeddedCluster } from '../harness/cluster/embedded.ts';
import { runEmbedded } from '../harness/run/targets/embedded.ts';
import { backupWorkload, BACKUP_WORKLOAD_PARAMS } from '../harness/scenario/backup-workload.ts';
import { REPO_ROOT } from '../harness/scenario/registry.ts';

const MANIFESTS = join(REPO_ROOT, 'kind', 'manifests');
/** The order kind/up.ts applies them in (the CRDs before, as the external-snapshotter's and ours). */
const FILES = ['storage.yaml', 'namespace.yaml', 'rbac.yaml', 'node-agent-config.yaml', 'node-agent.yaml'];
const CRDS = [join(REPO_ROOT, 'harness', 'crds', 'snapshot.storage.k8s.io.yaml'), join(REPO_ROOT, 'controller', 'api', 'crds', 'velero.io_datauploads.yaml')];

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}
const docsOf = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Doc);
/** kubectl's resource.group name of a kind, e.g. "daemonset.apps". */
const kubectlName = (d: Doc) => {
  const group = d.apiVersion.includes('/') ? d.apiVersion.split('/')[0] : '';
  return `${d.kind.toLowerCase()}${group ? `.${group}` : ''}/${d.metadata.name}`;
};

let cluster: EmbeddedCluster;
let dir: string;
let kubeconfig: string;

/** kubectl in a child process; asynchronous, so this process's API server answers it meanwhile. */
function kubectl(args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, out, err }));
    child.stdin.end(input ?? '');
  });
}

describe('kind/manifests with kubectl, against the embedded cluster', () => {
  beforeAll(async () => {
    cluster = await startEmbeddedCluster({ crdFiles: [] });
    dir = mkdtempSync(join(tmpdir(), 'dmb-manifests-'));
    kubeconfig = await cluster.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs the CRDs the manifests need (the snapshot API, the DataUpload)', async () => {
    for (const file of CRDS) {
      const r = await kubectl(['apply', '-f', file]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it.each(FILES)('%s: a server dry run stores nothing, then it applies, then again with nothing to change', async (file) => {
    const path = join(MANIFESTS, file);
    const docs = docsOf(path);
    const names = docs.map(kubectlName);
    const getAll = () => Promise.all(docs.map((d) => kubectl(['get', ...(d.metadata.namespace ? ['-n', d.metadata.namespace] : []), kubectlName(d), '-o', 'name'])));

    const dry = await kubectl(['apply', '--dry-run=server', '-f', path]);
    expect(dry.err).toBe('');
    expect(dry.code).toBe(0);
    for (const n of names) expect(dry.out).toContain(`${n} created (server dry run)`);
    // Flaky once per few CI runs (an empty stderr here): the message keeps what kubectl said, to find out why.
    for (const g of await getAll()) expect(g.err, `kubectl get after the dry run: exit ${g.code}, stdout ${JSON.stringify(g.out)}`).toMatch(/NotFound|not found/);

    const real = await kubectl(['apply', '-f', path]);
    expect(real.err).toBe('');
    expect(real.code).toBe(0);
    for (const n of names) expect(real.out).toContain(`${n} created`);
    for (const g of await getAll()) expect(g.code).toBe(0);

    const again = await kubectl(['apply', '-f', path]);
    expect(again.err).toBe('');
    for (const n of names) expect(again.out).toContain(`${n} unchanged`);
  });

  it('refuses a manifest with a field its schema does not have, or of the wrong type (kubectl validates strictly by default)', async () => {
    const ds = readFileSync(join(MANIFESTS, 'node-agent.yaml'), 'utf8');
    const unknown = await kubectl(['apply', '--dry-run=server', '-f', '-'], ds.replace('imagePullPolicy: Never', 'imagePullPolicy: Never\n          imagePulPolicy: Never'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toMatch(/unknown field "spec.template.spec.containers\[0\].imagePulPolicy"/);
    const mistyped = await kubectl(['apply', '--dry-run=server', '-f', '-'], ds.replace('terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: thirty'));
    expect(mistyped.code).not.toBe(0);
    expect(mistyped.err).toMatch(/terminationGracePeriodSeconds/);
  });

  it('the node-agent config is one the controller accepts (Velero format, one key)', async () => {
    const { parseConfigMapData } = await import('../controller/config.ts');
    const [cm] = docsOf(join(MANIFESTS, 'node-agent-config.yaml'));
    const config = parseConfigMapData(cm.data as Record<string, string>, 'node-agent-config.yaml');
    expect(config.flow).toBe('deploying');
    expect(config.dataMoverThroughput).toBeDefined();
  });
});

// ---- RBAC: least privilege ---------------------------------------------------------------------

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** "verb group/resource" for every verb and resource a rule grants. */
function grants(rules: Rule[]): Set<string> {
  return new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${g}/${res}`)))));
}

/**
 * Granted for paths a run without faults does not take, each with where it is used. A grant
 * not used in the runs below and not listed here fails the test: it would be more than needed.
 */
const USED_ELSEWHERE: Record<string, string> = {
  'patch /persistentvolumes': 'exposer CleanUp: the backup PV set to Delete when it was retained',
  'get /configmaps': 'controller/cli.ts: the node-agent reads its ConfigMap at start (--config-map)',
};

describe('kind/manifests/rbac.yaml', () => {
  const docs = docsOf(join(MANIFESTS, 'rbac.yaml'));
  const clusterRole = docs.find((d) => d.kind === 'ClusterRole')!;
  const role = docs.find((d) => d.kind === 'Role')!;
  const granted = new Set([...grants(clusterRole.rules as Rule[]), ...grants(role.rules as Rule[])]);

  it('binds both roles to the service account the node-agent and the data-mover pods run as', () => {
    const sa = docs.find((d) => d.kind === 'ServiceAccount')!;
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      const b = docs.find((d) => d.kind === kind)!;
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    }
    expect(docs.find((d) => d.kind === 'ClusterRoleBinding')!.roleRef).toMatchObject({ kind: 'ClusterRole', name: clusterRole.metadata.name });
    expect(docs.find((d) => d.kind === 'RoleBinding')!.roleRef).toMatchObject({ kind: 'Role', name: role.metadata.name });
    // The Role reads one ConfigMap, by name.
    expect((role.rules as Rule[])[0].resourceNames).toEqual(['node-agent-config']);
  });

  it('grants what every flow and the data mover ask of the API, and nothing more', async () => {
    const used = new Set<string>();
    const p = Object.fromEntries(BACKUP_WORKLOAD_PARAMS.map((x) => [x.name, x.default]));
    const e = backupWorkload({ ...p, pvcs: 8, namespaces: 2, nodes: 3, 'backup-nodes': 2 }, 1);
    for (const flow of FLOW_NAMES) {
      const r = await runEmbedded({ seed: 1, flow, nodes: e.nodes, pvcs: e.pvcs, nodeAgentConfig: e.nodeAgentConfig(flow), deadlineSeconds: e.deadlineSeconds });
      expect(r.figures.completed).toBe(8);
      for (const a of [...r.apiCost.nodeAgents.access, ...r.apiCost.events.access]) used.add(a);
    }
    // The data mover, on a volume of one small file, to its end.
    const moverUsed = await dataMoverAccess();
    for (const a of moverUsed) used.add(a);
    expect(moverUsed).toEqual(expect.arrayContaining(['get velero.io/datauploads', 'create /events', 'patch /events']));

    const missing = [...used].filter((a) => !granted.has(a)).sort();
    expect(missing, 'asked of the API but not granted').toEqual([]);
    const unused = [...granted].filter((g) => !used.has(g) && !(g in USED_ELSEWHERE)).sort();
    expect(unused, 'granted but never used').toEqual([]);
    for (const g of Object.keys(USED_ELSEWHERE)) expect(granted.has(g), `${g} is listed as used elsewhere but not granted`).toBe(true);
  }, 180_000);
});

/** Runs the real data mover against an embedded cluster and returns what it asked of the API. */
async function dataMoverAccess(): Promise<string[]> {
  const c = await DataMoverTestCluster.start();
  try {
    const ns = await c.namespace();
    const du = await c.createDataUpload(ns, 'du-1', 'InProgress');
    // Slow enough for repeated Progress events, which the data mover folds into one (a patch).
    const volume = await c.volume(du.metadata.uid!, { f: 'x'.repeat(3000) });
    const clock = new WallClock();
    const io = new KubeIo(c.target.kubeConfig, { who: 'data-mover', clock });
    const out = await runDataMover({
      io,
      clock,
      namespace: ns,
      dataUpload: 'du-1',
      node: 'n',
      volumePath: volume.volumePath,
      volumeMode: 'Filesystem',
      root: volume.root,
      throughputBytesPerSecond: 6000,
      progressIntervalMs: 100,
      writeTerminationMessage: () => undefined,
    });
    expect(out.exitCode).toBe(0);
    return [...io.cost.access];
  } finally {
    await c.stop();
  }
}
