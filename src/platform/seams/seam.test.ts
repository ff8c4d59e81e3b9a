import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedTestDatabase } from '../../../test/support/services.ts';
import type { Database } from '../db/database.ts';
import { seamPins } from './schema.ts';
import { createSeam } from './seam.ts';

let db: Database;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const test = await openMigratedTestDatabase('seams');
  db = test.handle.db;
  cleanup = test.cleanup;
});
afterAll(async () => {
  await cleanup();
});

const adapters = ['in-process', 'http'] as const;
const seamNamed = (name: string, cacheMs = 50) =>
  createSeam({ db, name, adapters, initial: 'in-process', cacheMs });

describe('an internal seam', () => {
  it('follows its configuration until an admin changes it, with a version per change', async () => {
    const seam = seamNamed(`seam-${randomUUID()}`);
    expect(await seam.state()).toMatchObject({ adapter: 'in-process', version: 0, reason: null });
    const admin = randomUUID();
    const changed = await seam.set({ adapter: 'http', reason: 'parity 100%', changedBy: admin });
    expect(changed).toMatchObject({
      adapter: 'http',
      version: 1,
      changedBy: admin,
      reason: 'parity 100%',
    });
    expect((await seam.set({ adapter: 'in-process', reason: 'rollback' })).version).toBe(2);
  });

  it('reaches another replica of the component within its cache time', async () => {
    const name = `seam-${randomUUID()}`;
    const here = seamNamed(name);
    const replica = seamNamed(name);
    expect(await replica.current(randomUUID())).toBe('in-process');
    await here.set({ adapter: 'http', reason: 'move' });
    await sleep(80);
    expect(await replica.current(randomUUID())).toBe('http');
  });

  it('keeps each piece of work on the adapter it started on, whatever the seam says later', async () => {
    const seam = seamNamed(`seam-${randomUUID()}`, 0);
    const before = randomUUID();
    expect(await seam.pin(before)).toBe('in-process');
    await seam.set({ adapter: 'http', reason: 'move' });
    const after = randomUUID();
    expect(await seam.pin(after)).toBe('http');
    expect(await seam.pin(before)).toBe('in-process');
    await seam.set({ adapter: 'in-process', reason: 'back' });
    expect(await seam.pin(after)).toBe('http');
  });

  it('pins a piece of work once when two callers race for it', async () => {
    const name = `seam-${randomUUID()}`;
    const seams = Array.from({ length: 8 }, () => seamNamed(name, 0));
    const key = randomUUID();
    const flips = (async () => {
      for (let i = 0; i < 8; i++) {
        await seams[0]?.set({ adapter: i % 2 ? 'in-process' : 'http', reason: `flip ${i}` });
      }
    })();
    const pinned = await Promise.all(seams.map((seam) => seam.pin(key)));
    await flips;
    expect(new Set(pinned).size).toBe(1);
    const rows = await db.select().from(seamPins).where(eq(seamPins.key, key));
    expect(rows).toHaveLength(1);
  });
});
