CREATE TABLE "platform"."extraction_checkpoints" (
	"capability" text PRIMARY KEY NOT NULL,
	"last_created_at" text NOT NULL,
	"last_id" text NOT NULL,
	"copied" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"conflicts" integer DEFAULT 0 NOT NULL,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
