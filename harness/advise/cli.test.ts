// npm run advise's command line: bad input is refused before anything runs, with a message
// naming the option, the value and what is accepted, and exit 2; --help is the usage, exit 0.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = 'docs/examples/large-pvc.yaml';

function advise(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'harness/cli/advise.ts'), ...args], { cwd: repoRoot, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('npm run advise: the command line', () => {
  it('refuses bad input with exit 2, no stack, and a message naming the option, the value and what is accepted', async () => {
    const cases: [string[], RegExp][] = [
      [['--file', EXAMPLE, '--window', '6 hours'], /^advise: --window: "6 hours" is not accepted: a Go duration above 0, such as 6h or 90m\n$/],
      [['--file', EXAMPLE, '--param', 'concurrency=many'], /^advise: --param concurrency: "many" is not accepted: a whole number >= 1 and <= 100\n$/],
      [['--file', EXAMPLE, '--param', 'data-mover-nodes=role=nowhere'], /^advise: velero-1\.16's loadAffinity admits none of the nodes \(backup-1 \{datamover-bench\.io\/backup-node=true\};.* worker-3 \{\}\)/],
      [['--file', EXAMPLE, '--frobnicate'], /^advise: Unknown option '--frobnicate'; the options are --file, --window, --seeds/],
    ];
    const results = await Promise.all(cases.map(([args]) => advise(...args)));
    results.forEach((r, i) => {
      expect(r.status, `${cases[i][0].join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(cases[i][1]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).not.toContain('stage 1');
    });
  });

  it('--help: the usage and exit 0; nothing given: the usage and exit 2', async () => {
    const [help, none] = await Promise.all([advise('--help'), advise()]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run advise -- --file my-backup\.yaml \[options\]/);
    expect(help.stdout).toMatch(/--window D {10}every DataUpload must end within D/);
    expect(none.status).toBe(2);
    expect(none.stdout).toMatch(/^usage: npm run advise/);
  });
});
