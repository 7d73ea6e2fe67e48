// The data-mover pod's entry point: `/velero data-mover backup --volume-path=/<uid>
// --volume-mode=Filesystem --data-upload=<name> --resource-timeout=4h0m0s` as the exposer runs
// it (see command.ts for flags and environment, backup.ts for what it does). The outcome goes
// to stderr or stdout and to the termination log; the exit code is 0 on success, 1 otherwise,
// as Velero's exitWithMessage. SIGTERM cancels.
import { writeFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { WallClock } from '../clock.ts';
import { errorMessage, KubeIo } from '../kube/io.ts';
import { ClientThrottle, dataMoverLimits } from '../kube/rate-limit.ts';
import { runBackup } from './backup.ts';
import { parseBackupCommand, TERMINATION_LOG_ENV, DEFAULT_TERMINATION_LOG, USAGE, UsageError } from './command.ts';

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function writeTerminationLog(path: string, message: string): Promise<void> {
  try {
    await writeFile(path, message);
  } catch (e) {
    log(`Failed to write the termination message to ${path}: ${errorMessage(e)}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const command = parseBackupCommand(argv, process.env);
  if (command.help) {
    console.log(USAGE);
    return 0;
  }
  const kc = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  const clock = new WallClock();
  const io = new KubeIo(kc, { who: `data-mover/${command.dataUpload}`, clock, throttle: new ClientThrottle(dataMoverLimits(), clock) });
  const terminate = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`Received ${signal}, canceling`);
      terminate.abort();
    });
  }
  const outcome = await runBackup({
    io,
    clock,
    namespace: command.namespace,
    dataUpload: command.dataUpload,
    node: command.node,
    volumePath: command.volumePath,
    volumeMode: command.volumeMode,
    inProgressTimeoutMs: command.inProgressTimeoutMs,
    throughputBytesPerSecond: command.throughputBytesPerSecond,
    writeTerminationMessage: (message) => writeTerminationLog(command.terminationLog, message),
    signal: terminate.signal,
    log,
  });
  if (outcome.exitCode !== 0) console.error(outcome.message);
  return outcome.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (e) => {
    const message = e instanceof UsageError ? e.message : `Failed to create data mover backup, ${errorMessage(e)}`;
    console.error(`Error: ${message}`);
    if (e instanceof UsageError) console.error(USAGE);
    // As the simulated program, the refusal is the container's termination message too.
    await writeTerminationLog(process.env[TERMINATION_LOG_ENV] || DEFAULT_TERMINATION_LOG, message);
    process.exit(1);
  },
);
