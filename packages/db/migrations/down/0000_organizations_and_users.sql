DROP TABLE "users";
--> statement-breakpoint
DROP TABLE "organizations";
