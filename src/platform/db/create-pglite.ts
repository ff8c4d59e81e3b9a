import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

// How this process makes its PGlite databases. Each component still opens its own database (its
// own instance, memory and directory); only what is the same for all is shared:
// - the wasm, compiled once: PGlite caches its own compile only once one has finished, so
//   databases opened side by side would each compile the 9 MB module;
// - its file-system bundle (pglite.data, 6 MB), read once; each database gets its own copy;
// - shared_buffers of 16 MB rather than initdb's 128 MB. PGlite zeroes postgres's shared memory
//   as it starts, and touching 128 MB cost ~0.45 s and ~120 MB resident per database. A
//   component's database is ~8 MB, catalogs included, so 16 MB still holds all of it (a page
//   that leaves the buffers is read back from the OS cache).
// A new directory is initialised (initdb) one at a time: four side by side peaked at 2.1 GB
// resident against 1.2 GB one by one, to save a few of a first start's ~20 s.

const SHARED_BUFFERS = '16MB';

const require = createRequire(import.meta.url);

type WasmModule = NonNullable<PGliteOptions['pgliteWasmModule']>;
// Node has WebAssembly; this project's libs (es2024, no DOM) do not declare it.
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };
};

let shared: Promise<PGliteOptions> | undefined;
/** The last initdb started; the next waits for it. */
let initialising: Promise<unknown> = Promise.resolve();

/** The PGlite database in `directory`, made there first if it is new. */
export async function createPGlite(directory: string): Promise<PGlite> {
  const options = await pgliteOptions();
  if (existsSync(join(directory, 'PG_VERSION'))) return PGlite.create(directory, options);
  const created = initialising.then(() => PGlite.create(directory, options));
  initialising = created.catch(() => {});
  return created;
}

/** The options for `PGlite.create`, made on first use and shared by every database after. */
function pgliteOptions(): Promise<PGliteOptions> {
  shared ??= load().catch((error: unknown) => {
    // A failed read or compile is tried again by the next database that opens.
    shared = undefined;
    throw error;
  });
  return shared;
}

async function load(): Promise<PGliteOptions> {
  const asset = (name: string) => readFile(require.resolve(`@electric-sql/pglite/${name}`));
  const [wasm, bundle] = await Promise.all([asset('pglite.wasm'), asset('pglite.data')]);
  return {
    pgliteWasmModule: await wasmApi.compile(wasm),
    // PGlite only calls arrayBuffer() on it, and keeps what it gets. A Blob would do, but Node
    // reads one in small chunks and joins them: twice the time of this copy (~40 ms to ~20).
    fsBundle: { arrayBuffer: async () => new Uint8Array(bundle).buffer } as Blob,
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
  };
}
