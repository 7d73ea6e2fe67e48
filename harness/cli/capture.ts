// npm run capture [-- options]: read a live cluster with list and get only and write a scenario
// file that npm run scenario -- --file FILE runs on the embedded cluster (docs/capture.md).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { chalk } from 'zx';
import { captureCluster } from '../capture/capture.ts';
import { NothingToCaptureError } from '../capture/mapping.ts';
import { CAPTURE_USAGE, loadKubeConfig, parseCaptureArgs } from '../capture/options.ts';
import { CaptureError } from '../capture/read.ts';
import { REPO_ROOT } from '../scenario/registry.ts';
import { runCommand } from './args.ts';
import { progressMode } from './progress.ts';

/** Skipped PVCs named on the terminal, per reason (the file gives counts only). */
const EXAMPLES = 3;

async function main(argv: string[]): Promise<number> {
  const args = parseCaptureArgs(argv);
  if (args.help) {
    console.log(CAPTURE_USAGE);
    return 0;
  }
  const kc = loadKubeConfig(args);
  const mode = progressMode(args.quiet);
  const progress = mode === 'off' ? undefined : (line: string) => console.log(`${mode === 'tty' ? chalk.dim('read') : 'read'}  ${line}`);
  const started = performance.now();
  const capture = await captureCluster(kc, { namespaces: args.namespaces, veleroNamespace: args.veleroNamespace, configMap: args.configMap, keepNames: args.keepNames, progress });
  const seconds = (performance.now() - started) / 1000;
  const out = resolve(args.out ?? join(REPO_ROOT, 'reports', 'out', 'capture', `${capture.file.metadata.name}.yaml`));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, capture.yaml);
  if (args.quiet) {
    console.log(out);
    return 0;
  }
  const s = capture.summary;
  const skipped = capture.skipped.reduce((n, x) => n + x.pvcs.length, 0);
  const bold = (t: string) => (mode === 'tty' ? chalk.bold(t) : t);
  console.log('');
  console.log(`${bold('nodes')}       ${s.nodes} in ${s.pools} pool${s.pools === 1 ? '' : 's'}`);
  console.log(`${bold('PVCs')}        ${s.pvcs}, ${s.gib.toLocaleString('en-US', { maximumFractionDigits: 1 })} GiB provisioned, in ${s.namespaces} namespace${s.namespaces === 1 ? '' : 's'}${skipped ? `; ${skipped} skipped` : ''}`);
  for (const x of capture.skipped) {
    const shown = x.pvcs.slice(0, EXAMPLES).join(', ');
    console.log(`              ${x.pvcs.length} ${x.reason}: ${shown}${x.pvcs.length > EXAMPLES ? ', ...' : ''}`);
  }
  console.log(`${bold('classes')}     ${s.storageClasses} StorageClass${s.storageClasses === 1 ? '' : 'es'}, storage topology ${capture.file.storageTopology}`);
  const cm = capture.file.nodeAgentConfigMap;
  console.log(`${bold('ConfigMap')}   ${cm ? `${args.veleroNamespace}/${String(cm.metadata?.name)}${args.keepNames ? '' : ' (node and class names in it mapped to the aliases)'}` : 'none (see the header)'}`);
  console.log(`${bold('schedules')}   ${s.schedules} -> ${s.backups} backup${s.backups === 1 ? '' : 's'}${s.backups ? '' : ' (one backup of every PVC)'}`);
  for (const w of capture.header.filter((l) => l.startsWith('Warning: '))) console.log(mode === 'tty' ? chalk.yellow(w) : w);
  console.log(`\ncaptured in ${seconds.toFixed(1)} s; the file's header says what was captured and skipped`);
  console.log(`wrote ${out}`);
  const shown = relative(process.cwd(), out);
  console.log(`run it: npm run scenario -- --file ${shown && !shown.startsWith('..') ? shown : out}`);
  return 0;
}

runCommand('capture', () => main(process.argv.slice(2)), [CaptureError, NothingToCaptureError]);
