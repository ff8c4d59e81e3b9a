import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { orderPlaced } from '../modules/orders/index.ts';
import { defineEvent } from '../platform/bus/event-contract.ts';
import { subscribe } from '../platform/bus/subscription.ts';
import { moneySchema } from '../platform/money.ts';
import { eventFields, renderEventCatalogue } from './event-catalogue.ts';

const widgetMade = defineEvent({
  name: 'widget.made',
  version: 2,
  description: 'A widget left the line.',
  payload: z.object({
    widgetId: z.uuid(),
    price: moneySchema,
    note: z.string().optional(),
    owner: z.string().nullable(),
    tags: z.array(z.string()),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    origin: z
      .object({ channel: z.enum(['web', 'api']), at: z.iso.datetime() })
      .optional()
      .describe('Where the order for it came from'),
    attributes: z.record(z.string(), z.number()),
  }),
});

const widgetScrapped = defineEvent({
  name: 'widget.scrapped',
  version: 1,
  description: 'A widget failed inspection.',
  payload: z.object({ widgetId: z.uuid(), reason: z.string() }),
});

const noop = async () => {};
const modules = [
  { name: 'widgets', publishes: [widgetMade] },
  {
    name: 'audit',
    subscriptions: [
      subscribe('audit.on-widget-scrapped', widgetScrapped, noop),
      subscribe('audit.on-widget-made', widgetMade, noop),
    ],
  },
  { name: 'mail', subscriptions: [subscribe('mail.on-widget-made', widgetMade, noop)] },
];

describe('eventFields', () => {
  it('flattens nested objects to dotted paths and marks arrays, optional and nullable', () => {
    expect(eventFields(widgetMade)).toEqual([
      { path: 'widgetId', type: 'string (uuid)', optional: false, nullable: false },
      { path: 'price', type: 'object', optional: false, nullable: false },
      { path: 'price.amountMinor', type: 'integer', optional: false, nullable: false },
      { path: 'price.currency', type: 'string', optional: false, nullable: false },
      { path: 'note', type: 'string', optional: true, nullable: false },
      { path: 'owner', type: 'string', optional: false, nullable: true },
      { path: 'tags', type: 'string[]', optional: false, nullable: false },
      { path: 'lines', type: 'object[]', optional: false, nullable: false },
      { path: 'lines[].sku', type: 'string', optional: false, nullable: false },
      { path: 'lines[].quantity', type: 'integer', optional: false, nullable: false },
      {
        path: 'origin',
        type: 'object',
        optional: true,
        nullable: false,
        description: 'Where the order for it came from',
      },
      { path: 'origin.channel', type: '"web" | "api"', optional: false, nullable: false },
      { path: 'origin.at', type: 'string (date-time)', optional: false, nullable: false },
      { path: 'attributes', type: 'record<string, number>', optional: false, nullable: false },
    ]);
  });

  it('reads a real contract: money inside array elements', () => {
    const paths = eventFields(orderPlaced).map((field) => field.path);
    expect(paths).toContain('items[].unitPrice.amountMinor');
    expect(paths).toContain('total.currency');
  });
});

describe('renderEventCatalogue', () => {
  const markdown = renderEventCatalogue(modules);
  const lines = markdown.split('\n');

  it('indexes every event, sorted, with its publisher and subscribers', () => {
    expect(lines).toContain(
      '| [`widget.made`](#widgetmade-v2) | 2 | `widgets` | `audit.on-widget-made`, `mail.on-widget-made` |',
    );
    // Subscribed to but published by no module: said plainly, not left out.
    expect(lines).toContain(
      '| [`widget.scrapped`](#widgetscrapped-v1) | 1 | — | `audit.on-widget-scrapped` |',
    );
    expect(markdown.indexOf('## `widget.made` v2')).toBeLessThan(
      markdown.indexOf('## `widget.scrapped` v1'),
    );
  });

  it("renders each event's section: description, publisher, subscribers, field rows", () => {
    const section = markdown.slice(
      markdown.indexOf('## `widget.made` v2'),
      markdown.indexOf('## `widget.scrapped` v1'),
    );
    expect(section).toContain('A widget left the line.');
    expect(section).toContain('- Publisher: `widgets`');
    expect(section).toContain('- Subscribers: `audit.on-widget-made`, `mail.on-widget-made`');
    expect(section).toContain('| Field | Type | Optional | Nullable | Description |');
    expect(section).toContain('| `lines[].quantity` | integer | no | no |  |');
    expect(section).toContain('| `owner` | string | no | yes |  |');
    expect(section).toContain(
      '| `origin` | object | yes | no | Where the order for it came from |',
    );
    // A `|` inside a cell is escaped so the table keeps its columns.
    expect(section).toContain('| `origin.channel` | "web" \\| "api" | no | no |  |');
  });

  it('leaves the description column out when no field has one', () => {
    const section = markdown.slice(markdown.indexOf('## `widget.scrapped` v1'));
    expect(section).toContain('- Publisher: none among the monolith’s modules');
    expect(section).toContain('| Field | Type | Optional | Nullable |\n');
    expect(section).toContain('| `reason` | string | no | no |');
  });

  it('does not depend on the order of the modules', () => {
    expect(renderEventCatalogue([...modules].reverse())).toBe(markdown);
  });
});
