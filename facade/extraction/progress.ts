// The backfill's progress line on stderr: rewritten in place on a terminal, one line every few
// seconds otherwise (a log file or CI keeps a readable trail).

export interface Progress {
  update(done: number, total: number | undefined): void;
  /** The last line, and a newline on a terminal. */
  finish(done: number, total: number | undefined): void;
}

export interface ProgressOptions {
  name: string;
  stream?: NodeJS.WriteStream;
  /** Between two lines when the stream is not a terminal. */
  everyMs?: number;
  now?: () => number;
}

const seconds = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const everyMs = options.everyMs ?? 3_000;
  const started = now();
  let lastLine = Number.NEGATIVE_INFINITY;
  let startDone: number | undefined;

  const line = (done: number, total: number | undefined) => {
    startDone ??= done;
    const elapsed = now() - started;
    const rate = elapsed > 0 ? ((done - startDone) * 1000) / elapsed : 0;
    const of = total === undefined ? `${done} rows` : `${done}/${total} rows`;
    const share = total ? ` (${Math.floor((done * 100) / total)}%)` : '';
    const eta =
      total !== undefined && rate > 0 ? `, ETA ${seconds(((total - done) * 1000) / rate)}` : '';
    return `${options.name}: ${of}${share}, ${Math.round(rate)} rows/s${eta}`;
  };

  return {
    update(done, total) {
      if (stream.isTTY) {
        stream.write(`\r${line(done, total)}\x1b[K`);
        return;
      }
      if (now() - lastLine < everyMs) {
        startDone ??= done;
        return;
      }
      lastLine = now();
      stream.write(`${line(done, total)}\n`);
    },
    finish(done, total) {
      stream.write(stream.isTTY ? `\r${line(done, total)}\x1b[K\n` : `${line(done, total)}\n`);
    },
  };
}
