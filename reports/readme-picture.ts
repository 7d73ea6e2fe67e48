// `npm run readme-picture`: the README's picture of the HTML report (docs/report.png), from a real
// run. Runs `npm run scenario large-pvc` as a user does (a new process, its output in
// reports/out/readme-picture/), opens the report it wrote in Debian's chromium with the network
// blocked, and saves the top of the page: the verdict, the flows side by side and the first charts.
// Refuses to save a page that logged an error or tried to fetch anything.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openOffline } from './browser.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(REPO_ROOT, 'reports', 'out', 'readme-picture');
const PICTURE = path.join(REPO_ROOT, 'docs', 'report.png');
const WIDTH = 1280;
const HEIGHT = 1500;

async function main(): Promise<void> {
  const args = ['large-pvc', '--seed', '1', '--out', OUT, ...process.argv.slice(2)];
  console.log(`npm run scenario ${args.join(' ')}`);
  rmSync(OUT, { recursive: true, force: true });
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'harness/cli/scenario.ts'), ...args], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`npm run scenario ${args.join(' ')}: exit ${run.status}`);

  const { browser, page, errors, fetched } = await openOffline(path.join(OUT, 'index.html'), WIDTH, HEIGHT);
  try {
    if (errors.length > 0) throw new Error(`the report logged errors: ${errors.join('; ')}`);
    if (fetched.length > 0) throw new Error(`the report tried to fetch: ${fetched.join(', ')}`);
    mkdirSync(path.dirname(PICTURE), { recursive: true });
    await page.screenshot({ path: PICTURE, clip: { x: 0, y: 0, width: WIDTH, height: HEIGHT } });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${path.relative(REPO_ROOT, PICTURE)} (${WIDTH} x ${HEIGHT}) from ${path.relative(REPO_ROOT, path.join(OUT, 'index.html'))}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
