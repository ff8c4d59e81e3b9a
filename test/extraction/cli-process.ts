import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../facade/extraction/cli.ts', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  /** Resolves once the process ended, with its exit code (null when killed) and output. */
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/** `node facade/extraction/cli.ts <args>` with the monolith's and the service's URLs. */
export function runExtractionCli(
  args: string[],
  urls: { legacy: string; service: string },
): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: urls.legacy,
      PAYMENTS_SERVICE_DATABASE_URL: urls.service,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}
