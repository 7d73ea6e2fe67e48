// The kind target's scripts without Docker: the dry run (as a child process and from upPlan),
// options, the real runner against fake tools on PATH, kind/cluster.yaml and the workflow.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BACKUP_NODE_LABEL } from '../harness/scenario/backup-workload.ts';
import { CSI_HOSTPATH_NODE_LABEL, downPlan, dryRunLines, formatCommand, kwokNodes, OptionError, parseDownArgs, parseUpArgs, upPlan, type Command, type Step, type UpOptions } from './plan.ts';
import { REPO_ROOT, runSteps, type Exec } from './run.ts';
import * as V from './versions.ts';

const TSX_CLI = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const DEFAULTS: UpOptions = { name: 'datamover-bench', dryRun: true, skipImage: false, kwok: 0 };
const WORK = join(tmpdir(), 'datamover-bench-kind-XXXXXX');

/** A script of the repo run as `node tsx-cli script args`, with the given environment. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [TSX_CLI, script, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
}

const commandLines = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('+ '));
const indexOf = (lines: string[], fragment: string): number => {
  const i = lines.findIndex((l) => l.includes(fragment));
  expect(i, `no line contains ${fragment}`).toBeGreaterThanOrEqual(0);
  return i;
};

describe('kind:up --dry-run (npx tsx kind/up.ts --dry-run)', () => {
  let out: SpawnSyncReturns<string>;
  beforeAll(() => {
    out = spawnSync('npx', ['tsx', 'kind/up.ts', '--dry-run'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  });

  it('prints the plan’s commands, one per line, and exits 0', () => {
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout.trimEnd().split('\n')).toEqual(dryRunLines(upPlan(DEFAULTS, WORK)));
  });

  it('runs the steps in the issue’s order, each tool checked before its first use', () => {
    const lines = commandLines(out.stdout);
    const order = [
      '+ bash --version',
      '+ docker info',
      '+ kind version',
      '+ kubectl --context kind-datamover-bench version --client',
      '+ kind get clusters',
      '+ kind create cluster --config kind/cluster.yaml --name datamover-bench',
      '+ git version',
      '//client/config/crd?ref=',
      '//deploy/kubernetes/snapshot-controller?ref=',
      'rollout status deployment/snapshot-controller',
      '+ curl --version',
      '+ git clone',
      '/deploy.sh',
      `patch statefulset/csi-hostpathplugin --type=merge -p '{"spec":{"template":{"spec":{"nodeSelector":{"datamover-bench.io/csi-hostpath":"true"}}}}}'`,
      'rollout status statefulset/csi-hostpathplugin',
      'apply -f kind/manifests/storage.yaml',
      'apply -f controller/api/crds/velero.io_datauploads.yaml',
      '+ docker build -t datamover-bench:dev -f kind/Dockerfile .',
      '+ kind load docker-image datamover-bench:dev --name datamover-bench',
      'apply -f kind/manifests/namespace.yaml',
      'apply -f kind/manifests/rbac.yaml',
      'apply -f kind/manifests/node-agent-config.yaml',
      'apply -f kind/manifests/node-agent.yaml',
      '-n velero rollout status daemonset/node-agent --timeout=',
    ];
    const at = order.map((f) => indexOf(lines, f));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(lines.at(-1)).toContain('rollout status daemonset/node-agent');
    // Each check once.
    expect(lines.filter((l) => l === '+ docker info')).toHaveLength(1);
  });

  it('puts the pinned versions in the URLs', () => {
    const lines = commandLines(out.stdout);
    expect(lines).toContain(`+ kubectl --context kind-datamover-bench apply -k 'https://github.com/kubernetes-csi/external-snapshotter//client/config/crd?ref=${V.EXTERNAL_SNAPSHOTTER_VERSION}'`);
    expect(lines).toContain(`+ kubectl --context kind-datamover-bench apply -k 'https://github.com/kubernetes-csi/external-snapshotter//deploy/kubernetes/snapshot-controller?ref=${V.EXTERNAL_SNAPSHOTTER_VERSION}'`);
    expect(lines).toContain(`+ git clone --quiet --depth 1 --branch ${V.CSI_DRIVER_HOST_PATH_VERSION} https://github.com/kubernetes-csi/csi-driver-host-path.git ${WORK}/csi-driver-host-path`);
    expect(lines).toContain(`+ KUBECONFIG=${WORK}/kubeconfig ${WORK}/csi-driver-host-path/deploy/${V.CSI_DRIVER_HOST_PATH_DEPLOYMENT}/deploy.sh`);
    for (const l of lines.filter((l) => l.includes('https://'))) expect(l).toMatch(/[?=/ ]v\d+\.\d+\.\d+/);
  });

  it('names the context on every kubectl call', () => {
    const kubectl = commandLines(out.stdout).filter((l) => /(^\+ |\s)kubectl\s/.test(l));
    expect(kubectl.length).toBeGreaterThan(10);
    for (const l of kubectl) expect(l).toMatch(/^\+ kubectl --context kind-datamover-bench /);
    // deploy.sh's plain kubectl sees only this cluster: a kubeconfig kind exported for it.
    expect(indexOf(commandLines(out.stdout), `+ kind export kubeconfig --name datamover-bench --kubeconfig ${WORK}/kubeconfig`)).toBeLessThan(
      indexOf(commandLines(out.stdout), '/deploy.sh'),
    );
  });
});

describe('upPlan', () => {
  const ids = (steps: Step[]) => steps.map((s) => s.id);
  const lines = (opts: Partial<UpOptions>) => dryRunLines(upPlan({ ...DEFAULTS, ...opts }, WORK)).filter((l) => l.startsWith('+ '));

  it('orders the steps: cluster, snapshots, driver, storage, CRDs, image, node-agent', () => {
    expect(ids(upPlan(DEFAULTS, WORK))).toEqual(['cluster', 'snapshot-controller', 'csi-driver-host-path', 'storage', 'crds', 'image', 'node-agent']);
  });

  it('--skip-image removes the build and the load, and nothing else', () => {
    const skipped = lines({ skipImage: true });
    expect(ids(upPlan({ ...DEFAULTS, skipImage: true }, WORK))).not.toContain('image');
    expect(skipped.some((l) => l.includes('docker build') || l.includes('kind load'))).toBe(false);
    expect(skipped).toEqual(lines({}).filter((l) => !l.includes('docker build') && !l.includes('kind load')));
  });

  it('--kwok 3 adds KWOK after the node-agent, at its pinned release, and 3 fake nodes', () => {
    const steps = upPlan({ ...DEFAULTS, kwok: 3 }, WORK);
    expect(ids(steps).at(-1)).toBe('kwok');
    const kwok = lines({ kwok: 3 });
    expect(kwok.slice(0, lines({}).length)).toEqual(lines({}));
    const added = kwok.slice(lines({}).length);
    expect(added.slice(0, 4)).toEqual([
      `+ kubectl --context kind-datamover-bench apply -f https://github.com/kubernetes-sigs/kwok/releases/download/${V.KWOK_VERSION}/kwok.yaml`,
      '+ kubectl --context kind-datamover-bench wait --for=condition=Established --timeout=60s crd/stages.kwok.x-k8s.io',
      '+ kubectl --context kind-datamover-bench -n kube-system rollout status deployment/kwok-controller --timeout=180s',
      `+ kubectl --context kind-datamover-bench apply -f https://github.com/kubernetes-sigs/kwok/releases/download/${V.KWOK_VERSION}/stage-fast.yaml`,
    ]);
    // The nodes go in as a here-string; read them back from the printed line.
    const apply = added[4];
    expect(apply).toMatch(/^\+ kubectl --context kind-datamover-bench apply -f - <<< '/);
    const list = JSON.parse(apply.slice(apply.indexOf("'") + 1, -1));
    expect(list.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['kwok-node-0', 'kwok-node-1', 'kwok-node-2']);
    for (const n of list.items) {
      expect(n.kind).toBe('Node');
      expect(n.metadata.labels.type).toBe('kwok');
      expect(n.metadata.annotations['kwok.x-k8s.io/node']).toBe('fake');
      expect(n.spec.taints).toEqual([{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }]);
      // Not a backup node: loadAffinity must not send data movers where nothing runs.
      expect(n.metadata.labels[BACKUP_NODE_LABEL]).toBeUndefined();
    }
    expect(added[5]).toBe('+ kubectl --context kind-datamover-bench wait --for=condition=Ready node -l type=kwok --timeout=180s');
    expect(added).toHaveLength(6);
  });

  it('--name names the cluster, the context and the image load', () => {
    const other = lines({ name: 'other' });
    expect(other.join('\n')).not.toContain('datamover-bench --');
    expect(other).toContain('+ kind create cluster --config kind/cluster.yaml --name other --wait 120s');
    expect(other).toContain('+ kind load docker-image datamover-bench:dev --name other');
    for (const l of other.filter((l) => l.startsWith('+ kubectl'))) expect(l).toMatch(/^\+ kubectl --context kind-other /);
  });

  it('skips creating a cluster that kind already lists, by exact name', () => {
    const skip = upPlan(DEFAULTS, WORK)[0].skip!;
    expect(skip.probe.argv).toEqual(['kind', 'get', 'clusters']);
    expect(skip.applies('kind\ndatamover-bench\n')).toBe(true);
    expect(skip.applies('datamover-bench-2\n')).toBe(false);
    expect(skip.applies('')).toBe(false);
  });

  it('kwokNodes makes n nodes with distinct names', () => {
    expect(kwokNodes(1).items).toHaveLength(1);
    expect(new Set(kwokNodes(50).items.map((n) => (n as { metadata: { name: string } }).metadata.name)).size).toBe(50);
  });
});

describe('options', () => {
  it.each([
    [['--kwok', 'abc'], /--kwok: "abc" is not accepted: a whole number of KWOK fake nodes from 1 to 1000/],
    [['--kwok', '0'], /--kwok: "0" is not accepted/],
    [['--kwok', '2.5'], /--kwok: "2.5" is not accepted/],
    [['--kwok', '1001'], /--kwok: "1001" is not accepted/],
    [['--kwok'], /--kwok needs a value: --kwok N/],
    [['--name', 'Bad_Name'], /--name: "Bad_Name" is not accepted: a cluster name of lowercase letters, digits and '-'/],
    [['--name', '-x'], /--name needs a value|--name: "-x" is not accepted/],
    [['--bogus'], /unknown option --bogus: accepted options are --dry-run, --name NAME, --skip-image, --kwok N, --help/],
    [['extra'], /unexpected argument "extra"/],
    [['--skip-image=yes'], /--skip-image takes no value/],
  ])('kind:up %j is refused', (args, message) => {
    expect(() => parseUpArgs(args)).toThrow(OptionError);
    expect(() => parseUpArgs(args)).toThrow(message);
  });

  it('accepts every option', () => {
    expect(parseUpArgs([])).toEqual({ name: 'datamover-bench', dryRun: false, skipImage: false, kwok: 0 });
    expect(parseUpArgs(['--dry-run', '--name', 'b2', '--skip-image', '--kwok', '3'])).toEqual({ name: 'b2', dryRun: true, skipImage: true, kwok: 3 });
    expect(parseUpArgs(['--kwok=1000'])).toMatchObject({ kwok: 1000 });
    expect(parseUpArgs(['--help'])).toBe('help');
    expect(parseDownArgs(['--name', 'x', '--dry-run'])).toEqual({ name: 'x', dryRun: true });
    expect(() => parseDownArgs(['--kwok', '3'])).toThrow(/kind:down: unknown option --kwok/);
  });

  it('a bad value exits 2 with a message naming the option, the value and what is accepted', () => {
    const r = runScript('kind/up.ts', ['--dry-run', '--kwok', 'many']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('kind:up: --kwok: "many" is not accepted: a whole number of KWOK fake nodes from 1 to 1000');
    expect(r.stdout).toBe('');
  });

  it('--help says what KWOK nodes cannot do', () => {
    const r = runScript('kind/up.ts', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('data-mover pods cannot run there');
    expect(r.stdout).toContain('--skip-image');
  });
});

describe('kind:down', () => {
  it('--dry-run prints the checks and the delete', () => {
    const r = runScript('kind/down.ts', ['--dry-run']);
    expect(r.status).toBe(0);
    expect(commandLines(r.stdout)).toEqual(['+ bash --version', '+ docker info', '+ kind version', '+ kind delete cluster --name datamover-bench']);
    expect(commandLines(r.stdout)).toEqual(commandLines(dryRunLines(downPlan({ name: 'datamover-bench', dryRun: true })).join('\n')));
  });

  it('--name picks the cluster; a bad option exits 2', () => {
    expect(commandLines(runScript('kind/down.ts', ['--dry-run', '--name', 'x']).stdout).at(-1)).toBe('+ kind delete cluster --name x');
    const bad = runScript('kind/down.ts', ['--name']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('kind:down: --name needs a value');
  });
});

// Fake tools: node scripts on a PATH of their own that log each call (argv, stdin, KUBECONFIG)
// to FAKE_LOG. `git clone` lays down a fake deploy.sh, which logs too.
const FAKE_TOOL = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const entry = { argv: [tool, ...args] };
if (args.at(-1) === '-') entry.stdin = fs.readFileSync(0, 'utf8');
if (tool === 'deploy.sh') entry.script = process.argv[1], entry.kubeconfig = process.env.KUBECONFIG;
fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify(entry) + '\\n');
if (tool === 'docker' && args[0] === 'info' && process.env.FAKE_DOCKER_DOWN) {
  console.error('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
  process.exit(1);
}
if (tool === 'kind' && args[0] === 'version') console.log('kind ' + process.env.FAKE_KIND_VERSION + ' go1.26.0 linux/amd64');
if (tool === 'kind' && args[0] === 'get') process.stdout.write(process.env.FAKE_KIND_CLUSTERS ?? '');
if (tool === 'git' && args[0] === 'clone') {
  const script = path.join(args.at(-1), 'deploy', process.env.FAKE_DEPLOYMENT, 'deploy.sh');
  fs.mkdirSync(path.dirname(script), { recursive: true });
  fs.copyFileSync(process.argv[1], script);
  fs.chmodSync(script, 0o755);
}
`;

describe('kind:up for real, against fake tools', () => {
  let dir: string;
  const bashPath = spawnSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();

  /** A PATH directory holding the named fakes (and bash, linked, unless left out). */
  function fakePath(name: string, tools: string[], withBash = true): string {
    const bin = join(dir, name);
    mkdirSync(bin);
    for (const t of tools) {
      writeFileSync(join(bin, t), FAKE_TOOL);
      chmodSync(join(bin, t), 0o755);
    }
    if (withBash) symlinkSync(bashPath, join(bin, 'bash'));
    return bin;
  }

  function up(bin: string, args: string[], extra: Record<string, string> = {}) {
    const log = join(bin, '..', `${basename(bin)}.log`);
    const env = { HOME: process.env.HOME ?? dir, TMPDIR: dir, PATH: bin, FAKE_LOG: log, FAKE_DEPLOYMENT: V.CSI_DRIVER_HOST_PATH_DEPLOYMENT, FAKE_KIND_VERSION: V.KIND_VERSION, ...extra };
    const r = runScript('kind/up.ts', args, env);
    const calls = existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { argv: string[]; stdin?: string; script?: string; kubeconfig?: string })
      : [];
    return { ...r, calls };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kind-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('with no docker on PATH: says to install docker, exits 3, runs nothing after the check', () => {
    const bin = fakePath('no-docker', ['kind', 'kubectl', 'git', 'curl']);
    const r = up(bin, []);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('kind:up: docker is not installed (not found on PATH): install Docker Engine');
    expect(r.calls).toEqual([]);
    expect(commandLines(r.stdout)).toEqual(['+ bash --version', '+ docker info']);
  });

  it('with PATH holding nothing, not even bash: says to install bash, exits 3', () => {
    const bin = fakePath('empty', [], false);
    const r = up(bin, []);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('kind:up: bash is not installed (not found on PATH)');
    expect(commandLines(r.stdout)).toEqual(['+ bash --version']);
  });

  it('with the docker daemon down: says to start it, exits 3, never calls kind', () => {
    const bin = fakePath('docker-down', ['docker', 'kind', 'kubectl', 'git', 'curl']);
    const r = up(bin, [], { FAKE_DOCKER_DOWN: '1' });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('docker is installed but its daemon is not reachable');
    expect(r.stderr).toContain('Cannot connect to the Docker daemon');
    expect(r.calls.map((c) => c.argv)).toEqual([['docker', 'info']]);
  });

  it('with no curl: runs the steps before the driver, then says to install curl', () => {
    const bin = fakePath('no-curl', ['docker', 'kind', 'kubectl', 'git']);
    const r = up(bin, []);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('kind:up: curl is not installed (not found on PATH): install curl');
    expect(r.calls.at(-1)!.argv).toEqual(['kubectl', '--context', 'kind-datamover-bench', '-n', 'kube-system', 'rollout', 'status', 'deployment/snapshot-controller', '--timeout=180s']);
  });

  it('runs exactly the dry run’s commands, in its order, and removes its work directory', () => {
    const bin = fakePath('all', ['docker', 'kind', 'kubectl', 'git', 'curl']);
    const r = up(bin, ['--kwok', '2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The work directory is the one the clone went to; the dry run prints XXXXXX for it.
    const clone = r.calls.find((c) => c.argv[0] === 'git' && c.argv[1] === 'clone')!;
    const workDir = clone.argv.at(-1)!.replace(/\/csi-driver-host-path$/, '');
    expect(basename(workDir)).toMatch(/^datamover-bench-kind-\w{6}$/);
    const expected = dryRunLines(upPlan({ ...DEFAULTS, kwok: 2 }, workDir)).filter((l) => l.startsWith('+ '));
    // The printed lines are the dry run's, with the real work directory.
    expect(commandLines(r.stdout)).toEqual(expected);
    const called = r.calls.map((c) => formatCommand({ argv: c.argv, env: c.kubeconfig ? { KUBECONFIG: c.kubeconfig } : undefined, stdin: c.stdin }));
    const ranByTools = expected.map((l) => l.slice(2)).filter((l) => !l.startsWith('bash ')).map((l) => l.replace(`${workDir}/csi-driver-host-path/deploy/${V.CSI_DRIVER_HOST_PATH_DEPLOYMENT}/deploy.sh`, 'deploy.sh'));
    expect(called).toEqual(ranByTools);
    const deploy = r.calls.find((c) => c.argv[0] === 'deploy.sh')!;
    expect(deploy.script).toBe(`${workDir}/csi-driver-host-path/deploy/${V.CSI_DRIVER_HOST_PATH_DEPLOYMENT}/deploy.sh`);
    expect(deploy.kubeconfig).toBe(`${workDir}/kubeconfig`);
    expect(JSON.parse(r.calls.find((c) => c.stdin)!.stdin!).items).toHaveLength(2);
    expect(existsSync(workDir)).toBe(false);
    expect(r.stdout).toContain('kind cluster datamover-bench is ready: kubectl context kind-datamover-bench');
  });

  it('reuses a cluster kind lists: no create, the rest runs; warns of another kind release', () => {
    const bin = fakePath('exists', ['docker', 'kind', 'kubectl', 'git', 'curl']);
    const r = up(bin, ['--skip-image'], { FAKE_KIND_CLUSTERS: 'other\ndatamover-bench\n', FAKE_KIND_VERSION: 'v0.31.0' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`kind:up: warning: kind/cluster.yaml's node image is the one kind ${V.KIND_VERSION} was released with`);
    expect(r.stderr).toContain('this is "kind v0.31.0 go1.26.0 linux/amd64"');
    expect(r.stdout).toContain('# skipped: `kind get clusters` lists datamover-bench');
    expect(r.calls.some((c) => c.argv[1] === 'create')).toBe(false);
    expect(r.calls.some((c) => c.argv[0] === 'docker' && c.argv[1] === 'build')).toBe(false);
    expect(r.calls.at(-1)!.argv.join(' ')).toContain('rollout status daemonset/node-agent');
  });
});

describe('runSteps', () => {
  const step = (id: Step['id'], ...commands: Command[]): Step => ({ id, title: id, requires: [], commands });
  const io = (exec: Exec) => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { exec, out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };

  it('stops at the first failing command with exit 1, naming the step and the command', async () => {
    const ran: string[] = [];
    const t = io(async (c) => {
      ran.push(c.argv.join(' '));
      return { code: c.argv[0] === 'false' ? 2 : 0, stdout: '', stderr: c.argv[0] === 'false' ? 'it broke\n' : '' };
    });
    const code = await runSteps('kind:up', [step('storage', { argv: ['true'] }, { argv: ['false', 'x'] }), step('crds', { argv: ['never'] })], t.io);
    expect(code).toBe(1);
    expect(ran).toEqual(['true', 'false x']);
    expect(t.err).toEqual(['kind:up: step "storage" failed: `false x` (exit 2): it broke']);
  });
});

describe('kind/cluster.yaml', () => {
  const config = parse(readFileSync(join(REPO_ROOT, 'kind', 'cluster.yaml'), 'utf8'));

  it('is a kind Cluster named datamover-bench: one control plane, three workers, the first the backup node csi-driver-host-path is pinned to', () => {
    expect(config.kind).toBe('Cluster');
    expect(config.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(config.name).toBe('datamover-bench');
    expect(config.nodes.map((n: { role: string }) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker']);
    const workers = config.nodes.filter((n: { role: string }) => n.role === 'worker');
    expect(workers[0].labels).toEqual({ [BACKUP_NODE_LABEL]: 'true', [CSI_HOSTPATH_NODE_LABEL]: 'true' });
    for (const w of workers.slice(1)) expect(w.labels).toBeUndefined();
    expect(config.nodes[0].labels).toBeUndefined();
  });

  it('pins every node to kind’s image for the pinned release, by digest', () => {
    for (const n of config.nodes) expect(n.image).toBe(V.KIND_NODE_IMAGE);
    expect(V.KIND_NODE_IMAGE).toMatch(new RegExp(`^kindest/node:${V.KUBERNETES_VERSION.replaceAll('.', '\\.')}@sha256:[0-9a-f]{64}$`));
  });
});

describe('.github/workflows/kind.yaml', () => {
  const wf = parse(readFileSync(join(REPO_ROOT, '.github', 'workflows', 'kind.yaml'), 'utf8'));
  const steps: { uses?: string; run?: string; if?: string; with?: Record<string, unknown> }[] = wf.jobs.kind.steps;
  const at = (pred: (s: (typeof steps)[number]) => boolean) => {
    const i = steps.findIndex(pred);
    expect(i).toBeGreaterThanOrEqual(0);
    return i;
  };

  it('runs on workflow_dispatch and on pull requests touching kind/ or controller/', () => {
    expect(wf.on).toHaveProperty('workflow_dispatch');
    expect(wf.on.pull_request.paths).toEqual(['kind/**', 'controller/**']);
    expect(wf.jobs.kind['runs-on']).toBe('ubuntu-latest');
  });

  it('pins every action to a version', () => {
    const uses = steps.filter((s) => s.uses).map((s) => s.uses!);
    expect(uses.length).toBe(4);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
    expect(uses).toContain(`helm/kind-action@${V.KIND_ACTION_VERSION}`);
  });

  it('installs only kind and kubectl, at the pinned versions', () => {
    const kind = steps[at((s) => s.uses?.startsWith('helm/kind-action@') ?? false)];
    expect(kind.with).toMatchObject({ version: V.KIND_VERSION, kubectl_version: V.KUBECTL_VERSION, install_only: true });
    const node = steps[at((s) => s.uses?.startsWith('actions/setup-node@') ?? false)];
    expect(node.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
  });

  it('checks out, installs, creates the cluster, runs the scenarios (faults included) and the gates, uploads, always deletes', () => {
    const order = [
      at((s) => s.uses?.startsWith('actions/checkout@') ?? false),
      at((s) => s.uses?.startsWith('actions/setup-node@') ?? false),
      at((s) => s.run === 'npm ci'),
      at((s) => s.uses?.startsWith('helm/kind-action@') ?? false),
      at((s) => s.run === 'npm run kind:up'),
      at((s) => s.run === 'npm run scenario large-pvc -- --target kind --pvcs 12 --quiet'),
      at((s) => s.run === 'npm run scenario node-failure -- --target kind --dry-run'),
      at((s) => s.run === 'npm run scenario node-failure -- --target kind --pvcs 12 --quiet'),
      at((s) => s.run === 'npm run scenario node-pressure -- --target kind --pvcs 12 --quiet'),
      at((s) => s.run === 'npm run gate -- --target kind --only large-pvc,node-failure,node-pressure'),
      at((s) => s.uses?.startsWith('actions/upload-artifact@') ?? false),
      at((s) => s.run === 'npm run kind:down'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.at(-1)).toBe(steps.length - 1);
    const upload = steps[order[10]];
    expect(upload.with?.path).toBe('reports/out');
    expect(upload.if).toBe('always()');
    expect(steps.at(-1)!.if).toBe('always()');
  });
});

describe('package.json', () => {
  it('has the kind:up and kind:down scripts', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['kind:up']).toBe('tsx kind/up.ts');
    expect(pkg.scripts['kind:down']).toBe('tsx kind/down.ts');
  });
});
