// Runs a plan's steps for real (zx, in bash, from the repository root): per step, the tools it
// needs are checked first (once per run), then its skip probe, then its commands, each printed
// as "+ command" before it runs, as the dry run prints it. The first failure ends the run.
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { formatCommand, type Command, type Step, type Tool } from './plan.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Result {
  /** 127: not found (as a shell says it). */
  code: number;
  stdout: string;
  stderr: string;
}

/** capture: output kept for the caller (checks, probes); stream: output goes to the terminal. */
export type Exec = (c: Command, mode: 'capture' | 'stream') => Promise<Result>;

export const EXIT = { ok: 0, stepFailed: 1, badOption: 2, prerequisite: 3 } as const;

export const zxExec: Exec = async (c, mode) => {
  // zx runs commands in bash; without bash on PATH nothing can run, which the bash check reports.
  if (typeof $.shell !== 'string') return { code: 127, stdout: '', stderr: 'bash: not found on PATH' };
  const p = await $({
    cwd: REPO_ROOT,
    env: { ...process.env, ...c.env },
    input: c.stdin,
    nothrow: true,
    quiet: true,
    verbose: false,
    stdio: mode === 'capture' ? 'pipe' : [c.stdin === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'],
  })`${c.argv}`;
  return { code: p.exitCode ?? 1, stdout: p.stdout, stderr: p.stderr };
};

export interface RunIO {
  exec: Exec;
  out: (line: string) => void;
  err: (line: string) => void;
}

const lastLine = (s: string): string => s.trim().split('\n').at(-1) ?? '';

/** Runs the steps; the exit code (EXIT). */
export async function runSteps(program: string, steps: Step[], io: RunIO): Promise<number> {
  const checked = new Set<Tool>();
  for (const step of steps) {
    io.out(`# ${step.title}`);
    for (const p of step.requires) {
      if (checked.has(p.tool)) continue;
      io.out(`+ ${formatCommand(p.check)}`);
      const r = await io.exec(p.check, 'capture');
      if (r.code === 127) {
        io.err(`${program}: ${p.tool} is not installed (not found on PATH): ${p.install}`);
        return EXIT.prerequisite;
      }
      if (r.code !== 0) {
        io.err(`${program}: ${p.failed ?? `${p.tool} does not work: \`${formatCommand(p.check)}\` failed (exit ${r.code})`}`);
        const said = lastLine(r.stderr) || lastLine(r.stdout);
        if (said) io.err(`  ${p.check.argv.join(' ')}: ${said}`);
        return EXIT.prerequisite;
      }
      const warning = p.warn?.(r.stdout);
      if (warning) io.err(`${program}: warning: ${warning}`);
      checked.add(p.tool);
    }
    if (step.skip) {
      io.out(`+ ${formatCommand(step.skip.probe)}`);
      const r = await io.exec(step.skip.probe, 'capture');
      if (r.code !== 0) return failed(program, step, step.skip.probe, r, io);
      if (step.skip.applies(r.stdout)) {
        io.out(`# skipped: ${step.skip.when}`);
        continue;
      }
    }
    for (const c of step.commands) {
      io.out(`+ ${formatCommand(c)}`);
      const r = await io.exec(c, 'stream');
      if (r.code !== 0) return failed(program, step, c, r, io);
    }
  }
  return EXIT.ok;
}

function failed(program: string, step: Step, c: Command, r: Result, io: RunIO): number {
  const detail = r.code === 127 ? 'not found' : `exit ${r.code}`;
  const shown = formatCommand({ argv: c.argv, env: c.env });
  io.err(`${program}: step "${step.title}" failed: \`${shown}\` (${detail})${r.stderr ? `: ${lastLine(r.stderr)}` : ''}`);
  return EXIT.stepFailed;
}
