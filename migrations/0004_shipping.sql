CREATE SCHEMA "shipping";
--> statement-breakpoint
CREATE TABLE "shipping"."shipments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"carrier" text NOT NULL,
	"tracking_number" text NOT NULL,
	"address" jsonb NOT NULL,
	"items" jsonb NOT NULL,
	"cancel_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"shipped_at" timestamp with time zone,
	CONSTRAINT "shipments_order_id_key" UNIQUE("order_id"),
	CONSTRAINT "shipments_tracking_number_key" UNIQUE("tracking_number"),
	CONSTRAINT "shipments_status_known" CHECK ("shipping"."shipments"."status" in ('scheduled', 'cancelled', 'shipped')),
	CONSTRAINT "shipments_carrier_known" CHECK ("shipping"."shipments"."carrier" in ('DHL', 'UPS', 'PostNL')),
	CONSTRAINT "shipments_shipped_at_matches_status" CHECK (("shipping"."shipments"."status" = 'shipped') = ("shipping"."shipments"."shipped_at" is not null))
);
--> statement-breakpoint
CREATE INDEX "shipments_user_idx" ON "shipping"."shipments" USING btree ("user_id");