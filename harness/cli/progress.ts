// The progress of a scenario's jobs: on a terminal, one live line per job (DataUploads ended of
// those created, simulated time, wall time), redrawn in place; elsewhere (CI, a pipe) one line
// per job when it ends; nothing with --quiet.
import { chalk } from 'zx';
import type { RunProgress } from '../run/run.ts';

export type ProgressMode = 'tty' | 'lines' | 'off';

/** Live lines on a terminal; one line per run when it ends in CI or a pipe; nothing when quiet. */
export function progressMode(quiet: boolean): ProgressMode {
  return quiet ? 'off' : process.stdout.isTTY && !process.env.CI ? 'tty' : 'lines';
}

interface Row {
  label: string;
  state: 'waiting' | 'running' | 'done';
  progress?: RunProgress;
  startedAt?: number;
  wallSeconds?: number;
}

const BAR = 20;

export class ProgressBoard {
  private readonly rows: Row[];
  private drawn = 0;
  private lastDraw = 0;

  constructor(
    labels: string[],
    private readonly mode: ProgressMode,
    private readonly out: NodeJS.WriteStream = process.stdout,
    /** What the run's time is: "simulated" on the embedded cluster; on a real one, "equivalent" (the run's seconds x its time scale). */
    private readonly timeLabel = 'simulated',
  ) {
    this.rows = labels.map((label) => ({ label, state: 'waiting' }));
    const width = Math.max(...labels.map((l) => l.length));
    for (const r of this.rows) r.label = r.label.padEnd(width);
  }

  start(i: number): void {
    Object.assign(this.rows[i], { state: 'running', startedAt: performance.now() });
    this.draw(true);
  }

  update(i: number, p: RunProgress): void {
    this.rows[i].progress = p;
    this.draw(false);
  }

  end(i: number, note: string): void {
    const r = this.rows[i];
    r.state = 'done';
    r.wallSeconds = (performance.now() - (r.startedAt ?? performance.now())) / 1000;
    if (this.mode === 'lines') this.out.write(`${r.label}  ${this.describe(r)}  ${note}\n`);
    this.draw(true);
  }

  private draw(force: boolean): void {
    if (this.mode !== 'tty') return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    let s = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const r of this.rows) s += `\x1b[2K${chalk.bold(r.label)}  ${r.state === 'waiting' ? chalk.dim('waiting') : this.describe(r)}\n`;
    this.drawn = this.rows.length;
    this.out.write(s);
  }

  private describe(r: Row): string {
    const p = r.progress ?? { ended: 0, total: 0, simulatedSeconds: 0 };
    const filled = p.total ? Math.round((BAR * p.ended) / p.total) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}`;
    const wall = r.wallSeconds ?? (performance.now() - (r.startedAt ?? performance.now())) / 1000;
    return `${bar} ${String(p.ended).padStart(5)}/${String(p.total).padEnd(5)} DataUploads ended  ${simulated(p.simulatedSeconds).padStart(8)} ${this.timeLabel}  ${wall.toFixed(1).padStart(6)} s wall${r.state === 'done' ? chalk.green('  done') : ''}`;
  }
}

/** 4h05m, 12m30s, 45s. */
function simulated(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}
