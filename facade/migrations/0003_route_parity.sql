CREATE TABLE "facade"."route_parity" (
	"route_id" text NOT NULL,
	"replica_id" text NOT NULL,
	"since_version" integer NOT NULL,
	"samples" bigint NOT NULL,
	"matches" bigint NOT NULL,
	"mirror_errors" bigint NOT NULL,
	"drops" jsonb NOT NULL,
	"noise" text[] NOT NULL,
	"diffs" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "route_parity_route_id_replica_id_pk" PRIMARY KEY("route_id","replica_id")
);
