import { defineEvent } from '../../platform/bus/event-contract.ts';
import {
  productChangedPayloadSchema,
  stockReleasedPayloadSchema,
  stockReservedPayloadSchema,
} from './contracts.ts';

export const productChanged = defineEvent({
  name: 'product.changed',
  version: 1,
  payload: productChangedPayloadSchema,
  description: 'A product was created, updated (including its stock on hand) or archived.',
});

export const stockReserved = defineEvent({
  name: 'stock.reserved',
  version: 1,
  payload: stockReservedPayloadSchema,
  description: "Stock was set aside for an order's items, all of them or none.",
});

export const stockReleased = defineEvent({
  name: 'stock.released',
  version: 1,
  payload: stockReleasedPayloadSchema,
  description: "An order's reserved stock was returned to availability.",
});
