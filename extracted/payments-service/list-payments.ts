import { and, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { PaymentPage } from '../../src/contracts/payments/v1/index.ts';
import type { Executor } from '../../src/platform/db/database.ts';
import { invalidCursor } from './errors.ts';
import { toPaymentV1 } from './payment-records.ts';
import { paymentRecords } from './schema.ts';

// Keyset pagination, newest first: (created_at, id) descending. The cursor names the last row
// of a page by those two values, so a page never repeats or skips a row whatever was inserted
// since; it carries created_at as PostgreSQL's own text (microseconds, which a JS Date drops).

const cursorSchema = z.tuple([z.string().min(1).max(64), z.uuid()]);

const encodeCursor = (createdAt: string, id: string) =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
    if (parsed.success && !Number.isNaN(Date.parse(parsed.data[0]))) return parsed.data;
  } catch {
    // Not base64url JSON: refused below.
  }
  throw invalidCursor();
}

export interface PaymentFilter {
  orderRef?: string | undefined;
  customerRef?: string | undefined;
}

export async function listPayments(
  db: Executor,
  filter: PaymentFilter,
  page: { limit: number; cursor?: string | undefined; includeTotal: boolean },
): Promise<PaymentPage> {
  const matches: SQL[] = [];
  if (filter.orderRef) matches.push(eq(paymentRecords.orderRef, filter.orderRef));
  if (filter.customerRef) matches.push(eq(paymentRecords.customerRef, filter.customerRef));
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const where = and(...matches);
  const rows = await db
    .select({ row: paymentRecords, position: sql<string>`${paymentRecords.createdAt}::text` })
    .from(paymentRecords)
    .where(
      and(
        where,
        after &&
          sql`(${paymentRecords.createdAt}, ${paymentRecords.id}) < (${after[0]}::timestamptz, ${after[1]}::uuid)`,
      ),
    )
    .orderBy(desc(paymentRecords.createdAt), desc(paymentRecords.id))
    .limit(page.limit + 1);
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  const total = page.includeTotal
    ? ((await db.select({ n: count() }).from(paymentRecords).where(where))[0]?.n ?? 0)
    : undefined;
  return {
    data: shown.map(({ row }) => toPaymentV1(row)),
    next_cursor: rows.length > page.limit && last ? encodeCursor(last.position, last.row.id) : null,
    ...(total !== undefined && { total_count: total }),
  };
}
