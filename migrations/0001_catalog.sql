CREATE SCHEMA "catalog";
--> statement-breakpoint
CREATE TABLE "catalog"."products" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sku" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "products_sku_key" UNIQUE("sku"),
	CONSTRAINT "products_price_non_negative" CHECK ("catalog"."products"."price_minor" >= 0),
	CONSTRAINT "products_currency_iso" CHECK ("catalog"."products"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "catalog"."reservations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'reserved' NOT NULL,
	"release_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_order_product_key" UNIQUE("order_id","product_id"),
	CONSTRAINT "reservations_quantity_positive" CHECK ("catalog"."reservations"."quantity" > 0),
	CONSTRAINT "reservations_status_known" CHECK ("catalog"."reservations"."status" in ('reserved', 'released', 'committed'))
);
--> statement-breakpoint
CREATE TABLE "catalog"."stock" (
	"product_id" uuid PRIMARY KEY NOT NULL,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_on_hand_non_negative" CHECK ("catalog"."stock"."on_hand" >= 0),
	CONSTRAINT "stock_reserved_non_negative" CHECK ("catalog"."stock"."reserved" >= 0),
	CONSTRAINT "stock_reserved_within_on_hand" CHECK ("catalog"."stock"."reserved" <= "catalog"."stock"."on_hand")
);
--> statement-breakpoint
ALTER TABLE "catalog"."reservations" ADD CONSTRAINT "reservations_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "catalog"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog"."stock" ADD CONSTRAINT "stock_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "catalog"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "products_live_created_idx" ON "catalog"."products" USING btree ("created_at") WHERE "catalog"."products"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "products_live_price_idx" ON "catalog"."products" USING btree ("price_minor") WHERE "catalog"."products"."deleted_at" is null;