CREATE SCHEMA "platform";
--> statement-breakpoint
CREATE SCHEMA "payments";
--> statement-breakpoint
CREATE TABLE "platform"."bus_epochs" (
	"prefix" text PRIMARY KEY NOT NULL,
	"epoch" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reopening" boolean DEFAULT false NOT NULL,
	"reopened_up_to" uuid
);
--> statement-breakpoint
CREATE TABLE "platform"."event_deliveries" (
	"event_id" uuid NOT NULL,
	"subscriber" text NOT NULL,
	"event_name" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "event_deliveries_event_id_subscriber_pk" PRIMARY KEY("event_id","subscriber")
);
--> statement-breakpoint
CREATE TABLE "platform"."inbox" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"handled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "platform"."outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"payload" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone,
	"claimed_until" timestamp with time zone,
	"redis_epoch" text,
	"handed_to" text[]
);
--> statement-breakpoint
CREATE TABLE "payments"."idempotency_records" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"holder" text,
	"held_until" timestamp with time zone,
	"response_status" integer,
	"response_body" text,
	"response_headers" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "idempotency_records_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "payments"."payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_ref" uuid NOT NULL,
	"customer_ref" uuid NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"status" text NOT NULL,
	"decline_reason" text,
	"provider_ref" text,
	"source_type" text NOT NULL,
	"card_last4" text,
	"card_token" text,
	"attempt_token" text,
	"attempt_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_order_ref_key" UNIQUE("order_ref"),
	CONSTRAINT "payments_amount_positive" CHECK ("payments"."payments"."amount_minor" > 0),
	CONSTRAINT "payments_currency_iso" CHECK ("payments"."payments"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "payments_status_known" CHECK ("payments"."payments"."status" in ('authorized', 'captured', 'declined', 'refunded'))
);
--> statement-breakpoint
CREATE TABLE "payments"."refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payment_id" uuid NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"reason" text NOT NULL,
	"provider_ref" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refunds_payment_id_key" UNIQUE("payment_id"),
	CONSTRAINT "refunds_amount_positive" CHECK ("payments"."refunds"."amount_minor" > 0)
);
--> statement-breakpoint
ALTER TABLE "payments"."refunds" ADD CONSTRAINT "refunds_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "payments"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_deliveries_due_idx" ON "platform"."event_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "inbox_handled_idx" ON "platform"."inbox" USING btree ("handled_at");--> statement-breakpoint
CREATE INDEX "outbox_undispatched_idx" ON "platform"."outbox" USING btree ("created_at") WHERE "platform"."outbox"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_dispatched_idx" ON "platform"."outbox" USING btree ("dispatched_at") WHERE "platform"."outbox"."dispatched_at" is not null;--> statement-breakpoint
CREATE INDEX "idempotency_records_created_idx" ON "payments"."idempotency_records" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "payments_created_idx" ON "payments"."payments" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "payments_customer_idx" ON "payments"."payments" USING btree ("customer_ref","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);