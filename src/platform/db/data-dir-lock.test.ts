import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLocked, lockDataDir } from './data-dir-lock.ts';
import { openDatabase } from './database.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function dataDir() {
  const dir = await mkdtemp(join(tmpdir(), 'data-dir-lock-'));
  dirs.push(dir);
  return dir;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('lockDataDir', () => {
  it('holds the pid; a second taker in the same process is refused until release', async () => {
    const directory = join(await dataDir(), 'monolith');
    const lock = lockDataDir(directory);
    expect(readFileSync(`${directory}.lock`, 'utf8').trim()).toBe(String(process.pid));
    expect(() => lockDataDir(directory)).toThrow(DataDirLocked);
    expect(() => lockDataDir(directory)).toThrow(
      `The database directory ${directory} is in use by process ${process.pid}`,
    );
    lock.release();
    expect(existsSync(`${directory}.lock`)).toBe(false);
    lockDataDir(directory).release();
  });

  it("refuses a live process's lock, naming it", async () => {
    const directory = join(await dataDir(), 'monolith');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    children.push(other);
    writeFileSync(`${directory}.lock`, `${other.pid}\n`);
    expect(() => lockDataDir(directory)).toThrow(`in use by process ${other.pid}`);
    expect(readFileSync(`${directory}.lock`, 'utf8').trim()).toBe(String(other.pid));
  });

  it('takes over a lock left by a process that is gone, or an unreadable one', async () => {
    const directory = join(await dataDir(), 'monolith');
    writeFileSync(`${directory}.lock`, `${deadPid()}\n`);
    const lock = lockDataDir(directory);
    expect(readFileSync(`${directory}.lock`, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    writeFileSync(`${directory}.lock`, 'garbage');
    lockDataDir(directory).release();
  });

  it('release leaves alone a lock that is no longer this process’s', async () => {
    const directory = join(await dataDir(), 'monolith');
    const lock = lockDataDir(directory);
    writeFileSync(`${directory}.lock`, '4242424\n');
    lock.release();
    expect(readFileSync(`${directory}.lock`, 'utf8')).toBe('4242424\n');
  });
});

describe('openDatabase on PGlite', () => {
  it('refuses a directory this or another process has open, and frees it on close', async () => {
    const dir = await dataDir();
    const first = await openDatabase({ dataDir: dir, name: 'monolith' });
    await expect(openDatabase({ dataDir: dir, name: 'monolith' })).rejects.toThrow(DataDirLocked);
    await first.close();
    expect(existsSync(join(dir, 'monolith.lock'))).toBe(false);
    const again = await openDatabase({ dataDir: dir, name: 'monolith' });
    await again.close();
  });
});
