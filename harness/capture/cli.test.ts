// npm run capture as a user runs it: against the inventory cluster over TCP with a kubeconfig file,
// the file written and readable by the scenario file's parser; bad options exit 2 naming the
// option, the value and what is accepted.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../scenario/registry.ts';
import { parseScenarioFile } from '../scenario/file/parse.ts';
import type { EmbeddedCluster } from '../cluster/embedded.ts';
import { startInventoryCluster } from './inventory.ts';

const CLI = join(REPO_ROOT, 'harness', 'cli', 'capture.ts');
const env = { ...process.env, CI: 'true' };
const dir = mkdtempSync(join(tmpdir(), 'capture-cli-'));

describe('npm run capture, the command', () => {
  let cluster: EmbeddedCluster;
  let kubeconfig: string;
  beforeAll(async () => {
    ({ cluster } = await startInventoryCluster());
    kubeconfig = await cluster.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reads the cluster, prints a line per kind read and a summary, and writes a file the scenario parser takes', async () => {
    const out = join(dir, 'prod.yaml');
    // Not spawnSync: the cluster answering it runs in this process.
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, '--kubeconfig', kubeconfig, '--out', out], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    expect(r.stdout).toMatch(/^read {2}nodes {19}9$/m);
    expect(r.stdout).toMatch(/^read {2}persistentvolumeclaims {2}312$/m);
    expect(r.stdout).toMatch(/^PVCs {8}300, [\d,.]+ GiB provisioned, in 20 namespaces; 12 skipped$/m);
    expect(r.stdout).toMatch(/^schedules {3}3 -> 3 backups$/m);
    expect(r.stdout).toContain(`wrote ${out}`);
    const file = parseScenarioFile(readFileSync(out, 'utf8'), out);
    expect(file.pvcs).toHaveLength(300);
    expect(file.nodes.map((p) => p.names?.length)).toEqual([4, 2, 3]);
  });

  it('--quiet prints the path only', async () => {
    const out = join(dir, 'quiet.yaml');
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, '--kubeconfig', kubeconfig, '--out', out, '--quiet'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
    expect(r.stdout).toBe(`${out}\n`);
  });
});

// Concurrent: each case is a Node.js start of its own, most of its time loading modules.
describe.concurrent('npm run capture refuses bad input with exit 2', () => {
  const run = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((ok) => {
      const child = execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' }, (_e, stdout, stderr) => ok({ status: child.exitCode, stdout, stderr }));
    });

  it.each<[string[], RegExp]>([
    [['--namespaces', 'Shop'], /^capture: --namespaces: "Shop" is not accepted: a namespace is a DNS-1123 label/],
    [['--keep-name'], /^capture: Unknown option '--keep-name'/],
  ])('%j', async (args, message) => {
    const r = await run(...args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: npm run capture [-- options]');
    expect(r.stdout).toContain('--keep-names');
  });
});
