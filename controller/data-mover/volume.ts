// What the data mover reads from the volume the exposer mounted, and the reading itself.
// Filesystem mode: every regular file under the volume path, walked in lexical order as Go's
// filepath.Walk does, symbolic links not followed, other special files left out. Block mode:
// the device at the volume path, whole. The bytes are hashed (sha256) as they are read; the
// hash stands in for the repository an uploader would write to.
import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Throttle } from './throttle.ts';

export const VOLUME_MODES = ['Filesystem', 'Block'] as const;
export type VolumeMode = (typeof VOLUME_MODES)[number];

export interface VolumeEntry {
  path: string;
  /** Bytes, measured before reading. */
  size: number;
}

/** The reading stopped because the signal was aborted. */
export class ReadCanceledError extends Error {
  constructor() {
    super('reading canceled');
    this.name = 'ReadCanceledError';
  }
}

/** The files (or the device) to read, in reading order, with their sizes. */
export async function listVolume(path: string, mode: VolumeMode): Promise<VolumeEntry[]> {
  if (mode === 'Block') {
    const st = await stat(path);
    if (!st.isBlockDevice()) return [{ path, size: st.size }];
    // stat reports 0 bytes for a block device.
    const fh = await open(path, 'r');
    try {
      return [{ path, size: await deviceSize(fh) }];
    } finally {
      await fh.close();
    }
  }
  const entries: VolumeEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const children = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const path = join(dir, child.name);
      if (child.isDirectory()) await walk(path);
      else if (child.isFile()) entries.push({ path, size: (await stat(path)).size });
    }
  };
  await walk(path);
  return entries;
}

/**
 * The size of what an open file holds, found by reading single bytes: doubling the offset
 * until a read comes back empty, then halving the gap. For block devices, whose stat says 0
 * and whose size Node cannot ask the kernel for (no BLKGETSIZE64 ioctl).
 */
export async function deviceSize(fh: FileHandle): Promise<number> {
  const one = Buffer.alloc(1);
  const has = async (size: number) => (await fh.read(one, 0, 1, size - 1)).bytesRead === 1;
  // Invariant: the first `lo` bytes exist; byte hi - 1 does not.
  let lo = 0;
  let hi = 1;
  while (await has(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await has(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

export interface ReadOptions {
  /** Bytes per read; the throttle and the signal are looked at between reads. */
  chunkBytes: number;
  throttle?: Throttle;
  signal: AbortSignal;
  /** Called after each read with the bytes read so far in total. */
  onProgress(doneBytes: number): void;
}

export interface ReadResult {
  bytes: number;
  /** sha256 of every byte read, in reading order, hex. */
  sha256: string;
}

/** Reads every entry to its end. Throws ReadCanceledError once the signal is aborted, or the I/O error. */
export async function readVolume(entries: VolumeEntry[], opts: ReadOptions): Promise<ReadResult> {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(opts.chunkBytes);
  let bytes = 0;
  for (const entry of entries) {
    if (opts.signal.aborted) throw new ReadCanceledError();
    const fh = await open(entry.path, 'r');
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
        bytes += bytesRead;
        opts.onProgress(bytes);
        await opts.throttle?.pass(bytesRead);
        if (opts.signal.aborted) throw new ReadCanceledError();
      }
    } finally {
      await fh.close();
    }
  }
  return { bytes, sha256: hash.digest('hex') };
}
