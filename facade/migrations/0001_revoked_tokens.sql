CREATE TABLE "platform"."revoked_tokens" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"not_before" timestamp (3) with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "revoked_tokens_not_before_idx" ON "platform"."revoked_tokens" USING btree ("not_before");