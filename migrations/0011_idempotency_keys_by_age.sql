DROP INDEX "orders"."idempotency_keys_answered_idx";--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "orders"."idempotency_keys" USING btree ("created_at");