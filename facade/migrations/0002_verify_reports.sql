CREATE TABLE "facade"."verify_reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"capability" text NOT NULL,
	"equal" boolean NOT NULL,
	"legacy_rows" integer NOT NULL,
	"service_rows" integer NOT NULL,
	"mismatches" integer NOT NULL,
	"missing_in_service" integer NOT NULL,
	"missing_in_legacy" integer NOT NULL,
	"conflicts" integer NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "verify_reports_capability_idx" ON "facade"."verify_reports" USING btree ("capability","checked_at" DESC NULLS LAST);