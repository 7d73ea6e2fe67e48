// The controller's command line: the node-agents and the Velero server role against any
// cluster, in-process (a kubeconfig) or in-cluster (the kind DaemonSet, NODE_NAME).
//
//   npm run controller -- node-agent --kubeconfig reports/out/cluster/kubeconfig --config node-agent.json
//   npm run controller -- node-agent --in-cluster --config-map velero/node-agent-config   (NODE_NAME from the env)
//   npm run controller -- backup --kubeconfig ... --pvc app/data-0 --pvc app/data-1
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { WallClock } from './clock.ts';
import { loadConfigFromFile, parseConfigMapData, defaultNodeAgentConfig, type NodeAgentConfig } from './config.ts';
import { Controller } from './controller.ts';
import { DATA_MOVER_THROUGHPUT_ENV } from './api/dataupload.ts';
import { DATA_MOVER_IMAGE } from './exposer.ts';
import { parseGoDuration } from './duration.ts';
import { flowByName } from './flows/index.ts';
import { API_VERBS, ApiCost, KubeIo, type ApiVerb } from './kube/io.ts';
import { ClientThrottle, veleroServerLimits } from './kube/rate-limit.ts';
import { VeleroServer } from './server/backup.ts';

const USAGE = `usage:
  controller node-agent [--kubeconfig PATH | --in-cluster] [--namespace velero]
                        [--config FILE | --config-map NAMESPACE/NAME] [--flow FLOW]
                        [--node NAME ...]     one node-agent per node; default: NODE_NAME in-cluster,
                                              else every node of the cluster
                        [--data-mover-image IMAGE]  the data-mover pods' image (default velero/velero:v1.18.1;
                                              kind: datamover-bench:dev). DATA_MOVER_THROUGHPUT in the
                                              node-agent's env is passed on to them, as Velero's pods
                                              inherit the node-agent's env
  controller backup     [--kubeconfig PATH | --in-cluster] [--namespace velero] [--name NAME]
                        --pvc NAMESPACE/NAME [--pvc ...] [--item-operation-timeout 4h]

  --config FILE         the node-agent ConfigMap's JSON document, or a ConfigMap manifest (YAML/JSON)
  --flow FLOW           velero-1.16 | velero-1.17 | deploying (overrides the config's datamoverBench.flow)
Both print their API requests by verb when they end (Ctrl-C for the node-agents).`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      kubeconfig: { type: 'string' },
      'in-cluster': { type: 'boolean' },
      namespace: { type: 'string', default: 'velero' },
      config: { type: 'string' },
      'config-map': { type: 'string' },
      flow: { type: 'string' },
      node: { type: 'string', multiple: true },
      'data-mover-image': { type: 'string', default: DATA_MOVER_IMAGE },
      name: { type: 'string', default: 'backup-1' },
      pvc: { type: 'string', multiple: true },
      'item-operation-timeout': { type: 'string', default: '4h' },
    },
  });
  const kc = new KubeConfig();
  if (values['in-cluster']) kc.loadFromCluster();
  else if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  const clock = new WallClock();

  if (command === 'node-agent') {
    const config = await readConfig(kc, clock, values);
    const nodes = values.node ?? (values['in-cluster'] ? [requiredEnv('NODE_NAME')] : undefined);
    const throughput = process.env[DATA_MOVER_THROUGHPUT_ENV];
    const dataMoverPod = { image: values['data-mover-image']!, env: throughput ? [{ name: DATA_MOVER_THROUGHPUT_ENV, value: throughput }] : [] };
    const controller = new Controller({ kubeconfig: kc, namespace: values.namespace!, config, nodes, clock, dataMoverPod, log: (l) => console.log(l) });
    await controller.start();
    console.log(`node-agents running (${config.flow}) for ${[...controller.agents.keys()].join(', ')}; Ctrl-C to stop`);
    await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
    await controller.stop();
    printCost('node-agents', controller.cost);
    return 0;
  }
  if (command === 'backup') {
    if (!values.pvc?.length) throw new UsageError('--pvc: at least one NAMESPACE/NAME is required');
    const pvcs = values.pvc.map((p) => {
      const [namespace, name, extra] = p.split('/');
      if (!namespace || !name || extra !== undefined) throw new UsageError(`--pvc: "${p}" is not accepted: use NAMESPACE/NAME`);
      return { namespace, name };
    });
    const cost = new ApiCost();
    const server = new VeleroServer(new KubeIo(kc, { who: 'velero-server', clock, cost, throttle: new ClientThrottle(veleroServerLimits(), clock) }), clock);
    const backup = await server.startBackup({
      name: values.name!,
      namespace: values.namespace!,
      pvcs,
      itemOperationTimeoutMs: parseGoDuration(values['item-operation-timeout']!, '--item-operation-timeout'),
    });
    const outcome = await backup.outcome;
    await backup.stop();
    console.log(`backup ${values.name}: ${outcome.phase}`);
    for (const du of outcome.dataUploads) console.log(`  ${du.namespace}/${du.name} (${du.pvc}): ${du.phase}${du.message ? ` (${du.message})` : ''}`);
    printCost('velero server', cost);
    return outcome.phase === 'Completed' ? 0 : 1;
  }
  throw new UsageError(`unknown command "${command}": use node-agent or backup`);
}

async function readConfig(kc: KubeConfig, clock: WallClock, values: { config?: string; 'config-map'?: string; flow?: string }): Promise<NodeAgentConfig> {
  if (values.config && values['config-map']) throw new UsageError('--config and --config-map: give one, not both');
  let config = defaultNodeAgentConfig();
  if (values.config) {
    config = await loadConfigFromFile(values.config).catch((e) => {
      if ((e as { code?: string }).code === 'ENOENT') throw new UsageError(`--config: ${values.config} does not exist`);
      throw e;
    });
  }
  else if (values['config-map']) {
    const [namespace, name, extra] = values['config-map'].split('/');
    if (!namespace || !name || extra !== undefined) throw new UsageError(`--config-map: "${values['config-map']}" is not accepted: use NAMESPACE/NAME`);
    const io = new KubeIo(kc, { who: 'node-agent/config', clock });
    const cm = await io.getObject<{ data?: Record<string, string> } & import('./kube/io.ts').Obj>({ apiVersion: 'v1', resource: 'configmaps', namespace, name });
    config = parseConfigMapData(cm.data, `ConfigMap ${namespace}/${name}`);
  }
  if (values.flow) config = { ...config, flow: flowByName(values.flow).name };
  return config;
}

function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new UsageError(`${name}: not set; in-cluster the node-agent learns its node from it (the DaemonSet's downward API)`);
  return v;
}

function printCost(who: string, cost: ApiCost): void {
  const t = cost.total();
  console.log(`${who} API requests: ${API_VERBS.map((v: ApiVerb) => `${v} ${t[v]}`).join(', ')}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS');
    console.error(`controller: ${(e as Error).message}`);
    if (usage) console.error(USAGE);
    process.exit(usage || (e as Error).name === 'ConfigError' ? 2 : 1);
  },
);
