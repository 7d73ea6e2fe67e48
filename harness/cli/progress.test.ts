import { describe, expect, it } from 'vitest';
import { ProgressBoard, type ProgressMode } from './progress.ts';

function board(mode: ProgressMode) {
  const out = { text: '', write(s: string) { this.text += s; return true; } };
  return { out, b: new ProgressBoard(['velero-1.16', 'deploying'], mode, out as unknown as NodeJS.WriteStream) };
}

describe('progress of the flow runs', () => {
  it('on a terminal: one live line per run, redrawn in place, with DataUploads ended / created and simulated time', () => {
    const { out, b } = board('tty');
    b.start(0);
    expect(out.text).toMatch(/deploying .*waiting/);
    b.update(0, { ended: 120, total: 240, simulatedSeconds: 4500 }); // drawn at most every 100 ms
    b.start(1); // forces a draw
    expect(out.text).toContain('\x1b[2A'); // redrawn over the two lines
    expect(out.text).toMatch(/velero-1\.16 .*120\/240 .*DataUploads ended .*1h15m simulated/);
    b.end(0, '');
    expect(out.text).toMatch(/velero-1\.16 .*done/);
  });

  it('elsewhere: a line per run when it ends, nothing live', () => {
    const { out, b } = board('lines');
    b.start(1);
    b.update(1, { ended: 3, total: 10, simulatedSeconds: 59 });
    expect(out.text).toBe('');
    b.update(1, { ended: 10, total: 10, simulatedSeconds: 754 });
    b.end(1, '');
    expect(out.text).toMatch(/^deploying\s+█+\s+10\/10\s+DataUploads ended\s+12m34s simulated/);
    expect(out.text.split('\n')).toHaveLength(2);
  });

  it("on a real cluster: the run's time in the scenario's own (the run's seconds x its time scale), said so", () => {
    const out = { text: '', write(s: string) { this.text += s; return true; } };
    const b = new ProgressBoard(['deploying'], 'lines', out as unknown as NodeJS.WriteStream, 'equivalent');
    b.start(0);
    b.update(0, { ended: 2, total: 2, simulatedSeconds: 3600 });
    b.end(0, '');
    expect(out.text).toMatch(/^deploying\s+█+\s+2\/2\s+DataUploads ended\s+1h00m equivalent\s+[\d.]+ s wall/);
  });

  it('quiet: nothing', () => {
    const { out, b } = board('off');
    b.start(0);
    b.update(0, { ended: 1, total: 2, simulatedSeconds: 1 });
    b.end(0, '');
    expect(out.text).toBe('');
  });
});
