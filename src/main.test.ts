import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `npm start`'s entry point as its own process, as a newcomer would. */
async function startProcess(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      MONOLITH_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      // Ready means both the printed URLs and the logged start-up line (pino writes on its own).
      const match = /monolith\s+(http:\/\/\S+)/.exec(output);
      if (match?.[1] && /"startupMs":\d+/.test(output)) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 50);
    exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited before ready:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

describe('npm start (src/main.ts)', () => {
  it('prints its URLs and start-up time, and exits 0 on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'main-'));
    dirs.push(dataDir);
    const started = await startProcess(dataDir);
    expect(started.output()).toMatch(/"startupMs":\d+/);
    expect(started.output()).toContain('/docs');
    expect((await fetch(`${started.url}/api/products`)).status).toBe(200);
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.output()).toContain('stopped cleanly');
  });

  it('refuses to start on an invalid environment, naming the variable', async () => {
    const child = spawn(process.execPath, ['src/main.ts'], {
      env: { ...process.env, MONOLITH_PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('MONOLITH_PORT');
  });
});
