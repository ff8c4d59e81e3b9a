ALTER TABLE "payments"."payments" DROP CONSTRAINT "payments_status_known";--> statement-breakpoint
ALTER TABLE "payments"."payments" ADD COLUMN "card_token" text;--> statement-breakpoint
ALTER TABLE "payments"."payments" ADD COLUMN "attempt_token" text;--> statement-breakpoint
ALTER TABLE "payments"."payments" ADD COLUMN "attempt_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments"."payments" ADD CONSTRAINT "payments_status_known" CHECK ("payments"."payments"."status" in ('pending', 'captured', 'failed', 'refunded'));