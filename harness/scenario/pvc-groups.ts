// Generated PVCs: groups of a count, spread over namespaces in turn, with sizes drawn from a
// distribution (GiB). The shipped scenarios (backup-workload.ts) and scenario files' PVC groups
// (file/) draw them here, from one seeded stream, so a file that declares large-pvc's group gets
// large-pvc's very PVCs. Names are made up with faker, seeded too: apps' nouns, `<app>-data-<i>`.
import { faker } from '@faker-js/faker';
import { seededRandom } from '../random.ts';
import { sample, type Distribution } from '../sim/distribution.ts';

export interface PvcGroup {
  count: number;
  /** The namespaces by name, or how many to make up. */
  namespaces: string[] | number;
  /** Sizes in GiB; a PVC is at least 1 MiB, rounded to MiB. */
  gib: Distribution;
  storageClass?: string;
}

export interface GeneratedPvc {
  namespace: string;
  name: string;
  size: string;
  storageClass?: string;
}

/**
 * The groups' PVCs, in order. One stream for all groups (its label is large-pvc's, where the
 * workload began, so every shipped scenario's PVCs stay what they were); namespace and PVC
 * numbers run on across groups, so names never repeat.
 */
export function generatePvcs(groups: PvcGroup[], seed: number): GeneratedPvc[] {
  const random = seededRandom(seed).fork('large-pvc');
  faker.seed(seed);
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const out: GeneratedPvc[] = [];
  let namespaceIndex = 0;
  let pvcIndex = 0;
  for (const g of groups) {
    const namespaces = typeof g.namespaces === 'number' ? Array.from({ length: g.namespaces }, () => `${slug(faker.word.noun())}-${namespaceIndex++}`) : g.namespaces;
    for (let i = 0; i < g.count; i++) {
      const gib = sample(g.gib, random);
      const app = slug(faker.hacker.noun());
      out.push({ namespace: namespaces[i % namespaces.length], name: `${app}-data-${pvcIndex++}`, size: `${Math.max(1, Math.round(gib * 1024))}Mi`, ...(g.storageClass ? { storageClass: g.storageClass } : {}) });
    }
  }
  return out;
}
