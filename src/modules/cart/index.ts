// The cart module's public surface. Other code imports the module only through this file.
import { ProblemError } from '../../platform/http/problem.ts';
import { defineModule, type Module, type ModuleContext } from '../../platform/module.ts';
import { type Cart, userIdSchema } from './contracts.ts';
import { cartCheckedOut } from './events.ts';
import type { CartProducts, OrderPlacement } from './ports.ts';
import { cartRoutes } from './routes.ts';
import { cart } from './schema.ts';
import { type CartDeps, getCart } from './service.ts';

export type {
  Cart,
  CartLine,
  CartProduct,
  OrderLine,
  OrderRequest,
  PlacedOrder,
  ShippingAddress,
} from './contracts.ts';
export * from './events.ts';
export type { CartProducts, OrderPlacement, Placement } from './ports.ts';

/** What other modules may ask of the cart. */
export interface CartApi {
  /** The user's cart (made empty on first use). Throws ProblemError 400 for a non-uuid id. */
  getCart(userId: string): Promise<Cart>;
}

/** The ports the cart needs, wired in src/monolith.ts. */
export interface CartPorts {
  products: CartProducts;
  orders: OrderPlacement;
}

export function createCartModule(context: ModuleContext, ports: CartPorts): Module<CartApi> {
  const deps: CartDeps = { db: context.db, events: context.events, ...ports };
  return defineModule<CartApi>({
    name: 'cart',
    schema: cart,
    routes: cartRoutes(deps),
    publishes: [cartCheckedOut],
    api: {
      getCart: async (userId) => {
        if (!userIdSchema.safeParse(userId).success) {
          throw new ProblemError(400, 'Invalid call to the cart: userId must be a uuid.');
        }
        return getCart(deps.db, userId);
      },
    },
  });
}
