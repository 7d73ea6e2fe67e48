// kubectl against `npm run cluster`: the commands a user types, with every kubectl found on
// this machine (the installed one, and kubectl.1.27 / kubectl.1.33 from the google-cloud-sdk).
// Skipped, with the reason printed, only when no kubectl is installed at all.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterProcess, type ClusterProcess } from '../test/cluster-process.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const objectsFile = join(repoRoot, 'harness', 'cluster', 'testdata', 'objects.yaml');
const workloadsFile = join(repoRoot, 'harness', 'cluster', 'testdata', 'workloads.yaml');

function findKubectls(): string[] {
  const found: string[] = [];
  const which = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  const main = which.stdout.trim();
  if (main) found.push(main);
  const sdkBins = ['/usr/lib/google-cloud-sdk/bin', '/usr/share/google-cloud-sdk/bin'];
  for (const dir of sdkBins) {
    for (const v of ['kubectl.1.27', 'kubectl.1.33']) {
      const p = join(dir, v);
      if (existsSync(p) && !found.includes(p)) found.push(p);
    }
  }
  return found;
}

const kubectls = findKubectls();
if (kubectls.length === 0) console.warn('kubectl.test: no kubectl on PATH; the kubectl compatibility tests are skipped');

let cluster: ClusterProcess | undefined;
let kubeconfig: string;

beforeAll(async () => {
  if (kubectls.length === 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'dmb-kubectl-'));
  kubeconfig = join(dir, 'kubeconfig');
  cluster = await startClusterProcess(kubeconfig);
});

afterAll(async () => {
  if (!cluster) return;
  const code = await cluster.stop();
  expect(code, `cluster exit code, output:\n${cluster.output()}`).toBe(0);
  expect(cluster.output()).toContain('SIGTERM: stopping the embedded cluster');
});

function kubectl(bin: string, args: string[], input?: string): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', input, env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function kubectlFails(bin: string, args: string[], input?: string): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', input, env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 30_000 });
  expect(r.status, `${args.join(' ')} should fail`).not.toBe(0);
  return r.stderr;
}

describe.skipIf(kubectls.length === 0).each(kubectls.map((k, i) => [k.split('/').pop()!, k, i]))('%s against npm run cluster', (_label, bin, index) => {
  // Each kubectl works in its own namespace so the versions do not see each other's objects.
  const ns = `demo-${index}`;
  const objects = () =>
    spawnSync('sed', ['-e', `s/namespace: demo$/namespace: ${ns}/`, '-e', `s/^  name: demo$/  name: ${ns}/`, '-e', `s/kubectl-node-1/kubectl-node-${index}/g`, objectsFile], { encoding: 'utf8' }).stdout;

  it('creates a namespace with create, and applies a namespace, node, PVC, configmap and DataUpload from YAML', () => {
    expect(kubectl(bin, ['create', 'namespace', `${ns}-created`])).toContain(`namespace/${ns}-created created`);
    const out = kubectl(bin, ['apply', '-f', '-'], objects());
    expect(out).toContain(`namespace/${ns} created`);
    expect(out).toContain(`persistentvolumeclaim/data-postgres-0 created`);
    expect(out).toContain('configmap/node-agent-config created');
    expect(out).toContain('dataupload.velero.io/backup-1-x7k2p created');
    // A second apply changes nothing.
    const again = kubectl(bin, ['apply', '-f', '-'], objects());
    expect(again).toContain('dataupload.velero.io/backup-1-x7k2p unchanged');
    expect(again).toContain('configmap/node-agent-config unchanged');
  });

  it('gets and describes nodes', () => {
    const nodes = kubectl(bin, ['get', 'nodes']);
    expect(nodes).toMatch(/NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(nodes).toMatch(new RegExp(`kubectl-node-${index}\\s+Ready`));
    const described = kubectl(bin, ['describe', 'node', `kubectl-node-${index}`]);
    expect(described).toContain(`Name:               kubectl-node-${index}`);
    expect(described).toContain('datamover-bench.io/data-mover=true');
    expect(described).toMatch(/Ready\s+True/);
  });

  it('shows the simulated nodes with capacity and conditions', () => {
    const nodes = kubectl(bin, ['get', 'nodes']);
    for (const n of ['worker-1', 'worker-2', 'worker-3']) expect(nodes).toMatch(new RegExp(`${n}\\s+Ready\\s+<none>`));
    expect(kubectl(bin, ['get', 'node', 'worker-1', '-o', 'jsonpath={.status.capacity.cpu}/{.status.capacity.memory}'])).toBe('4/16Gi');
    expect(kubectl(bin, ['describe', 'node', 'worker-1'])).toMatch(/MemoryPressure\s+False .*KubeletHasSufficientMemory/);
  });

  it('runs a pod Pending -> Running -> Succeeded, and describe says why a pod does not fit', async () => {
    const pod = `job-${index}`;
    kubectl(bin, ['run', pod, '-n', ns, '--image=busybox:1.36', '--restart=Never', '--annotations=datamover-bench.io/run-seconds=4']);
    const phases = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (!phases.has('Succeeded')) {
      if (Date.now() > deadline) throw new Error(`pod ${pod} phases seen: ${[...phases].join(', ')}`);
      phases.add(kubectl(bin, ['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.phase}']));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(phases).toContain('Running');
    expect(kubectl(bin, ['get', 'pod', pod, '-n', ns])).toMatch(new RegExp(`${pod}\\s+0/1\\s+Completed`));
    const huge = `huge-${index}`;
    kubectl(bin, ['run', huge, '-n', ns, '--image=busybox:1.36', '--restart=Never', '--overrides', JSON.stringify({ spec: { containers: [{ name: huge, image: 'busybox:1.36', resources: { requests: { cpu: '64' } } }] } })]);
    const until = Date.now() + 15_000;
    let described = '';
    while (!/FailedScheduling/.test(described)) {
      if (Date.now() > until) throw new Error(`no FailedScheduling event:\n${described}`);
      await new Promise((r) => setTimeout(r, 100));
      described = kubectl(bin, ['describe', 'pod', huge, '-n', ns]);
    }
    expect(described).toMatch(/PodScheduled\s+False/);
    expect(described).toMatch(/0\/\d+ nodes are available: .*\d+ Insufficient cpu/);
    kubectl(bin, ['delete', 'pod', huge, '-n', ns]);
  });

  it('gets DataUploads with their printer columns, and PVCs and configmaps with theirs', () => {
    const dus = kubectl(bin, ['get', 'datauploads', '-n', ns]);
    expect(dus).toMatch(/NAME\s+STATUS\s+STARTED\s+BYTES DONE\s+TOTAL BYTES\s+STORAGE LOCATION\s+AGE\s+NODE/);
    expect(dus).toMatch(/backup-1-x7k2p\s+.*default/);
    // The simulated CSI provisioner binds the claim a few seconds after it is created.
    expect(kubectl(bin, ['get', 'pvc', '-n', ns])).toMatch(/data-postgres-0\s+(Pending|Bound)/);
    expect(kubectl(bin, ['get', 'cm', 'node-agent-config', '-n', ns])).toMatch(/node-agent-config\s+1\s+/);
    const yaml = kubectl(bin, ['get', 'dataupload', 'backup-1-x7k2p', '-n', ns, '-o', 'yaml']);
    expect(yaml).toContain('operationTimeout: 10m0s');
    expect(kubectl(bin, ['get', 'datauploads.velero.io', '-n', ns, '-o', 'name'])).toContain('dataupload.velero.io/backup-1-x7k2p');
  });

  it('patches with merge, json and strategic patches, and labels', () => {
    kubectl(bin, ['patch', 'dataupload', 'backup-1-x7k2p', '-n', ns, '--type', 'merge', '-p', '{"status":{"phase":"Accepted"}}']);
    kubectl(bin, ['patch', 'dataupload', 'backup-1-x7k2p', '-n', ns, '--type', 'json', '-p', '[{"op":"add","path":"/status/node","value":"worker-1"}]']);
    kubectl(bin, ['patch', 'configmap', 'node-agent-config', '-n', ns, '--type', 'strategic', '-p', '{"data":{"extra":"1"}}']);
    kubectl(bin, ['label', 'dataupload', 'backup-1-x7k2p', '-n', ns, 'velero.io/expose-on-going=true']);
    kubectl(bin, ['label', 'pvc', 'data-postgres-0', '-n', ns, 'app=postgres']);
    expect(kubectl(bin, ['get', 'datauploads', '-n', ns])).toMatch(/backup-1-x7k2p\s+Accepted\s+.*worker-1/);
    expect(kubectl(bin, ['get', 'datauploads', '-n', ns, '-l', 'velero.io/expose-on-going=true', '-o', 'name'])).toContain('backup-1-x7k2p');
    expect(kubectl(bin, ['get', 'cm', 'node-agent-config', '-n', ns, '-o', 'jsonpath={.data.extra}'])).toBe('1');
    expect(kubectl(bin, ['get', 'pvc', '-n', ns, '-l', 'app=postgres', '-o', 'name'])).toContain('data-postgres-0');
    const bad = kubectlFails(bin, ['patch', 'dataupload', 'backup-1-x7k2p', '-n', ns, '--type', 'merge', '-p', '{"status":{"phase":"Bogus"}}']);
    expect(bad).toContain('status.phase');
    expect(bad).toContain('Unsupported value: "Bogus"');
  });

  it('describes a DataUpload', () => {
    const out = kubectl(bin, ['describe', 'dataupload', 'backup-1-x7k2p', '-n', ns]);
    expect(out).toMatch(/Name:\s+backup-1-x7k2p/);
    expect(out).toMatch(/Phase:\s+Accepted/);
  });

  it('get -w streams changes as they happen', async () => {
    const watcher = spawn(bin, ['get', 'configmaps', '-n', ns, '-w', '--output-watch-events'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
    let out = '';
    watcher.stdout.on('data', (d) => (out += d));
    watcher.stderr.on('data', (d) => (out += d));
    try {
      const until = async (re: RegExp) => {
        const deadline = Date.now() + 15_000;
        while (!re.test(out)) {
          if (Date.now() > deadline) throw new Error(`kubectl get -w never printed ${re}; it printed:\n${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(/node-agent-config/);
      kubectl(bin, ['create', 'configmap', 'watched', '-n', ns, '--from-literal=a=b']);
      await until(/ADDED\s+watched/);
      kubectl(bin, ['label', 'configmap', 'watched', '-n', ns, 'seen=yes']);
      await until(/MODIFIED\s+watched/);
      kubectl(bin, ['delete', 'configmap', 'watched', '-n', ns]);
      await until(/DELETED\s+watched/);
    } finally {
      watcher.kill();
    }
  });

  it('applies DaemonSets, Deployments and RBAC: a server dry run stores nothing, then for real, then again unchanged', () => {
    const wns = `${ns}-velero`;
    // Cluster-scoped names get the kubectl's index too, so the versions do not see each other's.
    const workloads = (sedExtra: string[] = []) =>
      spawnSync('sed', ['-e', `s/namespace: velero$/namespace: ${wns}/`, '-e', `s/velero-node-agent$/velero-node-agent-${index}/`, ...sedExtra, workloadsFile], { encoding: 'utf8' }).stdout;
    const names = [
      'serviceaccount/velero', `clusterrole.rbac.authorization.k8s.io/velero-node-agent-${index}`,
      `clusterrolebinding.rbac.authorization.k8s.io/velero-node-agent-${index}`, 'role.rbac.authorization.k8s.io/velero-config',
      'rolebinding.rbac.authorization.k8s.io/velero-config', 'daemonset.apps/node-agent', 'deployment.apps/velero',
    ];
    kubectl(bin, ['create', 'namespace', wns]);

    const dry = kubectl(bin, ['apply', '--dry-run=server', '-f', '-'], workloads());
    for (const n of names) expect(dry).toContain(`${n} created (server dry run)`);
    expect(kubectlFails(bin, ['get', 'clusterrole', `velero-node-agent-${index}`])).toContain('not found');
    expect(kubectl(bin, ['get', 'ds,deploy,role,rolebinding', '-n', wns, '-o', 'name'])).toBe('');
    expect(kubectlFails(bin, ['get', 'sa', 'velero', '-n', wns])).toContain('not found');

    const real = kubectl(bin, ['apply', '-f', '-'], workloads());
    for (const n of names) expect(real).toContain(`${n} created`);
    const again = kubectl(bin, ['apply', '-f', '-'], workloads());
    for (const n of names) expect(again).toContain(`${n} unchanged`);

    // A new image: the dry run says configured and changes nothing, the real apply bumps the generation.
    const newImage = ['-e', 's|image: velero/velero:v1.16.1|image: velero/velero:v1.17.0|'];
    expect(kubectl(bin, ['apply', '--dry-run=server', '-f', '-'], workloads(newImage))).toContain('daemonset.apps/node-agent configured (server dry run)');
    const image = () => kubectl(bin, ['get', 'ds', 'node-agent', '-n', wns, '-o', 'jsonpath={.metadata.generation} {.spec.template.spec.containers[0].image}']);
    expect(image()).toBe('1 velero/velero:v1.16.1');
    expect(kubectl(bin, ['apply', '-f', '-'], workloads(newImage))).toContain('daemonset.apps/node-agent configured');
    expect(image()).toBe('2 velero/velero:v1.17.0');

    const got = kubectl(bin, ['get', 'ds,deploy,role,rolebinding', '-n', wns]);
    expect(got).toMatch(/NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE/);
    expect(got).toMatch(/daemonset.apps\/node-agent\s+0\s+0\s+0\s+0\s+0\s+kubernetes.io\/os=linux/);
    expect(got).toMatch(/deployment.apps\/velero\s+0\/1\s+0\s+0/);
    expect(got).toMatch(/role.rbac.authorization.k8s.io\/velero-config\s+\d{4}-\d\d-\d\dT/);
    expect(got).toMatch(/rolebinding.rbac.authorization.k8s.io\/velero-config\s+Role\/velero-config/);
    const bindings = kubectl(bin, ['get', 'clusterrolebinding', `velero-node-agent-${index}`, '-o', 'wide']);
    expect(bindings).toMatch(new RegExp(`velero-node-agent-${index}\\s+ClusterRole/velero-node-agent-${index}\\s+\\S+\\s+${wns}/velero`));
    expect(kubectl(bin, ['get', 'deploy', 'velero', '-n', wns, '-o', 'jsonpath={.spec.strategy.rollingUpdate.maxSurge}'])).toBe('25%');
  });

  it('refuses a workload whose selector does not match its template, or with an unknown field, naming the field', () => {
    const ds = (labels: string, extra = '') => [
      'apiVersion: apps/v1', 'kind: DaemonSet', 'metadata: {name: bad}', 'spec:', '  selector: {matchLabels: {name: bad}}',
      '  template:', `    metadata: {labels: ${labels}}`, '    spec:', '      containers:', `      - {name: c, image: busybox${extra}}`, '',
    ].join('\n');
    const mismatch = kubectlFails(bin, ['apply', '-n', ns, '-f', '-'], ds('{name: other}'));
    expect(mismatch).toContain('spec.template.metadata.labels: Invalid value: map[string]string{"name":"other"}: `selector` does not match template `labels`');
    const unknown = kubectlFails(bin, ['apply', '--dry-run=server', '-n', ns, '-f', '-'], ds('{name: bad}', ', imagePulPolicy: Never'));
    expect(unknown).toContain('unknown field "spec.template.spec.containers[0].imagePulPolicy"');
    expect(kubectlFails(bin, ['get', 'ds', 'bad', '-n', ns])).toContain('not found');
  });

  it('explains the fields of a DaemonSet\'s pod template', () => {
    const out = kubectl(bin, ['explain', 'daemonset.spec.template.spec.containers']);
    expect(out).toMatch(/KIND:\s+DaemonSet/);
    expect(out).toMatch(/containers\s+<\[\](Container|Object)>/);
    expect(out).toContain('List of containers belonging to the pod.');
  });

  it('creates and describes a ResourceQuota; a pod over it is refused with the quota\'s message, and a deleted pod gives its share back', async () => {
    const qns = `${ns}-quota`;
    kubectl(bin, ['create', 'namespace', qns]);
    expect(kubectl(bin, ['create', 'quota', 'compute', '-n', qns, '--hard=pods=2,requests.cpu=1,requests.memory=1Gi,limits.memory=2Gi'])).toContain('resourcequota/compute created');
    const podYaml = (name: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: main\n    image: busybox:1.36\n    resources:\n      requests: {cpu: 600m, memory: 256Mi}\n      limits: {memory: 512Mi}\n`;
    // The quota controller writes status.used a moment after the create; until then nothing is constrained.
    const deadline = Date.now() + 10_000;
    while (!kubectl(bin, ['get', 'quota', 'compute', '-n', qns, '-o', 'jsonpath={.status.used.pods}'])) {
      if (Date.now() > deadline) throw new Error('the quota controller did not write status.used');
      await new Promise((r) => setTimeout(r, 50));
    }
    kubectl(bin, ['apply', '-n', qns, '-f', '-'], podYaml('first'));
    const described = kubectl(bin, ['describe', 'quota', 'compute', '-n', qns]);
    expect(described).toMatch(/Name:\s+compute/);
    expect(described).toMatch(new RegExp(`Namespace:\\s+${qns}`));
    expect(described).toMatch(/Resource\s+Used\s+Hard/);
    expect(described).toMatch(/limits\.memory\s+512Mi\s+2Gi/);
    expect(described).toMatch(/pods\s+1\s+2/);
    expect(described).toMatch(/requests\.cpu\s+600m\s+1/);
    expect(described).toMatch(/requests\.memory\s+256Mi\s+1Gi/);
    expect(kubectl(bin, ['get', 'quota', '-n', qns])).toMatch(/compute\s+\S+\s+pods: 1\/2, requests\.cpu: 600m\/1, requests\.memory: 256Mi\/1Gi\s+limits\.memory: 512Mi\/2Gi/);
    const refused = kubectlFails(bin, ['apply', '-n', qns, '-f', '-'], podYaml('second'));
    expect(refused).toContain('pods "second" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1');
    expect(kubectlFails(bin, ['get', 'pod', 'second', '-n', qns])).toContain('not found');
    kubectl(bin, ['delete', 'pod', 'first', '-n', qns, '--wait=false']);
    const freed = Date.now() + 10_000;
    while (kubectl(bin, ['get', 'quota', 'compute', '-n', qns, '-o', 'jsonpath={.status.used.requests\\.cpu}']) !== '0') {
      if (Date.now() > freed) throw new Error('the deleted pod was not given back to the quota');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(kubectl(bin, ['apply', '-n', qns, '-f', '-'], podYaml('second'))).toContain('pod/second created');
    kubectl(bin, ['delete', 'namespace', qns, '--wait=false']);
  });

  it('deletes by name and from YAML; a deleted namespace takes its objects with it', async () => {
    kubectl(bin, ['delete', 'configmap', 'node-agent-config', '-n', ns]);
    expect(kubectlFails(bin, ['get', 'configmap', 'node-agent-config', '-n', ns])).toContain('not found');
    expect(kubectl(bin, ['delete', 'dataupload', 'backup-1-x7k2p', '-n', ns])).toContain('dataupload.velero.io "backup-1-x7k2p" deleted');
    const out = kubectl(bin, ['delete', '-f', '-', '--wait=false', '--ignore-not-found'], objects());
    expect(out).toContain(`namespace "${ns}" deleted`);
    expect(out).toContain(`node "kubectl-node-${index}" deleted`);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = spawnSync(bin, ['get', 'namespace', ns], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } });
      if (r.status !== 0 && r.stderr.includes('not found')) break;
      if (Date.now() > deadline) throw new Error(`namespace ${ns} was not removed: ${r.stdout}${r.stderr}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(kubectlFails(bin, ['get', 'pvc', 'data-postgres-0', '-n', ns])).toContain('not found');
  });
});
