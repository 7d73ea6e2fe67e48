// The embedded cluster: the API server with the project's CRDs installed and a kubeconfig
// that points kubectl and @kubernetes/client-node at it. The simulated nodes, scheduler,
// kubelet, CSI and data path join it with the simulated-cluster work.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { InProcessAgent, type InProcessLink } from '../apiserver/in-process.ts';
import { ApiServer, type ApiServerOptions } from '../apiserver/server.ts';
import type { KubeObject } from '../apiserver/types.ts';
import { WallClock, type Clock } from '../clock.ts';
import { seededRandom } from '../random.ts';
import { NO_TRACKING } from '../sim/context.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { startSimulation, type Simulation, type SimulationOptions } from '../sim/cluster.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The CRDs every embedded cluster serves: Velero's DataUpload (with DatamoverDeploying) and the CSI snapshot API. */
export const PROJECT_CRD_FILES = [
  join(repoRoot, 'controller', 'api', 'crds', 'velero.io_datauploads.yaml'),
  join(repoRoot, 'harness', 'crds', 'snapshot.storage.k8s.io.yaml'),
];

export interface EmbeddedClusterOptions extends Partial<Omit<ApiServerOptions, 'clock' | 'random'>> {
  clock?: Clock;
  seed?: number;
  /** CRD files to install; defaults to PROJECT_CRD_FILES. */
  crdFiles?: string[];
  /** Simulated nodes, scheduler, kubelets, CSI and data path; absent: an API server alone. */
  simulation?: SimulationOptions;
}

export interface EmbeddedCluster {
  server: ApiServer;
  /** The simulated components, when the cluster was started with some. */
  simulation?: Simulation;
  url: string;
  /** A kubeconfig document (YAML text) for this cluster. */
  kubeconfig: string;
  /**
   * The kubeconfig for clients in this process: the same cluster, reached over in-process
   * connections (harness/apiserver/in-process.ts) instead of loopback TCP.
   */
  inProcessKubeConfig(): KubeConfig;
  /** Writes the kubeconfig to a file and returns the path. */
  writeKubeconfig(path: string): Promise<string>;
  stop(): Promise<void>;
}

export async function loadManifests(file: string): Promise<KubeObject[]> {
  const text = await readFile(file, 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => !!o && typeof o === 'object');
}

export async function startEmbeddedCluster(opts: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
  const clock = opts.clock ?? new WallClock();
  const random = seededRandom(opts.seed ?? 1);
  // On a virtual clock, the server's requests and queues and every watch byte in flight count as work.
  const activity = opts.activity ?? (clock instanceof VirtualClock ? clock : undefined);
  const server = new ApiServer({ ...opts, clock, random, activity });
  if (clock instanceof VirtualClock) {
    clock.addIdleProbe(() => server.watchesFlushed());
    clock.addIdleProbe(() => server.inProcess.idle());
  }
  const crdInfo = server.api.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const file of opts.crdFiles ?? PROJECT_CRD_FILES) {
    for (const crd of await loadManifests(file)) server.api.create(crdInfo, undefined, crd);
  }
  server.controllers.drain();
  const simulation = opts.simulation
    ? startSimulation({ api: server.api, clock, work: activity ?? NO_TRACKING, random: random.fork('simulation') }, opts.simulation)
    : undefined;
  const url = await server.start();
  const kubeconfig = kubeconfigFor(url);
  return {
    server,
    simulation,
    url,
    kubeconfig,
    inProcessKubeConfig: () => {
      const kc = new InProcessKubeConfig(server.inProcess);
      kc.loadFromString(kubeconfig);
      return kc;
    },
    async writeKubeconfig(path) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, kubeconfig, { mode: 0o600 });
      return path;
    },
    stop: async () => {
      simulation?.stop();
      await server.stop();
    },
  };
}

/** A KubeConfig whose agents connect in-process: client-node builds every request as usual. */
class InProcessKubeConfig extends KubeConfig {
  constructor(private readonly link: InProcessLink) {
    super();
  }

  override async applyToFetchOptions(opts: https.RequestOptions): ReturnType<KubeConfig['applyToFetchOptions']> {
    return { ...(await super.applyToFetchOptions(opts)), agent: new InProcessAgent(this.link) };
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setAgent(new InProcessAgent(this.link));
  }
}

export function kubeconfigFor(url: string, name = 'datamover-bench'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${url}`,
    // Plain HTTP on loopback; @kubernetes/client-node refuses http:// without this flag.
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${name}`,
    '  user: {}',
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    '    namespace: default',
    `current-context: ${name}`,
    '',
  ].join('\n');
}
