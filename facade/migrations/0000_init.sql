CREATE SCHEMA "platform";
--> statement-breakpoint
CREATE SCHEMA "facade";
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
CREATE TABLE "facade"."route_toggles" (
	"route_id" text PRIMARY KEY NOT NULL,
	"mode" text NOT NULL,
	"percentage" integer NOT NULL,
	"version" integer NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_by" text NOT NULL,
	"reason" text NOT NULL,
	CONSTRAINT "route_toggles_percentage_range" CHECK ("facade"."route_toggles"."percentage" between 0 and 100),
	CONSTRAINT "route_toggles_mode_known" CHECK ("facade"."route_toggles"."mode" in ('monolith', 'shadow', 'canary', 'extracted', 'retired'))
);
--> statement-breakpoint
CREATE TABLE "facade"."toggle_journal" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"route_id" text NOT NULL,
	"version" integer NOT NULL,
	"kind" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_by" text NOT NULL,
	"from_mode" text NOT NULL,
	"from_percentage" integer NOT NULL,
	"to_mode" text NOT NULL,
	"to_percentage" integer NOT NULL,
	"reason" text NOT NULL,
	"forced" boolean DEFAULT false NOT NULL,
	"figures" jsonb NOT NULL,
	CONSTRAINT "toggle_journal_version_key" UNIQUE("version")
);
--> statement-breakpoint
CREATE TABLE "facade"."toggle_replicas" (
	"replica_id" text PRIMARY KEY NOT NULL,
	"applied_version" integer NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "facade"."toggle_version" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"version" integer NOT NULL,
	CONSTRAINT "toggle_version_single_row" CHECK ("facade"."toggle_version"."id" = 1)
);
--> statement-breakpoint
CREATE INDEX "event_deliveries_due_idx" ON "platform"."event_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "inbox_handled_idx" ON "platform"."inbox" USING btree ("handled_at");--> statement-breakpoint
CREATE INDEX "outbox_undispatched_idx" ON "platform"."outbox" USING btree ("created_at") WHERE "platform"."outbox"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_dispatched_idx" ON "platform"."outbox" USING btree ("dispatched_at") WHERE "platform"."outbox"."dispatched_at" is not null;--> statement-breakpoint
CREATE INDEX "toggle_journal_route_idx" ON "facade"."toggle_journal" USING btree ("route_id","version" DESC NULLS LAST);