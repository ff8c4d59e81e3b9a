import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLocked } from './platform/db/data-dir-lock.ts';
import { COMPONENTS, startSystem } from './system.ts';

// The components' databases open side by side: one that cannot open must not leave the others
// open (their directories locked) behind it.

let dataDir: string | undefined;
let holder: ChildProcess | undefined;
afterAll(async () => {
  holder?.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const env = (dir: string) => ({
  DATA_DIR: dir,
  HOST: '127.0.0.1',
  MONOLITH_PORT: '0',
  USERS_SERVICE_PORT: '0',
  PAYMENTS_SERVICE_PORT: '0',
  FACADE_PORT: '0',
});

describe('startSystem, embedded', () => {
  it("fails on a database another process holds, naming it, and gives back the others' directories", async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'system-start-'));
    const dir = dataDir;
    holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120_000)']);
    writeFileSync(join(dir, 'monolith.lock'), `${holder.pid}\n`);

    const failed = startSystem(env(dir), pino({ level: 'silent' }));
    await expect(failed).rejects.toThrow(DataDirLocked);
    await expect(failed).rejects.toThrow(`${join(dir, 'monolith')} is in use by process`);
    for (const name of COMPONENTS.filter((c) => c !== 'monolith')) {
      expect(existsSync(join(dir, `${name}.lock`)), name).toBe(false);
    }

    const gone = new Promise((resolve) => holder?.once('exit', resolve));
    holder.kill('SIGKILL');
    await gone;
    const system = await startSystem(env(dir), pino({ level: 'silent' }));
    try {
      expect(system.components.map((c) => c.name)).toEqual([...COMPONENTS]);
    } finally {
      await system.stop();
    }
  }, 120_000);
});
