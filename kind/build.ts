// Builds the image's two programs as single-file bundles (esbuild): the controller's command line
// (node-agent, backup) and the data-mover program that /velero runs in the data-mover pod. The
// Dockerfile runs this in its build stage; tests run it too, and then run the bundles against the
// embedded cluster, so what goes into the image is tested without Docker.
//
//   npx tsx kind/build.ts [--out DIR]     (default dist/image)
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Entry point -> bundle name in the image's /app. */
export const IMAGE_PROGRAMS = {
  'controller/cli.ts': 'controller.mjs',
  'controller/data-mover/main.ts': 'data-mover.mjs',
} as const;

/** Bundles every program into `outDir`; returns the files written. */
export async function buildImagePrograms(outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [entry, name] of Object.entries(IMAGE_PROGRAMS)) {
    const outfile = path.join(outDir, name);
    await build({
      entryPoints: [path.join(ROOT, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Some of client-node's CommonJS dependencies call require(); give ESM one.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    written.push(outfile);
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(ROOT, 'dist', 'image') } } });
  for (const file of await buildImagePrograms(path.resolve(values.out!))) console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
