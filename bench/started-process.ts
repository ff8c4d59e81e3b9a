import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Leftovers } from './leftovers.ts';
import { pidCpuUs, residentMiB } from './process-cpu.ts';

// A server `bench:read` runs as its own process, as it runs in production: started with a
// command and an environment, its stdout (JSON log lines) written to a file, and ready once it
// logs a line with msg "ready" (runMain's line, which names the URLs and the start-up time).

export interface StartedProcess {
  pid: number;
  /** The fields of its `ready` line. */
  ready: Record<string, unknown>;
  /** From spawn to the ready line, as the bench saw it (ms). */
  readyAfterMs: number;
  /** CPU µs used so far, all its threads. */
  cpuUs(): number;
  residentMiB(): number | undefined;
  /** SIGTERM, then waits for it to exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const READY_WITHIN_MS = 120_000;

export async function startProcess(
  script: string,
  env: Record<string, string>,
  logFile: string,
  leftovers: Leftovers,
): Promise<StartedProcess> {
  const log = await open(logFile, 'w');
  const began = performance.now();
  const child = spawn(process.execPath, [script], {
    env,
    stdio: ['ignore', log.fd, 'pipe'],
  });
  await log.close();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    // The banner goes to stderr off a terminal; keep only enough to explain a failed start.
    if (stderr.length < 20_000) stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  leftovers.add(stop);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${script} did not start`);
  while (performance.now() - began < READY_WITHIN_MS) {
    if (child.exitCode !== null) {
      throw new Error(`${script} exited (${child.exitCode}) before it was ready:\n${stderr}`);
    }
    const line = (await readFile(logFile, 'utf8'))
      .split('\n')
      .find((text) => text.includes('"msg":"ready"'));
    if (line) {
      return {
        pid,
        ready: JSON.parse(line) as Record<string, unknown>,
        readyAfterMs: performance.now() - began,
        cpuUs: () => pidCpuUs(pid),
        residentMiB: () => residentMiB(pid),
        stop,
      };
    }
    await sleep(25);
  }
  await stop();
  throw new Error(`${script} was not ready within ${READY_WITHIN_MS} ms:\n${stderr}`);
}
