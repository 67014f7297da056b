CREATE TABLE "auth_rate_limits" (
	"key" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "auth_rate_limits_key_window_start_pk" PRIMARY KEY("key","window_start")
);
