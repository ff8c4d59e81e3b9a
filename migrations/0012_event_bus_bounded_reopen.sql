ALTER TABLE "platform"."bus_epochs" ADD COLUMN "reopening" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "platform"."bus_epochs" ADD COLUMN "reopened_up_to" uuid;