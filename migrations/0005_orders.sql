CREATE SCHEMA "orders";
--> statement-breakpoint
CREATE TABLE "orders"."checkout_sagas" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"failure" text,
	"failure_cause" text,
	"card_token" text,
	"correlation_id" text,
	"trace_id" text,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "checkout_sagas_state_known" CHECK (state in ('running', 'compensating', 'completed', 'compensated'))
);
--> statement-breakpoint
CREATE TABLE "orders"."idempotency_keys" (
	"user_id" uuid NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"order_id" uuid NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_user_id_key_pk" PRIMARY KEY("user_id","key")
);
--> statement-breakpoint
CREATE TABLE "orders"."order_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "orders"."order_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"order_id" uuid NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"event" text NOT NULL,
	"cause" text NOT NULL,
	"detail" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders"."order_items" (
	"order_id" uuid NOT NULL,
	"line_no" integer NOT NULL,
	"product_id" uuid NOT NULL,
	"name" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_minor" integer NOT NULL,
	"line_total_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	CONSTRAINT "order_items_order_id_line_no_pk" PRIMARY KEY("order_id","line_no"),
	CONSTRAINT "order_items_quantity_positive" CHECK ("orders"."order_items"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "orders"."orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text NOT NULL,
	"total_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"cancel_reason" text,
	"payment_id" text,
	"shipment_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_status_known" CHECK (status in ('pending', 'confirmed', 'cancelled', 'shipped')),
	CONSTRAINT "orders_total_non_negative" CHECK ("orders"."orders"."total_minor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "orders"."order_summaries" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text NOT NULL,
	"status_rank" integer NOT NULL,
	"total_minor" integer,
	"currency" char(3),
	"item_count" integer,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders"."saga_steps" (
	"order_id" uuid NOT NULL,
	"step" text NOT NULL,
	"status" text NOT NULL,
	"detail" text,
	"uncertain" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"succeeded_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"compensated_at" timestamp with time zone,
	CONSTRAINT "saga_steps_order_id_step_pk" PRIMARY KEY("order_id","step"),
	CONSTRAINT "saga_steps_status_known" CHECK (status in ('started', 'succeeded', 'failed', 'compensated'))
);
--> statement-breakpoint
ALTER TABLE "orders"."checkout_sagas" ADD CONSTRAINT "checkout_sagas_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."idempotency_keys" ADD CONSTRAINT "idempotency_keys_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."order_history" ADD CONSTRAINT "order_history_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."order_items" ADD CONSTRAINT "order_items_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders"."saga_steps" ADD CONSTRAINT "saga_steps_order_id_checkout_sagas_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "orders"."checkout_sagas"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "checkout_sagas_unfinished_idx" ON "orders"."checkout_sagas" USING btree ("lease_expires_at") WHERE "orders"."checkout_sagas"."finished_at" is null;--> statement-breakpoint
CREATE INDEX "order_history_order_idx" ON "orders"."order_history" USING btree ("order_id","id");--> statement-breakpoint
CREATE INDEX "orders_user_created_idx" ON "orders"."orders" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "order_summaries_user_created_idx" ON "orders"."order_summaries" USING btree ("user_id","created_at");