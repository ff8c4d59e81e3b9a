CREATE TABLE "platform"."seam_pins" (
	"seam" text NOT NULL,
	"key" text NOT NULL,
	"adapter" text NOT NULL,
	"pinned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "seam_pins_seam_key_pk" PRIMARY KEY("seam","key")
);
--> statement-breakpoint
CREATE TABLE "platform"."seam_settings" (
	"seam" text PRIMARY KEY NOT NULL,
	"adapter" text NOT NULL,
	"version" integer NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_by" uuid,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "seam_pins_age_idx" ON "platform"."seam_pins" USING btree ("pinned_at");