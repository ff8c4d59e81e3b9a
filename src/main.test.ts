import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'main-'));
  dirs.push(dir);
  return dir;
}

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs `npm start`'s entry point as its own process, as a newcomer would; stdout is a pipe. */
function spawnMain(env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['src/main.ts'], {
    // The services' ports are free ones too, so parallel test files never meet.
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      USERS_SERVICE_PORT: '0',
      PAYMENTS_SERVICE_PORT: '0',
      FACADE_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The parsed `ready` log line, once it is written. */
async function ready(
  started: Spawned,
): Promise<{ url: string; startupMs: number; components: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const line = started
        .stdout()
        .split('\n')
        .find((text) => text.includes('"msg":"ready"'));
      if (line) {
        clearInterval(timer);
        resolve(JSON.parse(line));
      }
    }, 50);
    started.exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited before ready:\n${started.stdout()}\n${started.stderr()}`));
    });
  });
}

describe('npm start (src/main.ts)', () => {
  it('logs only JSON lines to a non-terminal stdout, with its URL and start-up time; the banner goes to stderr; exits 0 on SIGTERM', async () => {
    const started = spawnMain({ DATA_DIR: await tempDir(), MONOLITH_PORT: '0' });
    const { url, startupMs, components } = await ready(started);
    expect(startupMs).toBeGreaterThan(0);
    // Every component in one process, each answering on its own port.
    expect(Object.keys(components)).toEqual([
      'users-service',
      'payments-service',
      'monolith',
      'facade',
    ]);
    expect(url).toBe(components.facade);
    for (const [name, at] of Object.entries(components)) {
      expect((await fetch(`${at}/health/ready`)).status, name).toBe(200);
    }
    expect((await fetch(`${url}/api/products`)).status).toBe(200);
    expect(started.stderr()).toContain(
      `facade            ${url}  (the entry point: every client request goes here)`,
    );
    expect(started.stderr()).toContain(
      `monolith          ${components.monolith}  (API docs ${components.monolith}/docs)`,
    );
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    const lines = started.stdout().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(2);
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    expect(lines.map((line) => JSON.parse(line).msg)).toContain('stopped cleanly');
  }, 60_000);

  it('refuses to start on an invalid environment, naming the variable', async () => {
    const started = spawnMain({ MONOLITH_PORT: 'not-a-port' });
    expect(await started.exited).toBe(1);
    expect(started.stderr()).toContain('MONOLITH_PORT');
  });

  it('fails fast on a taken port, naming MONOLITH_PORT, without touching the database', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    const dataDir = join(await tempDir(), 'never-created');
    try {
      const started = spawnMain({ DATA_DIR: dataDir, MONOLITH_PORT: String(port) });
      expect(await started.exited).toBe(1);
      expect(started.stderr()).toContain(
        `MONOLITH_PORT=${port}: port ${port} on 127.0.0.1 is already in use`,
      );
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('refuses a second start on the same data directory while the first runs, naming it and the pid', async () => {
    const dataDir = await tempDir();
    const first = spawnMain({ DATA_DIR: dataDir, MONOLITH_PORT: '0' });
    const { url } = await ready(first);

    const second = spawnMain({ DATA_DIR: dataDir, MONOLITH_PORT: '0' });
    const stillRunning = new Promise<string>((resolve) =>
      setTimeout(() => resolve('still running after 30 s'), 30_000).unref(),
    );
    expect(await Promise.race([second.exited, stillRunning])).toBe(1);
    expect(second.stderr()).toContain(
      `The database directory ${join(dataDir, 'users-service')} is in use by process ${first.child.pid}`,
    );
    expect((await fetch(`${url}/api/products`)).status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    for (const name of ['users-service', 'payments-service', 'monolith', 'facade']) {
      expect(existsSync(join(dataDir, `${name}.lock`)), name).toBe(false);
    }
  }, 90_000);
});
