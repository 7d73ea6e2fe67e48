// npm run capture, as a function: read a live cluster (read.ts), map it to a scenario file
// (mapping.ts) and render it as YAML with a header saying what was captured and skipped. The
// command line (harness/cli/capture.ts) adds the options, the output path and the summary.
import type { KubeConfig } from '@kubernetes/client-node';
import { Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { toScenarioFile, type Capture } from './mapping.ts';
import { readCluster } from './read.ts';

export interface CaptureOptions {
  namespaces?: string[];
  veleroNamespace: string;
  configMap?: string;
  keepNames: boolean;
  /** When the capture happened (the file's description); default now. */
  now?: Date;
  progress?: (line: string) => void;
}

export interface CaptureResult extends Capture {
  /** The scenario file as written: the header as comments, then the document. */
  yaml: string;
}

export async function captureCluster(kc: KubeConfig, opts: CaptureOptions): Promise<CaptureResult> {
  const read = await readCluster(kc, opts);
  const capture = toScenarioFile(read, { keepNames: opts.keepNames, capturedAt: opts.now ?? new Date(), veleroNamespace: opts.veleroNamespace, namespaces: opts.namespaces });
  return { ...capture, yaml: renderCapture(capture) };
}

/** YAML a person can read: the header as comments, one line per PVC, short lists and resources inline. */
export function renderCapture(capture: Capture): string {
  const doc = new Document(capture.file);
  doc.commentBefore = capture.header.map((l) => ` ${l}`).join('\n');
  const flow = (node: unknown) => {
    if (isMap(node) || isSeq(node)) (node as YAMLMap | YAMLSeq).flow = true;
  };
  const pvcs = doc.get('pvcs', true) as YAMLSeq | undefined;
  for (const item of pvcs?.items ?? []) flow(item);
  const storageClasses = doc.get('storageClasses', true) as YAMLSeq | undefined;
  for (const item of storageClasses?.items ?? []) flow(item);
  const backups = doc.get('backups', true) as YAMLSeq | undefined;
  for (const item of backups?.items ?? []) flow((item as YAMLMap).get('includedNamespaces', true));
  const nodes = doc.get('nodes', true) as YAMLSeq | undefined;
  for (const pool of nodes?.items ?? []) {
    const p = pool as YAMLMap;
    for (const key of ['names', 'capacity', 'allocatable', 'zones']) flow(p.get(key, true));
    for (const t of (p.get('taints', true) as YAMLSeq | undefined)?.items ?? []) flow(t);
  }
  return doc.toString({ lineWidth: 0 });
}
