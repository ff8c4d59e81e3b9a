import { readdirSync, readFileSync } from 'node:fs';

// CPU time of the local PostgreSQL and Redis servers, read from /proc: with it the bench can say
// what one checkout costs each process, not only the monolith. Linux only; elsewhere the
// readings are empty and the bench prints no split.

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds used so far by every process of each command name, with what their ended
 * children used: a PostgreSQL backend that exits between two readings (a client disconnecting)
 * hands its time to the postmaster's cutime/cstime, so a total never goes down.
 */
export function processCpuMs(names: readonly string[]): Map<string, number> {
  const totals = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return totals;
  }
  for (const pid of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // it ended while we looked
    }
    // "pid (comm) state ..." — comm may hold spaces, so split after its closing parenthesis.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(open + 1, close);
    if (!names.includes(name)) continue;
    const fields = stat.slice(close + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14 to 17 of the line, 12 to 15 after "pid (comm)".
    const ticks = [11, 12, 13, 14].reduce((sum, field) => sum + Number(fields[field]), 0);
    totals.set(name, (totals.get(name) ?? 0) + (ticks * 1000) / CLOCK_TICKS_PER_SECOND);
  }
  return totals;
}

/** CPU microseconds one process (all its threads) has used so far, read from /proc; 0 elsewhere. */
export function pidCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after "pid (comm)".
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** A process's resident memory in MiB (VmRSS in /proc), or undefined where it cannot be read. */
export function residentMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}
