import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../platform/bus/event-contract.ts';

export const cartCheckedOut = defineEvent({
  name: 'cart.checked_out',
  version: 1,
  description: 'A cart became an order and was emptied.',
  payload: z.object({ cartId: z.uuid(), userId: z.uuid(), orderId: z.uuid() }),
});
