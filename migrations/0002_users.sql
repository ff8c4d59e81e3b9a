CREATE SCHEMA "users";
--> statement-breakpoint
CREATE TABLE "users"."accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"roles" text[] DEFAULT '{customer}'::text[] NOT NULL,
	"display_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_username_key" UNIQUE("username"),
	CONSTRAINT "accounts_email_key" UNIQUE("email"),
	CONSTRAINT "accounts_username_lowercase" CHECK ("users"."accounts"."username" = lower("users"."accounts"."username")),
	CONSTRAINT "accounts_email_lowercase" CHECK ("users"."accounts"."email" = lower("users"."accounts"."email")),
	CONSTRAINT "accounts_roles_known" CHECK (cardinality("users"."accounts"."roles") > 0 and "users"."accounts"."roles" <@ array['customer', 'admin']::text[])
);
