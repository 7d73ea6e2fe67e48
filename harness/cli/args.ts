// What the run commands (scenario, sweep, gate) share on their command lines: the scenario named
// first, the --flows list, whole-number options, and the errors that mean bad input (exit 2).
import { FLOW_NAMES, type FlowName } from '../../controller/flows/types.ts';
import { ParamError, type Scenario } from '../scenario/scenario.ts';

/** Bad command-line input: the command prints the message and exits 2. */
export class UsageError extends Error {}

/** The option's value as a whole number from min to max, or a UsageError naming the option. */
export function wholeNumber(option: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${option}: ${JSON.stringify(raw)} is not accepted: a whole number from ${min} to ${max}`);
  return n;
}

/** --flows A,B (every name checked), or the scenario's own flows. */
export function flowsOption(raw: string | undefined, defaults: FlowName[]): FlowName[] {
  const flows = (raw ? raw.split(',') : defaults) as FlowName[];
  for (const f of flows) if (!FLOW_NAMES.includes(f)) throw new UsageError(`--flows: "${f}" is not accepted: the flows are ${FLOW_NAMES.join(', ')}`);
  return flows;
}

/** The scenario named by the first argument (not an option), and the arguments after it. */
export function scenarioArgument(argv: string[]): { name?: string; rest: string[] } {
  const name = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  return { name, rest: name ? argv.slice(1) : argv };
}

/** --file PATH or --file=PATH, taken out of the arguments (the rest are parsed against the scenario's options). */
export function fileOption(argv: string[]): { file?: string; rest: string[] } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--file' || a.startsWith('--file=')) {
      const v = a === '--file' ? argv[++i] : a.slice('--file='.length);
      if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError('--file: a path to a scenario file (YAML or JSON) is needed');
      if (file !== undefined) throw new UsageError('--file: given twice; one scenario file per run');
      file = v;
    } else rest.push(a);
  }
  return { file, rest };
}

/** The scenario of that name, or a UsageError listing the scenarios there are. */
export function knownScenario(scenarios: Map<string, Scenario>, name: string): Scenario {
  const scenario = scenarios.get(name);
  if (!scenario) throw new UsageError(`unknown scenario "${name}": the scenarios are ${[...scenarios.keys()].join(', ')} (npm run scenario -- --list)`);
  return scenario;
}

/**
 * Runs a command's main and exits with its code. An error that is bad input (a UsageError, a
 * parameter, config or fault schedule refused, an unknown option, or one of `inputErrors`)
 * prints its message and exits 2; anything else prints its stack too and exits 1.
 */
export function runCommand(command: string, main: () => Promise<number>, inputErrors: (new (...args: never[]) => Error)[] = []): void {
  main().then(
    (code) => process.exit(code),
    (e) => {
      const known =
        e instanceof UsageError ||
        e instanceof ParamError ||
        inputErrors.some((c) => e instanceof c) ||
        (e as Error).name === 'ConfigError' ||
        (e as Error).name === 'FaultError' ||
        String((e as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS');
      console.error(`${command}: ${(e as Error).message}`);
      if (!known) console.error((e as Error).stack);
      process.exit(known ? 2 : 1);
    },
  );
}
