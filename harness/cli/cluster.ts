// npm run cluster: the embedded cluster, standalone, until Ctrl-C or SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INVENTORIES, startInventoryCluster, type InventoryName } from '../capture/inventory.ts';
import { startEmbeddedCluster } from '../cluster/embedded.ts';
import { tuneHeapForRuns } from '../run/heap.ts';
import { DEFAULT_NODE_POOLS } from '../sim/cluster.ts';

const usage = `Usage: npm run cluster [-- --port N] [--kubeconfig PATH] [--seed N]

Starts the embedded Kubernetes API server on 127.0.0.1 with the project's CRDs installed and
simulated nodes (3 workers, 4 CPU / 16 GiB each), scheduler, kubelets and CSI driver on the
wall clock, writes a kubeconfig, prints the export line, and runs until Ctrl-C or SIGTERM.

  --port N          port on 127.0.0.1 (default: a free one)
  --kubeconfig PATH where to write the kubeconfig (default: reports/out/cluster/kubeconfig)
  --seed N          seed for every random choice (default: 1)
  --api-only        the API server alone: no nodes, scheduler or kubelets
  --inventory NAME  instead of the 3 workers, a seeded inventory for npm run capture to read
                    (${INVENTORIES.join(', ')}: 9 nodes in 3 pools, 312 PVCs in 20 namespaces,
                    Velero's node-agent ConfigMap and Schedules; docs/capture.md)
`;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${usage}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      kubeconfig: { type: 'string' },
      seed: { type: 'string' },
      'api-only': { type: 'boolean' },
      inventory: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const port = args.port === undefined ? 0 : Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: ${JSON.stringify(args.port)} is not accepted: use an integer from 0 to 65535`);
const seed = args.seed === undefined ? 1 : Number(args.seed);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed: ${JSON.stringify(args.seed)} is not accepted: use a non-negative integer`);
const kubeconfigPath = resolve(args.kubeconfig ?? 'reports/out/cluster/kubeconfig');
const inventory = args.inventory as InventoryName | undefined;
if (inventory !== undefined && !INVENTORIES.includes(inventory)) fail(`--inventory: ${JSON.stringify(inventory)} is not accepted: the inventories are ${INVENTORIES.join(', ')}`);
if (inventory && args['api-only']) fail('--inventory: not with --api-only (the inventory needs the simulated nodes and CSI driver)');

const simulation = args['api-only'] ? undefined : { nodes: DEFAULT_NODE_POOLS };
// A long-lived server holding many objects: the same heap growth as runs keeps its resident
// memory near one and a half times what it holds, not whatever a burst of writes left behind.
tuneHeapForRuns();
const cluster = await (inventory
  ? startInventoryCluster({ name: inventory, port, seed }).then((r) => r.cluster)
  : startEmbeddedCluster({ port, seed, simulation })
).catch((e: Error) => fail(`cannot start the embedded cluster: ${e.message}`));
await cluster.writeKubeconfig(kubeconfigPath);
console.log(`embedded cluster listening on ${cluster.url}`);
console.log(`export KUBECONFIG=${kubeconfigPath}`);
if (inventory) console.log(`holding the ${inventory} inventory; try: npm run capture -- --kubeconfig ${kubeconfigPath}`);
console.log('Ctrl-C to stop.');

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the embedded cluster`);
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
