// The README and docs/ as a user of a clone reads them: every relative link reaches a file of the
// repository (and a heading, where it names one), and nothing in the repository reaches outside it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));
}

/** Markdown links [text](target) and images ![alt](target) outside code, with their line. */
function linksOf(page: string): { target: string; line: number }[] {
  const text = readFileSync(path.join(repoRoot, page), 'utf8');
  const out: { target: string; line: number }[] = [];
  let inFence = false;
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('```')) inFence = !inFence;
    if (inFence) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) out.push({ target: m[1], line: i + 1 });
  });
  return out;
}

describe('README and docs/', () => {
  it('anchorOf follows GitHub: "### 4.6 The lower bound" -> 46-the-lower-bound', () => {
    expect(anchorOf('4.6 The lower bound')).toBe('46-the-lower-bound');
    expect(anchorOf('The simulated cluster (`harness/sim/`)')).toBe('the-simulated-cluster-harnesssim');
  });

  it.each(pages)('%s: every relative link reaches a file inside the repository, and its heading', (page) => {
    const broken: string[] = [];
    for (const { target, line } of linksOf(page)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split('#');
      const resolved = file === '' ? path.join(repoRoot, page) : path.resolve(path.dirname(path.join(repoRoot, page)), file);
      if (path.relative(repoRoot, resolved).startsWith('..')) broken.push(`${page}:${line} ${target}: outside the repository`);
      else if (!existsSync(resolved)) broken.push(`${page}:${line} ${target}: no such file`);
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`${page}:${line} ${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it('README stays a newcomer\'s page: the two command lines first, under 200 lines', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const lines = readme.split('\n');
    expect(lines.length).toBeLessThan(200);
    expect(lines.slice(0, 6).join('\n')).toContain('npm ci && npm run scenario large-pvc');
    expect(lines.slice(0, 6).join('\n')).toContain('npm ci && npm test');
  });

  it('nothing tracked reads or links the shared folder beside a clone, except .ci/run\'s optional VELERO_DATAUPLOAD_CRD', () => {
    let hits = '';
    try {
      hits = execFileSync('git', ['grep', '-n', '-E', String.raw`\.\./shared|'\.\.', *'shared'`], { cwd: repoRoot, encoding: 'utf8' });
    } catch (e) {
      if ((e as { status?: number }).status !== 1) throw e; // 1: no match
    }
    const outside = hits
      .split('\n')
      .filter(Boolean)
      .filter((l) => !l.startsWith('docs/docs.test.ts:'))
      .filter((l) => !(l.startsWith('.ci/run:') && /upstream_crd=|VELERO_DATAUPLOAD_CRD/.test(l)));
    expect(outside).toEqual([]);
  });
});
