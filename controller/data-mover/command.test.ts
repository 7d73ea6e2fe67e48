// The data mover's flags and environment, as the exposer passes them and as cobra refuses them.
import { describe, expect, it } from 'vitest';
import { parseBackupCommand, throughputFromEnv, UsageError } from './command.ts';

const EXPOSER_ARGS = ['data-mover', 'backup', '--volume-path=/0b3c', '--volume-mode=Filesystem', '--data-upload=du-1', '--resource-timeout=4h0m0s'];

describe('parseBackupCommand', () => {
  it('reads the exposer\'s arguments and the pod\'s environment', () => {
    const c = parseBackupCommand([...EXPOSER_ARGS, '--in-progress-timeout=10m0s'], {
      VELERO_NAMESPACE: 'velero-x',
      NODE_NAME: 'worker-1',
      DATA_MOVER_THROUGHPUT: '64Mi',
      DATA_MOVER_TERMINATION_LOG: '/tmp/t',
    });
    expect(c).toEqual({
      help: false,
      dataUpload: 'du-1',
      volumePath: '/0b3c',
      volumeMode: 'Filesystem',
      resourceTimeoutMs: 4 * 3600_000,
      inProgressTimeoutMs: 600_000,
      namespace: 'velero-x',
      node: 'worker-1',
      throughputBytesPerSecond: 64 * 1024 * 1024,
      terminationLog: '/tmp/t',
    });
  });

  it('takes "--flag value" as well, and defaults: namespace velero, no deadline, unthrottled, /dev/termination-log', () => {
    const c = parseBackupCommand(['data-mover', 'backup', '--volume-path', '/v', '--volume-mode', 'Block', '--data-upload', 'd', '--resource-timeout', '1m'], {});
    expect(c).toMatchObject({ help: false, volumePath: '/v', volumeMode: 'Block', dataUpload: 'd', resourceTimeoutMs: 60_000, inProgressTimeoutMs: 0, namespace: 'velero', node: '', terminationLog: '/dev/termination-log' });
    expect(c.help === false && c.throughputBytesPerSecond).toBeUndefined();
  });

  it.each([
    [[...EXPOSER_ARGS, '--bogus=1'], 'unknown flag: --bogus'],
    [[...EXPOSER_ARGS, '--in-progress-timeout'], 'flag needs an argument: --in-progress-timeout'],
    [EXPOSER_ARGS.filter((a) => !a.startsWith('--data-upload')), 'required flag(s) "data-upload" not set'],
    [['data-mover', 'backup'], 'required flag(s) "volume-path", "volume-mode", "data-upload", "resource-timeout" not set'],
    [[...EXPOSER_ARGS.slice(0, 3), '--volume-mode=Tape', ...EXPOSER_ARGS.slice(4)], 'invalid argument "Tape" for "--volume-mode" flag: use Filesystem or Block'],
    [[...EXPOSER_ARGS, '--in-progress-timeout=10'], 'invalid argument "10" for "--in-progress-timeout" flag: time: invalid duration "10"'],
    [[...EXPOSER_ARGS.slice(0, 5), '--resource-timeout=4 hours'], 'invalid argument "4 hours" for "--resource-timeout" flag: time: invalid duration "4 hours"'],
    [[...EXPOSER_ARGS.slice(0, 4), '--data-upload=', EXPOSER_ARGS[5]], 'invalid argument "" for "--data-upload" flag: it must not be empty'],
    [['data-mover', 'restore', ...EXPOSER_ARGS.slice(2)], 'unknown command "restore" for "velero data-mover"'],
    [['server', ...EXPOSER_ARGS.slice(1)], 'unknown command "server" for "velero"'],
    [[...EXPOSER_ARGS, 'extra'], 'unexpected argument "extra": "velero data-mover backup" takes flags only'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseBackupCommand(argv, {})).toThrow(new UsageError(message));
  });

  it('answers --help', () => {
    expect(parseBackupCommand(['data-mover', 'backup', '--help'], {})).toEqual({ help: true });
  });
});

describe('throughputFromEnv', () => {
  it.each([
    ['64Mi', 64 * 1024 * 1024],
    ['100M', 100e6],
    ['1048576', 1048576],
    ['1.5Ki', 1536],
  ])('%s is %d bytes per second', (value, bytes) => {
    expect(throughputFromEnv({ DATA_MOVER_THROUGHPUT: value })).toBe(bytes);
  });

  it('unset or empty: unthrottled', () => {
    expect(throughputFromEnv({})).toBeUndefined();
    expect(throughputFromEnv({ DATA_MOVER_THROUGHPUT: '' })).toBeUndefined();
  });

  it.each(['fast', '64MB', '0', '-1Mi'])('refuses %j, naming the variable and what is accepted', (value) => {
    expect(() => throughputFromEnv({ DATA_MOVER_THROUGHPUT: value })).toThrow(
      `DATA_MOVER_THROUGHPUT: ${JSON.stringify(value)} is not accepted: use bytes per second as a Kubernetes quantity greater than 0, such as 64Mi, 100M or 1048576; leave it unset for no limit`,
    );
  });
});
