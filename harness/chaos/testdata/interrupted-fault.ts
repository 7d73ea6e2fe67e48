// A process that starts a node-failure on kind's commands and waits: shell-executor.test.ts sends
// it SIGINT mid-fault and checks that `docker start` ran before it exited.
import { WallClock } from '../../../controller/clock.ts';
import { seededRandom } from '../../random.ts';
import { parseFaults } from '../faults.ts';
import { ShellFaultExecutor, undoInterrupted } from '../shell-executor.ts';

const nodes = [{ name: 'kind-worker', labels: {} }];
const clock = new WallClock();
const executor = new ShellFaultExecutor({
  faults: parseFaults([{ kind: 'node-failure', node: 'kind-worker', at: 0, durationSeconds: 3600 }], nodes),
  nodes,
  random: seededRandom(1),
  timeScale: 1,
  expectedDataUploads: 1,
  clock,
  start: clock.now(),
  log: (line) => console.log(line),
});
undoInterrupted(executor, (line) => console.log(line));
setInterval(() => undefined, 1000);
