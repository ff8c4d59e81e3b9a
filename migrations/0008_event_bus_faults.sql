CREATE TABLE "platform"."bus_epochs" (
	"prefix" text PRIMARY KEY NOT NULL,
	"epoch" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "platform"."outbox" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "platform"."outbox" ADD COLUMN "redis_epoch" text;--> statement-breakpoint
ALTER TABLE "platform"."outbox" ADD COLUMN "handed_to" text[];--> statement-breakpoint
CREATE INDEX "inbox_handled_idx" ON "platform"."inbox" USING btree ("handled_at");--> statement-breakpoint
CREATE INDEX "outbox_dispatched_idx" ON "platform"."outbox" USING btree ("dispatched_at") WHERE "platform"."outbox"."dispatched_at" is not null;