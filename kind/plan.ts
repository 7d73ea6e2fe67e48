// The kind target's install as data: upPlan builds the ordered steps of `npm run kind:up` from
// its options, each step with the tools it needs and its commands; downPlan does the same for
// kind:down. The dry run prints these steps and the real run (run.ts) executes them, so the two
// cannot drift apart, and the tests read the sequence from here.
import { parseArgs } from 'node:util';
import { KIND_IMAGE } from '../harness/run/targets/cluster.ts';
import {
  CSI_DRIVER_HOST_PATH_DEPLOYMENT,
  CSI_DRIVER_HOST_PATH_REPO,
  CSI_DRIVER_HOST_PATH_VERSION,
  EXTERNAL_SNAPSHOTTER_CRDS,
  EXTERNAL_SNAPSHOTTER_VERSION,
  KIND_VERSION,
  KUBECTL_VERSION,
  KWOK_MANIFEST,
  KWOK_STAGE_FAST,
  KWOK_VERSION,
  SNAPSHOT_CONTROLLER,
} from './versions.ts';

export const DEFAULT_CLUSTER_NAME = 'datamover-bench';
export const IMAGE = KIND_IMAGE;
/** On the one worker csi-driver-host-path's plugin is pinned to (kind/cluster.yaml). */
export const CSI_HOSTPATH_NODE_LABEL = 'datamover-bench.io/csi-hostpath';
export const MAX_KWOK_NODES = 1000;
/** The node-agent manifests the lead writes, in the order they depend on each other. */
export const NODE_AGENT_MANIFESTS = ['namespace.yaml', 'rbac.yaml', 'node-agent-config.yaml', 'node-agent.yaml'].map((f) => `kind/manifests/${f}`);

/** One command: run as argv (no shell expansion), with extra environment and standard input. */
export interface Command {
  argv: string[];
  env?: Record<string, string>;
  stdin?: string;
}

export type Tool = 'bash' | 'docker' | 'kind' | 'kubectl' | 'git' | 'curl';

/** A tool a step needs: a command that succeeds when the tool is usable, and what to do if not. */
export interface Prerequisite {
  tool: Tool;
  check: Command;
  install: string;
  /** What a failing check (the tool is there but does not work) means; default: its stderr. */
  failed?: string;
  /** A warning from a passing check's stdout (a version other than the pinned one). */
  warn?: (stdout: string) => string | undefined;
}

export interface Step {
  id: 'cluster' | 'snapshot-controller' | 'csi-driver-host-path' | 'storage' | 'crds' | 'image' | 'node-agent' | 'kwok' | 'delete';
  title: string;
  requires: Prerequisite[];
  /** Asked before the commands: when `applies` holds for the probe's stdout, the step is skipped. */
  skip?: { probe: Command; when: string; applies: (stdout: string) => boolean };
  commands: Command[];
}

export interface UpOptions {
  name: string;
  dryRun: boolean;
  skipImage: boolean;
  /** KWOK fake nodes to create; 0: no KWOK. */
  kwok: number;
}

export interface DownOptions {
  name: string;
  dryRun: boolean;
}

/** A user's mistake on the command line: exit code 2. */
export class OptionError extends Error {}

export const contextOf = (name: string): string => `kind-${name}`;

const cmd = (...argv: string[]): Command => ({ argv });

export function prerequisites(context: string): Record<Tool, Prerequisite> {
  return {
    bash: {
      tool: 'bash',
      check: cmd('bash', '--version'),
      install: 'install bash (apt-get install bash): the commands run in it, and the CSI hostpath driver’s deploy.sh is a bash script',
    },
    docker: {
      tool: 'docker',
      check: cmd('docker', 'info'),
      install: 'install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop; kind runs its nodes as docker containers',
      failed: 'docker is installed but its daemon is not reachable (`docker info` failed): start it (sudo systemctl start docker, or start Docker Desktop) and check that your user may use it (the docker group)',
    },
    kind: {
      tool: 'kind',
      check: cmd('kind', 'version'),
      install: `install kind ${KIND_VERSION}: go install sigs.k8s.io/kind@${KIND_VERSION}, or its release binary (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)`,
      warn: (stdout) =>
        stdout.startsWith(`kind ${KIND_VERSION} `)
          ? undefined
          : `kind/cluster.yaml's node image is the one kind ${KIND_VERSION} was released with, and kind supports a node image only with its own release; this is ${JSON.stringify(stdout.trim())}`,
    },
    kubectl: {
      tool: 'kubectl',
      check: cmd('kubectl', '--context', context, 'version', '--client'),
      install: `install kubectl ${KUBECTL_VERSION}, the cluster’s version (https://kubernetes.io/docs/tasks/tools/)`,
    },
    git: {
      tool: 'git',
      check: cmd('git', 'version'),
      install: 'install git (apt-get install git): kubectl fetches the remote kustomizations with it, and the CSI hostpath driver is deployed from a clone',
    },
    curl: {
      tool: 'curl',
      check: cmd('curl', '--version'),
      install: 'install curl (apt-get install curl): the CSI hostpath driver’s deploy.sh downloads its RBAC rules with it',
    },
  };
}

/**
 * The steps of kind:up, in order. workDir is an empty directory of the run's own (the real run
 * makes one with mkdtemp and removes it after), for the driver's clone and a kubeconfig.
 */
export function upPlan(opts: UpOptions, workDir: string): Step[] {
  const context = contextOf(opts.name);
  const kubectl = (...args: string[]): Command => cmd('kubectl', '--context', context, ...args);
  const need = prerequisites(context);
  const hostPathDir = `${workDir}/csi-driver-host-path`;
  const kubeconfig = `${workDir}/kubeconfig`;
  const steps: Step[] = [
    {
      id: 'cluster',
      title: `create the kind cluster ${opts.name} from kind/cluster.yaml`,
      requires: [need.bash, need.docker, need.kind, need.kubectl],
      skip: {
        probe: cmd('kind', 'get', 'clusters'),
        when: `\`kind get clusters\` lists ${opts.name}`,
        applies: (stdout) => stdout.split('\n').some((line) => line.trim() === opts.name),
      },
      commands: [
        cmd('kind', 'create', 'cluster', '--config', 'kind/cluster.yaml', '--name', opts.name, '--wait', '120s'),
        kubectl('wait', '--for=condition=Ready', 'node', '--all', '--timeout=180s'),
      ],
    },
    {
      id: 'snapshot-controller',
      title: `install the CSI snapshot CRDs and the snapshot-controller (external-snapshotter ${EXTERNAL_SNAPSHOTTER_VERSION})`,
      // kubectl fetches a remote kustomization with git.
      requires: [need.kubectl, need.git],
      commands: [
        kubectl('apply', '-k', EXTERNAL_SNAPSHOTTER_CRDS),
        kubectl(
          'wait',
          '--for=condition=Established',
          '--timeout=60s',
          ...['volumesnapshotclasses', 'volumesnapshotcontents', 'volumesnapshots'].map((r) => `crd/${r}.snapshot.storage.k8s.io`),
        ),
        kubectl('apply', '-k', SNAPSHOT_CONTROLLER),
        kubectl('-n', 'kube-system', 'rollout', 'status', 'deployment/snapshot-controller', '--timeout=180s'),
      ],
    },
    {
      id: 'csi-driver-host-path',
      title: `install the CSI hostpath driver (csi-driver-host-path ${CSI_DRIVER_HOST_PATH_VERSION}, deploy/${CSI_DRIVER_HOST_PATH_DEPLOYMENT})`,
      requires: [need.git, need.curl, need.bash, need.kind, need.kubectl],
      commands: [
        cmd('git', 'clone', '--quiet', '--depth', '1', '--branch', CSI_DRIVER_HOST_PATH_VERSION, CSI_DRIVER_HOST_PATH_REPO, hostPathDir),
        // deploy.sh calls plain kubectl: a kubeconfig holding only this cluster keeps it off
        // whatever context is current.
        cmd('kind', 'export', 'kubeconfig', '--name', opts.name, '--kubeconfig', kubeconfig),
        { argv: [`${hostPathDir}/deploy/${CSI_DRIVER_HOST_PATH_DEPLOYMENT}/deploy.sh`], env: { KUBECONFIG: kubeconfig } },
        // The driver keeps every volume on the node its one plugin pod runs on: pin it to the
        // worker kind/cluster.yaml labels for it, the one backup node, so the volumes, and so the
        // data-mover pods, are where loadAffinity sends them.
        kubectl('-n', 'default', 'patch', 'statefulset/csi-hostpathplugin', '--type=merge', '-p', JSON.stringify({ spec: { template: { spec: { nodeSelector: { [CSI_HOSTPATH_NODE_LABEL]: 'true' } } } } })),
        kubectl('-n', 'default', 'rollout', 'status', 'statefulset/csi-hostpathplugin', '--timeout=300s'),
      ],
    },
    {
      id: 'storage',
      title: 'create the StorageClass and the VolumeSnapshotClass (kind/manifests/storage.yaml)',
      requires: [need.kubectl],
      commands: [kubectl('apply', '-f', 'kind/manifests/storage.yaml')],
    },
    {
      id: 'crds',
      title: 'install the project’s DataUpload CRD',
      requires: [need.kubectl],
      commands: [
        kubectl('apply', '-f', 'controller/api/crds/velero.io_datauploads.yaml'),
        kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/datauploads.velero.io'),
      ],
    },
  ];
  if (!opts.skipImage) {
    steps.push({
      id: 'image',
      title: `build the image ${IMAGE} and load it into the cluster`,
      requires: [need.docker, need.kind],
      commands: [cmd('docker', 'build', '-t', IMAGE, '-f', 'kind/Dockerfile', '.'), cmd('kind', 'load', 'docker-image', IMAGE, '--name', opts.name)],
    });
  }
  steps.push({
    id: 'node-agent',
    title: 'deploy the node-agent (kind/manifests/) and wait for its rollout',
    requires: [need.kubectl],
    commands: [
      ...NODE_AGENT_MANIFESTS.map((file) => kubectl('apply', '-f', file)),
      kubectl('-n', 'velero', 'rollout', 'status', 'daemonset/node-agent', '--timeout=300s'),
    ],
  });
  if (opts.kwok > 0) {
    steps.push({
      id: 'kwok',
      title: `install KWOK ${KWOK_VERSION} and create ${opts.kwok} fake node(s)`,
      requires: [need.kubectl],
      commands: [
        kubectl('apply', '-f', KWOK_MANIFEST),
        kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/stages.kwok.x-k8s.io'),
        kubectl('-n', 'kube-system', 'rollout', 'status', 'deployment/kwok-controller', '--timeout=180s'),
        kubectl('apply', '-f', KWOK_STAGE_FAST),
        { ...kubectl('apply', '-f', '-'), stdin: JSON.stringify(kwokNodes(opts.kwok)) },
        kubectl('wait', '--for=condition=Ready', 'node', '-l', 'type=kwok', '--timeout=180s'),
      ],
    });
  }
  return steps;
}

export function downPlan(opts: DownOptions): Step[] {
  const need = prerequisites(contextOf(opts.name));
  return [
    {
      id: 'delete',
      title: `delete the kind cluster ${opts.name}`,
      requires: [need.bash, need.docker, need.kind],
      commands: [cmd('kind', 'delete', 'cluster', '--name', opts.name)],
    },
  ];
}

/**
 * N Nodes for KWOK to keep Ready: annotated so the kwok-controller of kwok.yaml manages them,
 * labelled type=kwok, and tainted so nothing real is scheduled there. Capacity as the backup
 * workload's simulated workers (8 CPU, 32 GiB, 110 pods).
 */
export function kwokNodes(n: number): { apiVersion: 'v1'; kind: 'List'; items: object[] } {
  const capacity = { cpu: '8', memory: '32Gi', pods: '110' };
  const items = Array.from({ length: n }, (_, i) => {
    const name = `kwok-node-${i}`;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { type: 'kwok', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/agent': '' },
      },
      spec: { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] },
      status: {
        allocatable: capacity,
        capacity,
        nodeInfo: {
          architecture: 'amd64',
          bootID: '',
          containerRuntimeVersion: '',
          kernelVersion: '',
          kubeProxyVersion: 'fake',
          kubeletVersion: 'fake',
          machineID: '',
          operatingSystem: 'linux',
          osImage: '',
          systemUUID: '',
        },
      },
    };
  });
  return { apiVersion: 'v1', kind: 'List', items };
}

/** A POSIX shell word: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** One line a shell would run: environment, argv, and standard input as a bash here-string. */
export function formatCommand(c: Command): string {
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
  const line = [...env, ...c.argv.map(shellQuote)].join(' ');
  return c.stdin === undefined ? line : `${line} <<< ${shellQuote(c.stdin)}`;
}

/**
 * What --dry-run prints: each step as a comment, then every command the real run would run, each
 * tool check once where it is first needed, one per line prefixed "+ ".
 */
export function dryRunLines(steps: Step[]): string[] {
  const checked = new Set<Tool>();
  const lines: string[] = [];
  for (const step of steps) {
    lines.push(`# ${step.title}${step.skip ? ` (skipped when ${step.skip.when})` : ''}`);
    for (const p of step.requires) {
      if (checked.has(p.tool)) continue;
      checked.add(p.tool);
      lines.push(`+ ${formatCommand(p.check)}`);
    }
    if (step.skip) lines.push(`+ ${formatCommand(step.skip.probe)}`);
    for (const c of step.commands) lines.push(`+ ${formatCommand(c)}`);
  }
  return lines;
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

function validName(program: string, value: string): string {
  if (!NAME_RE.test(value)) {
    throw new OptionError(`${program}: --name: ${JSON.stringify(value)} is not accepted: a cluster name of lowercase letters, digits and '-', starting and ending with a letter or digit, at most 32 characters`);
  }
  return value;
}

type OptionSpec = Record<string, { type: 'boolean' | 'string'; short?: string; value?: string }>;

/** node:util's parseArgs, with messages that name the option and what it accepts. */
function parseOptions(program: string, args: string[], spec: OptionSpec): Record<string, string | boolean | undefined> {
  const accepted = Object.entries(spec)
    .map(([name, o]) => (o.value ? `--${name} ${o.value}` : `--${name}`))
    .join(', ');
  const { tokens } = parseArgs({ args, options: spec, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean | undefined> = {};
  for (const t of tokens) {
    if (t.kind === 'positional') throw new OptionError(`${program}: unexpected argument ${JSON.stringify(t.value)}: accepted options are ${accepted}`);
    if (t.kind !== 'option') continue;
    const decl = spec[t.name];
    if (!decl) throw new OptionError(`${program}: unknown option ${t.rawName}: accepted options are ${accepted}`);
    if (decl.type === 'string' && t.value === undefined) throw new OptionError(`${program}: --${t.name} needs a value: --${t.name} ${decl.value}`);
    if (decl.type === 'boolean' && t.value !== undefined) throw new OptionError(`${program}: --${t.name} takes no value (got ${JSON.stringify(t.value)})`);
    values[t.name] = t.value ?? true;
  }
  return values;
}

/** kind:up's options, or 'help'. Throws OptionError on a bad option or value. */
export function parseUpArgs(args: string[]): UpOptions | 'help' {
  const program = 'kind:up';
  const v = parseOptions(program, args, {
    'dry-run': { type: 'boolean' },
    name: { type: 'string', value: 'NAME' },
    'skip-image': { type: 'boolean' },
    kwok: { type: 'string', value: 'N' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return 'help';
  let kwok = 0;
  if (v.kwok !== undefined) {
    const raw = String(v.kwok);
    kwok = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(Number.isInteger(kwok) && kwok >= 1 && kwok <= MAX_KWOK_NODES)) {
      throw new OptionError(`${program}: --kwok: ${JSON.stringify(raw)} is not accepted: a whole number of KWOK fake nodes from 1 to ${MAX_KWOK_NODES}`);
    }
  }
  return {
    name: v.name === undefined ? DEFAULT_CLUSTER_NAME : validName(program, String(v.name)),
    dryRun: v['dry-run'] === true,
    skipImage: v['skip-image'] === true,
    kwok,
  };
}

/** kind:down's options, or 'help'. Throws OptionError on a bad option or value. */
export function parseDownArgs(args: string[]): DownOptions | 'help' {
  const program = 'kind:down';
  const v = parseOptions(program, args, {
    'dry-run': { type: 'boolean' },
    name: { type: 'string', value: 'NAME' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return 'help';
  return { name: v.name === undefined ? DEFAULT_CLUSTER_NAME : validName(program, String(v.name)), dryRun: v['dry-run'] === true };
}

export const UP_HELP = `usage: npm run kind:up [-- OPTIONS]

Creates the kind target: a kind cluster with everything the scenarios need, in this order:
  1. the kind cluster from kind/cluster.yaml (one control plane, three workers labelled for
     data movement), skipped when a cluster of that name exists
  2. the CSI snapshot CRDs and the snapshot-controller (external-snapshotter ${EXTERNAL_SNAPSHOTTER_VERSION})
  3. the CSI hostpath driver (csi-driver-host-path ${CSI_DRIVER_HOST_PATH_VERSION})
  4. the StorageClass and VolumeSnapshotClass (kind/manifests/storage.yaml)
  5. the DataUpload CRD (controller/api/crds/velero.io_datauploads.yaml)
  6. the image ${IMAGE}: docker build, then kind load
  7. the node-agent (kind/manifests/), waiting for its rollout
  8. with --kwok N: KWOK ${KWOK_VERSION} and N fake nodes
Each step first checks the tools it needs (bash, docker with its daemon running, kind
${KIND_VERSION}, kubectl, git, curl) and says what to install. Every kubectl call names the
context kind-NAME. Running it again is safe: it reuses the cluster and re-applies the rest.
Versions: kind/versions.ts.

options:
  --dry-run      print every command it would run, tool checks included, one per line prefixed
                 "+ ", in order, and run nothing
  --name NAME    the cluster's name (default ${DEFAULT_CLUSTER_NAME}); kubectl context kind-NAME
  --skip-image   do not build and load the image (an earlier run must have loaded it)
  --kwok N       also install KWOK and create N fake nodes (1 to ${MAX_KWOK_NODES}), labelled type=kwok and
                 tainted kwok.x-k8s.io/node=fake:NoSchedule. They add capacity and scheduling load
                 only: no container runs on them, so data-mover pods cannot run there
  -h, --help     this text

exit codes: 0 done; 1 a step failed; 2 a bad option; 3 a tool is missing or not working
`;

export const DOWN_HELP = `usage: npm run kind:down [-- OPTIONS]

Deletes the kind cluster of the kind target (kind delete cluster).

options:
  --dry-run      print the commands it would run, one per line prefixed "+ ", and run nothing
  --name NAME    the cluster's name (default ${DEFAULT_CLUSTER_NAME})
  -h, --help     this text

exit codes: 0 done; 1 the delete failed; 2 a bad option; 3 a tool is missing or not working
`;
