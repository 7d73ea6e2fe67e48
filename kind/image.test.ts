// The image without Docker: its build step (kind/build.ts, the Dockerfile's build stage) bundles
// the two programs, and the bundles run here as they would in the pods: the data mover through
// /velero against the embedded cluster, the controller's command line. The Dockerfile, /velero
// and the DaemonSet must agree on the paths and the image name.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DATA_PATH_EVENT_REASON as R } from '../controller/api/dataupload.ts';
import { content, DataMoverTestCluster, expectedSnapshotId } from '../controller/data-mover/test-cluster.ts';
import { KIND_IMAGE } from '../harness/run/targets/cluster.ts';
import { REPO_ROOT } from '../harness/scenario/registry.ts';
import { buildImagePrograms, IMAGE_PROGRAMS } from './build.ts';

const KIND = join(REPO_ROOT, 'kind');
let out: string;
let cluster: DataMoverTestCluster;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'dmb-image-'));
  await buildImagePrograms(out);
  cluster = await DataMoverTestCluster.start();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(out, { recursive: true, force: true });
});

describe('the image, built without Docker', () => {
  it('bundles each program into one file that needs no node_modules', () => {
    for (const name of Object.values(IMAGE_PROGRAMS)) {
      const text = readFileSync(join(out, name), 'utf8');
      expect(text.length).toBeGreaterThan(1000);
      // Only Node's own modules are imported at run time.
      const imports = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]);
      expect(imports.filter((i) => !isBuiltin(i))).toEqual([]);
    }
  });

  it("the controller's bundle runs its command line", () => {
    const r = spawnSync(process.execPath, [join(out, IMAGE_PROGRAMS['controller/cli.ts']), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('controller node-agent');
    expect(r.stdout).toContain('--data-mover-image');
  });

  it("the data mover's bundle, run as /velero runs it, backs up a DataUpload against the embedded cluster", async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-image', 'InProgress');
    const data = content(6000, 7);
    const volume = await cluster.volume(du.metadata.uid!, { 'data/a': data });
    const kubeconfig = await cluster.target.embedded!.writeKubeconfig(join(volume.root, 'kubeconfig.yaml'));
    const terminationLog = join(volume.root, 'termination-log');
    const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, DATA_MOVER_TERMINATION_LOG: terminationLog, VELERO_NAMESPACE: ns, NODE_NAME: 'worker-1', DATA_MOVER_THROUGHPUT: '1Mi' };
    delete env.KUBERNETES_SERVICE_HOST;
    // /velero's line, with the bundle where the image has it.
    const wrapper = readFileSync(join(KIND, 'velero'), 'utf8');
    const [, program] = wrapper.match(/exec node (\S+) "\$@"/)!;
    const bundle = join(out, program.replace(/^\/app\//, ''));
    const code = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, [bundle, 'data-mover', 'backup', `--volume-path=${volume.dir}`, '--volume-mode=Filesystem', '--data-upload=du-image', '--resource-timeout=4h0m0s'], { env, stdio: 'ignore' });
      child.on('exit', done);
    });
    expect(code).toBe(0);
    const result = JSON.parse(await readFile(terminationLog, 'utf8'));
    expect(result).toMatchObject({ snapshotID: expectedSnapshotId(data), totalBytes: 6000, emptySnapshot: false });
    const events = await cluster.events(ns, 'du-image');
    expect([...events.keys()]).toEqual(expect.arrayContaining([R.Started, R.Progress, R.Completed, R.Stopped]));
  });
});

describe('the Dockerfile, /velero and the DaemonSet agree', () => {
  const dockerfile = readFileSync(join(KIND, 'Dockerfile'), 'utf8');
  const [ds] = parseAllDocuments(readFileSync(join(KIND, 'manifests', 'node-agent.yaml'), 'utf8')).map((d) => d.toJS());
  const container = ds.spec.template.spec.containers[0];

  it('the build stage runs kind/build.ts into /out, which the image holds as /app; /velero is the wrapper', () => {
    expect(dockerfile).toMatch(/RUN npx tsx kind\/build\.ts --out \/out/);
    expect(dockerfile).toMatch(/COPY --from=build \/out \/app/);
    expect(dockerfile).toMatch(/COPY --chmod=0755 kind\/velero \/velero/);
    expect(readFileSync(join(KIND, 'velero'), 'utf8')).toContain(`/app/${IMAGE_PROGRAMS['controller/data-mover/main.ts']}`);
  });

  it("the DaemonSet runs the image's controller as in-cluster node-agents that give data-mover pods the same image", () => {
    expect(container.image).toBe(KIND_IMAGE);
    expect(container.command.slice(0, 3)).toEqual(['node', `/app/${IMAGE_PROGRAMS['controller/cli.ts']}`, 'node-agent']);
    expect(container.command).toContain('--in-cluster');
    expect(container.command).toContain(`--data-mover-image=${KIND_IMAGE}`);
    expect(container.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(ds.spec.template.spec.serviceAccountName).toBe('velero');
  });
});
