// The official Kubernetes Python client (Debian's python3-kubernetes) against `npm run cluster`:
// python-client.py beside this file lists, watches, pages, selects, conflicts, patches and drives
// the DataUpload custom resource with it, one JSON line per check; each check is a test here.
// Without the module, a developer's `npm test` skips these with the reason printed, as
// kubectl.test.ts does without kubectl; under .ci/run (which installs it and sets
// DMB_REQUIRE_PYTHON_CLIENT=1) they fail instead, so the second client cannot drop out of CI.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterProcess, type ClusterProcess } from '../test/cluster-process.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(repoRoot, 'harness', 'cluster', 'python-client.py');
// Debian's interpreter, where apt installs the module; a python3 earlier on PATH (pyenv) lacks it.
const python = '/usr/bin/python3';
const scriptTimeoutMs = 30_000;

/** The checks python-client.py makes, in its order; each must print a line with ok: true. */
const CHECKS = [
  'namespaces', 'typed-lists', 'list', 'errors', 'dry-run', 'label-selectors', 'field-selectors',
  'paging', 'conflict', 'watch', 'watch-label-selector', 'watch-initial-state', 'patch-strategic',
  'patch-json', 'patch-merge', 'pod-runs', 'dataupload-create-get-list', 'dataupload-merge-patch',
  'dataupload-status-subresource', 'dataupload-conflict', 'dataupload-watch', 'dataupload-delete',
  'delete-collection', 'namespace-delete',
];

interface CheckLine {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

let cluster: ClusterProcess | undefined;
let run: { code: number | null; stdout: string; stderr: string; checks: Map<string, CheckLine> };

/** Why python3-kubernetes cannot run here, or undefined when it can. */
function pythonKubernetesMissing(): string | undefined {
  const r = spawnSync(python, ['-c', 'import kubernetes'], { encoding: 'utf8' });
  if (r.status === 0) return undefined;
  const why = r.error ? r.error.message : r.stderr.trim().split('\n').pop();
  return `${python} cannot import kubernetes (${why}). Install Debian's python3-kubernetes: apt-get install -y python3-kubernetes (.ci/run does).`;
}

const missing = pythonKubernetesMissing();
const required = process.env.DMB_REQUIRE_PYTHON_CLIENT === '1';
if (missing && !required) console.warn(`python-client.test: skipped: ${missing}`);

function runScript(kubeconfig: string): Promise<typeof run> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), scriptTimeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const checks = new Map<string, CheckLine>();
      for (const line of stdout.split('\n').filter((l) => l.trim())) {
        const parsed = JSON.parse(line) as CheckLine;
        checks.set(parsed.name, parsed);
      }
      if (signal) stderr += `\n(killed by ${signal} after ${scriptTimeoutMs / 1000} s)`;
      resolve({ code, stdout, stderr, checks });
    });
  });
}

beforeAll(async () => {
  if (missing) {
    if (required) throw new Error(missing);
    return;
  }
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'dmb-python-')), 'kubeconfig');
  cluster = await startClusterProcess(kubeconfig, ['--port', '0']);
  run = await runScript(kubeconfig);
});

afterAll(async () => {
  if (!cluster) return;
  const code = await cluster.stop();
  expect(code, `cluster exit code, output:\n${cluster.output()}`).toBe(0);
});

describe.skipIf(missing !== undefined && !required)('python3-kubernetes against npm run cluster', () => {
  it.each(CHECKS)('%s', (name) => {
    const check = run.checks.get(name);
    expect(check, `python-client.py printed no line for ${name}; stderr:\n${run.stderr}`).toBeDefined();
    expect(check!.ok, `${name}: ${check!.detail}`).toBe(true);
  });

  it('reports exactly these checks, and exits 0 only when all passed', () => {
    expect([...run.checks.keys()], `stderr:\n${run.stderr}`).toEqual(CHECKS);
    const allOk = [...run.checks.values()].every((c) => c.ok);
    expect(run.code, `stderr:\n${run.stderr}`).toBe(allOk ? 0 : 1);
  });
});
