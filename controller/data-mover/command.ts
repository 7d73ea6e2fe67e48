// The data mover's command line and environment, read as Velero's cobra command reads its
// flags (`velero data-mover backup`, pkg/cmd/cli/datamover/backup.go): every flag
// "--name=value" or "--name value"; --volume-path, --volume-mode, --data-upload and
// --resource-timeout required; an unknown flag or a value that does not parse is refused with
// cobra's wording. The environment is the pod's: the exposer sets NODE_NAME and
// VELERO_NAMESPACE; DATA_MOVER_THROUGHPUT and DATA_MOVER_TERMINATION_LOG are ours.
import { DATA_MOVER_FLAG, DATA_MOVER_THROUGHPUT_ENV } from '../api/dataupload.ts';
import { parseGoDuration } from '../duration.ts';
import { parseBytes } from '../quantity.ts';
import { VOLUME_MODES, type VolumeMode } from './volume.ts';

export const USAGE = `usage: velero data-mover backup --volume-path=PATH --volume-mode=Filesystem|Block --data-upload=NAME
                             --resource-timeout=DURATION [--in-progress-timeout=DURATION]

  --volume-path          the volume to back up: a directory (Filesystem) or a device (Block)
  --volume-mode          Filesystem or Block
  --data-upload          the DataUpload's name, in the pod's namespace
  --resource-timeout     Go duration (e.g. 4h0m0s); accepted as Velero's, which bounds its repository
                         set-up; this program has no repository
  --in-progress-timeout  Go duration; how long to wait for the DataUpload to be InProgress; 0s: no deadline

environment:
  VELERO_NAMESPACE            the DataUpload's namespace (default velero)
  NODE_NAME                   the node, named in the Events' source
  DATA_MOVER_THROUGHPUT       bytes per second read at most, a quantity such as 64Mi; unset: unthrottled
  DATA_MOVER_TERMINATION_LOG  where the outcome is written (default /dev/termination-log)
  KUBECONFIG                  outside a cluster (in a pod, KUBERNETES_SERVICE_HOST selects in-cluster config)`;

export const TERMINATION_LOG_ENV = 'DATA_MOVER_TERMINATION_LOG';
export const DEFAULT_TERMINATION_LOG = '/dev/termination-log';
/** Velero's default namespace, when VELERO_NAMESPACE is not set. */
export const DEFAULT_NAMESPACE = 'velero';

/** A mistake on the command line or in the environment: exit 1, as cobra does. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface BackupCommand {
  dataUpload: string;
  volumePath: string;
  volumeMode: VolumeMode;
  resourceTimeoutMs: number;
  /** 0: no deadline. */
  inProgressTimeoutMs: number;
  namespace: string;
  node: string;
  throughputBytesPerSecond?: number;
  terminationLog: string;
}

export type ParsedCommand = { help: true } | ({ help: false } & BackupCommand);

const FLAGS = Object.values(DATA_MOVER_FLAG);
const REQUIRED = [DATA_MOVER_FLAG.volumePath, DATA_MOVER_FLAG.volumeMode, DATA_MOVER_FLAG.dataUpload, DATA_MOVER_FLAG.resourceTimeout];

/** argv after the program: "data-mover backup --flag=value ...". */
export function parseBackupCommand(argv: string[], env: Record<string, string | undefined>): ParsedCommand {
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (!(FLAGS as string[]).includes(flag)) throw new UsageError(`unknown flag: ${flag}`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`flag needs an argument: ${flag}`);
    values.set(flag, value);
  }
  const [group, command, ...extra] = positional;
  if (group !== 'data-mover') throw new UsageError(group === undefined ? 'missing command: use "data-mover backup"' : `unknown command "${group}" for "velero"`);
  if (command !== 'backup') throw new UsageError(command === undefined ? 'missing command: use "data-mover backup"' : `unknown command "${command}" for "velero data-mover"`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}": "velero data-mover backup" takes flags only`);
  const missing = REQUIRED.filter((f) => !values.has(f));
  if (missing.length) throw new UsageError(`required flag(s) ${missing.map((f) => `"${f.slice(2)}"`).join(', ')} not set`);

  const volumeMode = values.get(DATA_MOVER_FLAG.volumeMode)!;
  if (!(VOLUME_MODES as readonly string[]).includes(volumeMode)) {
    throw new UsageError(invalid(DATA_MOVER_FLAG.volumeMode, volumeMode, `use ${VOLUME_MODES.join(' or ')}`));
  }
  for (const flag of [DATA_MOVER_FLAG.volumePath, DATA_MOVER_FLAG.dataUpload]) {
    if (!values.get(flag)) throw new UsageError(invalid(flag, '', 'it must not be empty'));
  }
  const inProgress = values.get(DATA_MOVER_FLAG.inProgressTimeout);
  return {
    help: false,
    dataUpload: values.get(DATA_MOVER_FLAG.dataUpload)!,
    volumePath: values.get(DATA_MOVER_FLAG.volumePath)!,
    volumeMode: volumeMode as VolumeMode,
    resourceTimeoutMs: duration(DATA_MOVER_FLAG.resourceTimeout, values.get(DATA_MOVER_FLAG.resourceTimeout)!),
    inProgressTimeoutMs: inProgress === undefined ? 0 : Math.max(0, duration(DATA_MOVER_FLAG.inProgressTimeout, inProgress)),
    namespace: env.VELERO_NAMESPACE || DEFAULT_NAMESPACE,
    node: env.NODE_NAME ?? '',
    throughputBytesPerSecond: throughputFromEnv(env),
    terminationLog: env[TERMINATION_LOG_ENV] || DEFAULT_TERMINATION_LOG,
  };
}

/** DATA_MOVER_THROUGHPUT in bytes per second; unset or empty: undefined (unthrottled). */
export function throughputFromEnv(env: Record<string, string | undefined>): number | undefined {
  const raw = env[DATA_MOVER_THROUGHPUT_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const accepted = 'use bytes per second as a Kubernetes quantity greater than 0, such as 64Mi, 100M or 1048576; leave it unset for no limit';
  let bytes: number;
  try {
    bytes = parseBytes(raw, DATA_MOVER_THROUGHPUT_ENV);
  } catch {
    throw new UsageError(`${DATA_MOVER_THROUGHPUT_ENV}: ${JSON.stringify(raw)} is not accepted: ${accepted}`);
  }
  if (!(bytes > 0)) throw new UsageError(`${DATA_MOVER_THROUGHPUT_ENV}: ${JSON.stringify(raw)} is not accepted: ${accepted}`);
  return bytes;
}

function duration(flag: string, value: string): number {
  try {
    return parseGoDuration(value, flag);
  } catch {
    throw new UsageError(invalid(flag, value, `time: invalid duration "${value}"`));
  }
}

/** cobra's wording for a value a flag cannot take. */
function invalid(flag: string, value: string, why: string): string {
  return `invalid argument "${value}" for "${flag}" flag: ${why}`;
}
