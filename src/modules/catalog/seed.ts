import { count, sql } from 'drizzle-orm';
import type { CreateProductInput } from './contracts.ts';
import { products } from './schema.ts';
import { type CatalogDeps, createProductIn } from './service.ts';

type DemoProduct = Omit<CreateProductInput, 'active' | 'price'> & { priceMinor: number };

/** A small shop's worth of kitchen and coffee goods, prices in euro cents. */
export const demoProducts: DemoProduct[] = [
  {
    sku: 'MUG-CER-350',
    name: 'Ceramic Mug 350 ml',
    priceMinor: 1290,
    initialStock: 120,
    description: 'Stoneware mug with a matte glaze; dishwasher safe.',
  },
  {
    sku: 'MUG-ENM-300',
    name: 'Enamel Camp Mug',
    priceMinor: 1490,
    initialStock: 60,
    description: 'Lightweight enamel steel mug for the trail and the balcony.',
  },
  {
    sku: 'CUP-ESP-2',
    name: 'Espresso Cups, Set of 2',
    priceMinor: 1890,
    initialStock: 45,
    description: 'Thick-walled porcelain cups that keep a shot warm.',
  },
  {
    sku: 'GLS-DW-250',
    name: 'Double-Wall Glass 250 ml',
    priceMinor: 1650,
    initialStock: 80,
    description: 'Borosilicate glass that stays cool to the touch.',
  },
  {
    sku: 'KTL-GN-1L',
    name: 'Gooseneck Kettle 1 l',
    priceMinor: 6990,
    initialStock: 25,
    description: 'Stovetop kettle with a precise pouring spout for pour-over coffee.',
  },
  {
    sku: 'KTL-EL-17',
    name: 'Electric Kettle 1.7 l',
    priceMinor: 4990,
    initialStock: 35,
    description: 'Fast-boil kettle with temperature presets from 60 to 100 °C.',
  },
  {
    sku: 'FRP-8CUP',
    name: 'French Press 8 Cups',
    priceMinor: 3490,
    initialStock: 40,
    description: 'Stainless steel plunger with a double mesh filter.',
  },
  {
    sku: 'DRP-V60-02',
    name: 'Pour-Over Dripper Size 02',
    priceMinor: 2290,
    initialStock: 70,
    description: 'Conical ceramic dripper with spiral ribs.',
  },
  {
    sku: 'FLT-V60-100',
    name: 'Paper Filters, 100 pcs',
    priceMinor: 590,
    initialStock: 200,
    description: 'Unbleached paper filters for size 02 drippers.',
  },
  {
    sku: 'GRN-HND-CER',
    name: 'Hand Grinder, Ceramic Burr',
    priceMinor: 4590,
    initialStock: 30,
    description: 'Adjustable burr grinder from espresso to French press.',
  },
  {
    sku: 'GRN-EL-40',
    name: 'Electric Burr Grinder',
    priceMinor: 12990,
    initialStock: 12,
    description: 'Forty grind settings and a timed dose.',
  },
  {
    sku: 'SCL-CF-01',
    name: 'Coffee Scale with Timer',
    priceMinor: 3990,
    initialStock: 50,
    description: 'Weighs to 0.1 g and times your brew.',
  },
  {
    sku: 'MOKA-6',
    name: 'Stovetop Moka Pot, 6 Cups',
    priceMinor: 3290,
    initialStock: 55,
    description: 'Aluminium moka pot for rich, strong coffee.',
  },
  {
    sku: 'BEAN-ETH-250',
    name: 'Ethiopia Yirgacheffe Beans 250 g',
    priceMinor: 1190,
    initialStock: 150,
    description: 'Washed single origin with notes of jasmine and lemon.',
  },
  {
    sku: 'BEAN-COL-1K',
    name: 'Colombia Huila Beans 1 kg',
    priceMinor: 3290,
    initialStock: 90,
    description: 'Medium roast with caramel sweetness and red apple.',
  },
  {
    sku: 'BEAN-ESP-500',
    name: 'House Espresso Blend 500 g',
    priceMinor: 1690,
    initialStock: 180,
    description: 'Dark chocolate and hazelnut; made for milk drinks.',
  },
  {
    sku: 'TEA-SEN-100',
    name: 'Japanese Sencha 100 g',
    priceMinor: 1390,
    initialStock: 75,
    description: 'Steamed green tea with a grassy, sweet finish.',
  },
  {
    sku: 'TEA-EAR-100',
    name: 'Earl Grey Tea 100 g',
    priceMinor: 890,
    initialStock: 110,
    description: 'Black tea scented with bergamot oil.',
  },
  {
    sku: 'POT-TEA-800',
    name: 'Cast Iron Teapot 800 ml',
    priceMinor: 5490,
    initialStock: 15,
    description: 'Enamelled inside, with a removable infuser.',
  },
  {
    sku: 'JUG-MLK-600',
    name: 'Milk Frothing Jug 600 ml',
    priceMinor: 1990,
    initialStock: 65,
    description: 'Stainless steel jug with a sharp spout for latte art.',
  },
  {
    sku: 'FRT-HND-01',
    name: 'Handheld Milk Frother',
    priceMinor: 1490,
    initialStock: 85,
    description: 'Battery-powered whisk for foam in seconds.',
  },
  {
    sku: 'TMP-58',
    name: 'Espresso Tamper 58 mm',
    priceMinor: 2790,
    initialStock: 20,
    description: 'Solid steel base with a walnut handle.',
  },
  {
    sku: 'CAN-AIR-1L',
    name: 'Airtight Coffee Canister',
    priceMinor: 2490,
    initialStock: 48,
    description: 'One-way valve keeps beans fresh for weeks.',
  },
  {
    sku: 'ESP-MAC-PRO',
    name: 'Dual Boiler Espresso Machine',
    priceMinor: 189_900,
    initialStock: 5,
    description: 'PID-controlled dual boiler with a rotary pump.',
  },
];

/** Advisory lock key held while seeding, so two processes starting together seed once. */
const SEED_LOCK = sql`select pg_advisory_xact_lock(4202::int, 0)`;

/** Adds the demo products when the catalog has never held any; returns how many it added. */
export function seedCatalog(deps: CatalogDeps): Promise<number> {
  return deps.db.transaction(async (tx) => {
    await tx.execute(SEED_LOCK);
    // Archived products count too: a catalog someone emptied on purpose is not refilled.
    const [existing] = await tx.select({ total: count() }).from(products);
    if ((existing?.total ?? 0) > 0) return 0;
    for (const { priceMinor, ...product } of demoProducts) {
      await createProductIn(tx, deps.events, {
        ...product,
        active: true,
        price: { amountMinor: priceMinor, currency: 'EUR' },
      });
    }
    return demoProducts.length;
  });
}
