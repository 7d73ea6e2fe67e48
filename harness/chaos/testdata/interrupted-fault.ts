// A process that starts a node-failure with kind's commands and waits: cluster-executor.test.ts
// sends it SIGINT mid-fault and checks that `docker start` ran before it exited.
import { KubeConfig } from '@kubernetes/client-node';
import { WallClock } from '../../../controller/clock.ts';
import { seededRandom } from '../../random.ts';
import { ClusterFaultExecutor, undoInterrupted } from '../cluster-executor.ts';
import { parseFaults } from '../faults.ts';
import { targetActions } from '../kind-actions.ts';

const nodes = [{ name: 'kind-worker', labels: {} }];
const clock = new WallClock();
const random = seededRandom(1);
const executor = new ClusterFaultExecutor({
  faults: parseFaults([{ kind: 'node-failure', node: 'kind-worker', at: 0, durationSeconds: 3600 }], nodes),
  actions: targetActions('kind', { kubeconfig: new KubeConfig(), namespace: 'velero', random }),
  target: 'kind',
  nodes,
  random,
  timeScale: 1,
  expectedDataUploads: 1,
  clock,
  start: clock.now(),
  log: (line) => console.log(line),
});
undoInterrupted(executor, (line) => console.log(line));
setInterval(() => undefined, 1000);
