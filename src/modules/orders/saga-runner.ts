import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import type { EventContext } from '../../platform/bus/event-contract.ts';
import type { Executor, Transaction } from '../../platform/db/database.ts';
import { builtOnce, placeholderFor, placeholders } from '../../platform/db/prepared.ts';
import { fromNow } from '../../platform/db/sql-time.ts';
import { conflict, ProblemError } from '../../platform/http/problem.ts';
import {
  type CheckoutStep,
  checkoutSteps,
  describeFailure,
  type SagaOrder,
  type StepOutcome,
} from './checkout-saga.ts';
import type { OrderStatus, SagaStepName } from './contracts.ts';
import type { OrdersDeps } from './deps.ts';
import { changeStatus } from './order-status.ts';
import { isOutage, rootCauseOf, throughOutages } from './outage-retry.ts';
import {
  confirmLease,
  heldBy,
  keepLeaseAlive,
  LeaseLost,
  newLeaseToken,
  type SagaLease,
  withLease,
  writesUnderLease,
} from './saga-lease.ts';
import { checkoutSagas, orderItems, orderRecords, sagaSteps } from './schema.ts';

// Drives one checkout saga: forward through the steps, or back through the compensations.
// Each step's outcome is committed before the next step starts, under a lease this drive
// holds on the saga, so a crash at any point leaves a state recovery can continue from.

/** Failure injection: the process "dies" right after a step's success is committed. */
export class SimulatedCrash extends Error {
  readonly step: SagaStepName;
  constructor(step: SagaStepName) {
    super(`simulated crash after ${step} (SAGA_CRASH_AFTER)`);
    this.step = step;
  }
}

/** The saga could not finish now (a compensation failed); recovery retries it later. */
export class SagaStalled extends Error {}

type SagaRow = typeof checkoutSagas.$inferSelect;
type StepRow = typeof sagaSteps.$inferSelect;
/** The order as a drive that finished its saga left it. */
export type FinishedOrder = typeof orderRecords.$inferSelect;

export interface SagaSnapshot {
  saga: SagaRow;
  steps: Map<SagaStepName, StepRow>;
  order: SagaOrder;
  status: OrderStatus;
  ids: StepIds;
}

async function loadSaga(deps: OrdersDeps, orderId: string): Promise<SagaSnapshot> {
  const [saga] = await deps.db
    .select()
    .from(checkoutSagas)
    .where(eq(checkoutSagas.orderId, orderId));
  const [order] = await deps.db.select().from(orderRecords).where(eq(orderRecords.id, orderId));
  if (!saga || !order) throw new Error(`order ${orderId} has no checkout saga`);
  const steps = await deps.db.select().from(sagaSteps).where(eq(sagaSteps.orderId, orderId));
  const items = await deps.db
    .select({ productId: orderItems.productId, quantity: orderItems.quantity })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId))
    .orderBy(asc(orderItems.lineNo));
  return {
    saga,
    steps: new Map(steps.map((row) => [row.step, row])),
    status: order.status,
    ids: { paymentId: order.paymentId, shipmentId: order.shipmentId },
    order: {
      id: order.id,
      userId: order.userId,
      items,
      total: { amountMinor: order.totalMinor, currency: order.currency },
      address: order.shippingAddress,
      cardToken: saga.cardToken,
    },
  };
}

const placeholder = sql.placeholder;

/** The step (placeholder `step`) of the order (placeholder `orderId`), for statements built once. */
const stepIs = () =>
  and(eq(sagaSteps.orderId, placeholder('orderId')), eq(sagaSteps.step, placeholder('step')));

/** A step found 'started' after a crash is simply run again: every step is idempotent. */
const startStep = builtOnce<{ orderId: string; step: SagaStepName }>()((db) =>
  db
    .insert(sagaSteps)
    .values({ ...placeholders('orderId', 'step'), status: 'started' })
    .onConflictDoUpdate({
      target: [sagaSteps.orderId, sagaSteps.step],
      set: { status: 'started' },
    })
    .returning(),
);

const name = (column: { name: string }) => sql.identifier(column.name);

/**
 * startStep as a write under the lease: the order id comes from the renewed lease row, so
 * nothing is inserted when the lease is gone; the step is the value named `step`. (drizzle's
 * insert-from-select wants every column.)
 */
const startStepUnderLease = (step: 'step' | 'next') => {
  const { orderId, step: stepColumn, status } = sagaSteps;
  return sql`insert into ${sagaSteps} (${name(orderId)}, ${name(stepColumn)}, ${name(status)})
    select ${name(checkoutSagas.orderId)}, ${placeholder(step)}, 'started' from ${sql.identifier('lease')}
    on conflict (${name(orderId)}, ${name(stepColumn)}) do update set ${name(status)} = 'started'`;
};

/** The step's success: its values are `orderId`, `step` and `detail`. */
const stepSucceeded = (db: Executor, held?: SQL) =>
  db
    .update(sagaSteps)
    .set({
      status: 'succeeded',
      detail: placeholderFor(sagaSteps.detail, 'detail'),
      succeededAt: sql`now()`,
    })
    .where(and(stepIs(), held));

const markStarted = writesUnderLease<{ step: SagaStepName }>(() => [startStepUnderLease('step')]);

/**
 * Records a step's success and starts the next one (one statement: writesUnderLease). The ids
 * a step gave the order go on the order row; a step that gave none leaves it as it was.
 */
const markSucceeded = writesUnderLease<{
  step: SagaStepName;
  detail: string;
  paymentId: string | null;
  shipmentId: string | null;
  next: SagaStepName;
}>((db, held) => [
  stepSucceeded(db, held),
  db
    .update(orderRecords)
    .set({
      paymentId: sql`coalesce(${placeholder('paymentId')}, ${orderRecords.paymentId})`,
      shipmentId: sql`coalesce(${placeholder('shipmentId')}, ${orderRecords.shipmentId})`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(orderRecords.id, placeholder('orderId')),
        held,
        sql`coalesce(${placeholder('paymentId')}, ${placeholder('shipmentId')}) is not null`,
      ),
    ),
  startStepUnderLease('next'),
]);

/** The step failed: record it and turn the saga towards compensation, in one statement. */
const markFailed = writesUnderLease<{
  step: SagaStepName;
  detail: string;
  uncertain: boolean;
  reason: string;
}>(
  (db, held) => [
    db
      .update(sagaSteps)
      .set({
        status: 'failed',
        detail: placeholderFor(sagaSteps.detail, 'detail'),
        uncertain: placeholderFor(sagaSteps.uncertain, 'uncertain'),
        failedAt: sql`now()`,
      })
      .where(and(stepIs(), held)),
  ],
  {
    state: 'compensating',
    failure: placeholderFor(checkoutSagas.failure, 'reason'),
    failureCause: 'checkout saga',
  },
);

const markCompensated = writesUnderLease<{ step: SagaStepName }>((db, held) => [
  db
    .update(sagaSteps)
    .set({ status: 'compensated', compensatedAt: sql`now()` })
    .where(and(stepIs(), held)),
]);

/** Lets go of the saga for now; recovery claims it again once `retryDelayMs` has passed. */
async function postpone(deps: OrdersDeps, lease: SagaLease, error: string): Promise<never> {
  await deps.db
    .update(checkoutSagas)
    .set({
      leaseOwner: null,
      leaseExpiresAt: fromNow(deps.saga.retryDelayMs),
      lastError: error,
      updatedAt: sql`now()`,
    })
    .where(heldBy(lease));
  throw new SagaStalled(`the checkout of order ${lease.orderId} is postponed: ${error}`);
}

/** A step's port call, retried through outages while the lease is still ours. */
function runStep<T>(deps: OrdersDeps, lease: SagaLease, call: () => Promise<T>): Promise<T> {
  return throughOutages(deps, call, () => confirmLease(deps, lease));
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const finished = {
  leaseOwner: null,
  leaseExpiresAt: null,
  // The card token is only needed while a capture may still have to run.
  cardToken: null,
  finishedAt: sql`now()`,
  updatedAt: sql`now()`,
};

/** The confirm step's success and the saga's completion, in the order's confirmation. */
const confirmSucceeded = builtOnce<{ orderId: string; step: 'confirm'; detail: string }>()((db) =>
  stepSucceeded(db),
);
const completeSaga = builtOnce<{ orderId: string }>()((db) =>
  db
    .update(checkoutSagas)
    .set({ state: 'completed', ...finished })
    .where(eq(checkoutSagas.orderId, placeholder('orderId'))),
);

/** What the order was given by the steps: known from this run's outcomes, or the order row. */
interface StepIds {
  paymentId: string | null;
  shipmentId: string | null;
}

function finishConfirmed(
  deps: OrdersDeps,
  lease: SagaLease,
  out: StepOutcome,
  { paymentId, shipmentId }: StepIds,
  ctx: EventContext,
) {
  const { orderId } = lease;
  if (!paymentId || !shipmentId) {
    throw new Error(`order ${orderId} reached confirm without a payment and a shipment`);
  }
  return withLease(deps, lease, async (tx): Promise<FinishedOrder> => {
    const [, moved] = await Promise.all([
      confirmSucceeded(tx, { orderId, step: 'confirm', detail: out.detail }),
      changeStatus(
        tx,
        deps.events,
        orderId,
        'pending',
        { to: 'confirmed', paymentId, shipmentId },
        {
          cause: 'checkout saga',
          detail: `payment ${paymentId}, shipment ${shipmentId}`,
          context: ctx,
        },
        { endsTransaction: true },
      ),
      completeSaga(tx, { orderId }),
    ]);
    if (!moved) throw new Error(`order ${orderId} was no longer pending at confirmation`);
    return moved;
  });
}

function finishCancelled(
  deps: OrdersDeps,
  lease: SagaLease,
  snapshot: SagaSnapshot,
  ctx: EventContext,
) {
  const { saga, order, status } = snapshot;
  const reason = saga.failure ?? 'checkout failed';
  return withLease(deps, lease, async (tx): Promise<FinishedOrder> => {
    const moved = await changeStatus(
      tx,
      deps.events,
      order.id,
      status,
      { to: 'cancelled', reason },
      { cause: saga.failureCause ?? 'checkout saga', detail: reason, context: ctx },
    );
    if (!moved) throw new Error(`order ${order.id} changed while it was being cancelled`);
    await tx
      .update(checkoutSagas)
      .set({ state: 'compensated', ...finished })
      .where(eq(checkoutSagas.orderId, order.id));
    return moved;
  });
}

/** A cancellation that found the parcel gone: the saga stands completed again. */
function abortCancellation(deps: OrdersDeps, lease: SagaLease) {
  return withLease(deps, lease, async (tx) => {
    await tx
      .update(checkoutSagas)
      .set({ state: 'completed', failure: null, failureCause: null, ...finished })
      .where(eq(checkoutSagas.orderId, lease.orderId));
  });
}

/**
 * Runs the remaining steps; 'failed' means the saga now compensates. A step is marked started
 * in the transaction that records the previous step's success (the first one with the order),
 * so moving on costs one transaction per step.
 *
 * An outage of our own infrastructure (the database, a deadline) is not the step's answer:
 * the step is retried (it is idempotent) and, should the outage outlast the budget, the saga
 * is postponed for recovery. Only answers (a refusal, an unknown outcome) fail a step.
 */
async function runForward(
  deps: OrdersDeps,
  lease: SagaLease,
  snapshot: SagaSnapshot,
  ctx: EventContext,
): Promise<FinishedOrder | 'failed'> {
  const { order } = snapshot;
  const ids = { ...snapshot.ids };
  let started = false;
  for (const [index, step] of checkoutSteps.entries()) {
    const row = snapshot.steps.get(step.name);
    if (row?.status === 'succeeded') continue;
    if (!started && row?.status !== 'started') {
      await throughOutages(deps, () => markStarted(deps, lease, { step: step.name }));
    }
    let outcome: StepOutcome;
    try {
      outcome = await runStep(deps, lease, () => step.run(order, deps.ports, ctx));
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      if (isOutage(error)) return postpone(deps, lease, `${step.name}: ${rootCauseOf(error)}`);
      const failure = describeFailure(step, error);
      if (failure.uncertain && step.onUncertain === 'retry') {
        return postpone(deps, lease, `${step.name}: ${failure.detail}`);
      }
      await throughOutages(deps, () =>
        markFailed(deps, lease, {
          step: step.name,
          detail: failure.detail,
          uncertain: failure.uncertain,
          reason: failure.reason,
        }),
      );
      return 'failed';
    }
    if (outcome.paymentId) ids.paymentId = outcome.paymentId;
    if (outcome.shipmentId) ids.shipmentId = outcome.shipmentId;
    const next = checkoutSteps[index + 1];
    if (!next) return throughOutages(deps, () => finishConfirmed(deps, lease, outcome, ids, ctx));
    await throughOutages(deps, () =>
      markSucceeded(deps, lease, {
        step: step.name,
        detail: outcome.detail,
        paymentId: outcome.paymentId ?? null,
        shipmentId: outcome.shipmentId ?? null,
        next: next.name,
      }),
    );
    started = true;
    if (deps.saga.crashAfter === step.name) throw new SimulatedCrash(step.name);
  }
  throw new Error('unreachable: the saga ends with confirm');
}

/** Succeeded steps are undone; so are failed ones whose outcome is unknown. */
const needsCompensation = (row: StepRow | undefined) =>
  row !== undefined &&
  (row.status === 'succeeded' ||
    row.status === 'started' ||
    (row.status === 'failed' && row.uncertain));

/**
 * Undoes the steps in reverse, then cancels the order with the reason the saga failed for.
 * A compensation that fails (an outage past the budget included) postpones the saga: it never
 * changes the reason, and the order stays pending until every compensation has run.
 */
async function compensate(
  deps: OrdersDeps,
  lease: SagaLease,
  snapshot: SagaSnapshot,
  ctx: EventContext,
): Promise<FinishedOrder> {
  const { saga, order } = snapshot;
  const reason = saga.failure ?? 'checkout failed';
  const reverse: CheckoutStep[] = [...checkoutSteps].reverse();
  for (const step of reverse) {
    const undo = step.compensate;
    if (!undo || !needsCompensation(snapshot.steps.get(step.name))) continue;
    try {
      await runStep(deps, lease, () => undo(order, reason, deps.ports, ctx));
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      // Only a cancellation of a confirmed order can meet a shipped parcel (shipping says 409).
      const cancelling = saga.failureCause !== 'checkout saga';
      if (cancelling && step.name === 'schedule_shipment' && isConflict(error)) {
        await abortCancellation(deps, lease);
        throw conflict(`Order ${order.id} has already shipped; it can no longer be cancelled.`);
      }
      const detail = isOutage(error) ? rootCauseOf(error) : messageOf(error);
      return postpone(deps, lease, `compensating ${step.name}: ${detail}`);
    }
    await throughOutages(deps, () => markCompensated(deps, lease, { step: step.name }));
  }
  return throughOutages(deps, () => finishCancelled(deps, lease, snapshot, ctx));
}

const isConflict = (error: unknown) => error instanceof ProblemError && error.status === 409;

/** The context a saga's events carry: the caller's, else the placing request's. */
function contextOf(saga: SagaRow, context?: EventContext): EventContext {
  if (context) return context;
  return {
    ...(saga.correlationId && { correlationId: saga.correlationId }),
    ...(saga.traceId && { traceId: saga.traceId }),
    causationId: null,
  };
}

/**
 * Drives a saga whose lease this drive holds to its end: completed (order confirmed) or
 * compensated (order cancelled). It starts by confirming the lease; while it runs, a heartbeat
 * keeps the lease from lapsing under a slow step, and this process's recovery leaves the saga
 * alone. Returns the order as the drive finished it, or undefined when the saga was already
 * finished. Throws SimulatedCrash, LeaseLost, SagaStalled, an outage that outlasted the budget
 * (the lease then lapses and recovery continues), or a 409 when a cancellation finds the
 * order shipped.
 */
export async function driveSaga(
  deps: OrdersDeps,
  lease: SagaLease,
  context?: EventContext,
  known?: SagaSnapshot,
): Promise<FinishedOrder | undefined> {
  const { orderId } = lease;
  deps.driving.add(orderId);
  let heartbeat: { stop(): Promise<void> } | undefined;
  try {
    // A claim may have waited for its turn (recovery claims several sagas at once) and lapsed
    // meanwhile, and another driver may have the saga now: the lease is confirmed, and renewed,
    // before anything is read or any port is called. A saga begun just now (known) is ours.
    if (!known) await throughOutages(deps, () => confirmLease(deps, lease));
    heartbeat = keepLeaseAlive(deps, lease);
    let snapshot = known ?? (await throughOutages(deps, () => loadSaga(deps, orderId)));
    const ctx = contextOf(snapshot.saga, context);
    if (snapshot.saga.state === 'running') {
      const forward = await runForward(deps, lease, snapshot, ctx);
      if (forward !== 'failed') return forward;
      snapshot = await throughOutages(deps, () => loadSaga(deps, orderId));
    }
    if (snapshot.saga.state === 'compensating') return compensate(deps, lease, snapshot, ctx);
    return undefined;
  } finally {
    await heartbeat?.stop();
    deps.driving.delete(orderId);
  }
}

/** A new order's saga, leased to its first drive. */
const insertSaga = builtOnce<{
  orderId: string;
  cardToken: string | null;
  correlationId: string | null;
  traceId: string | null;
  leaseOwner: string;
  leaseMs: number;
}>()((db) =>
  db
    .insert(checkoutSagas)
    .values({
      ...placeholders('orderId', 'cardToken', 'correlationId', 'traceId', 'leaseOwner'),
      leaseExpiresAt: fromNow(placeholder('leaseMs')),
      attempts: 1,
    })
    .returning(),
);

/**
 * Creates the saga of a new order inside the order's own transaction, leased to a new drive
 * and with its first step started; the snapshot it returns lets driveSaga begin without
 * reading back what was just written.
 */
export async function beginSaga(
  tx: Transaction,
  deps: OrdersDeps,
  order: SagaOrder,
  ctx: EventContext,
): Promise<{ lease: SagaLease; snapshot: SagaSnapshot }> {
  const lease: SagaLease = { orderId: order.id, token: newLeaseToken(deps) };
  const first = checkoutSteps[0];
  if (!first) throw new Error('the checkout saga has no steps');
  // Sent together, the saga row ahead of its first step (statements built once go out in the
  // order they are called).
  const [[saga], [step]] = await Promise.all([
    insertSaga(tx, {
      orderId: order.id,
      cardToken: order.cardToken,
      correlationId: ctx.correlationId ?? null,
      traceId: ctx.traceId ?? null,
      leaseOwner: lease.token,
      leaseMs: Math.round(deps.saga.leaseMs),
    }),
    startStep(tx, { orderId: order.id, step: first.name }),
  ]);
  if (!saga) throw new Error(`the saga of order ${order.id} was not created`);
  if (!step) throw new Error(`the first step of order ${order.id} was not started`);
  return {
    lease,
    snapshot: {
      saga,
      steps: new Map([[step.step, step]]),
      status: 'pending',
      ids: { paymentId: null, shipmentId: null },
      order,
    },
  };
}
