/**
 * The progress bar on a terminal and the messages written while it is drawn (an interrupt, a lock
 * wait): clearLine takes the bar off its line first, so the message starts at column 0 instead of
 * after the bar's text; with nothing drawn it writes nothing.
 */
import { expect, it } from 'vitest';
import { createProgress } from '../../../src/cli/progress.js';

function terminal(): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY: true, columns: 80, write: (chunk: string) => written.push(chunk) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

it('a message after the bar starts on a cleared line', () => {
  const { stream, written } = terminal();
  const progress = createProgress(stream, true);
  progress.start('hashing', 1024);
  expect(written.at(-1)).toMatch(/^\rhashing \[/);
  progress.clearLine();
  expect(written.at(-1)).toBe('\r\u001b[K');
  const count = written.length;
  progress.clearLine(); // nothing drawn since: nothing written
  expect(written).toHaveLength(count);
});

it('with no bar drawn (done, or not a terminal) clearLine writes nothing', () => {
  const { stream, written } = terminal();
  const progress = createProgress(stream, true);
  progress.start('x', 10);
  progress.done();
  const count = written.length;
  progress.clearLine();
  expect(written).toHaveLength(count);
  const silent = terminal();
  createProgress({ ...silent.stream, isTTY: false } as NodeJS.WriteStream, true).clearLine();
  expect(silent.written).toEqual([]);
});
