CREATE SCHEMA "platform";
--> statement-breakpoint
CREATE SCHEMA "users";
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
CREATE TABLE "users"."accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"login_name" text NOT NULL,
	"email_address" text NOT NULL,
	"password_hash" text NOT NULL,
	"roles" text[] DEFAULT '{customer}'::text[] NOT NULL,
	"display_name" text,
	"tokens_valid_after" timestamp (3) with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_login_name_key" UNIQUE("login_name"),
	CONSTRAINT "accounts_email_address_key" UNIQUE("email_address"),
	CONSTRAINT "accounts_login_name_lowercase" CHECK ("users"."accounts"."login_name" = lower("users"."accounts"."login_name")),
	CONSTRAINT "accounts_email_address_lowercase" CHECK ("users"."accounts"."email_address" = lower("users"."accounts"."email_address")),
	CONSTRAINT "accounts_roles_known" CHECK (cardinality("users"."accounts"."roles") > 0 and "users"."accounts"."roles" <@ array['customer', 'admin']::text[])
);
--> statement-breakpoint
CREATE TABLE "users"."idempotency_records" (
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
CREATE INDEX "event_deliveries_due_idx" ON "platform"."event_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "inbox_handled_idx" ON "platform"."inbox" USING btree ("handled_at");--> statement-breakpoint
CREATE INDEX "outbox_undispatched_idx" ON "platform"."outbox" USING btree ("created_at") WHERE "platform"."outbox"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_dispatched_idx" ON "platform"."outbox" USING btree ("dispatched_at") WHERE "platform"."outbox"."dispatched_at" is not null;--> statement-breakpoint
CREATE INDEX "idempotency_records_created_idx" ON "users"."idempotency_records" USING btree ("created_at");