CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"instructions" text NOT NULL,
	"model" text DEFAULT 'gpt-4.1-mini' NOT NULL,
	"voice" text,
	"handoff_targets" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"tools" text[] DEFAULT '{}'::text[] NOT NULL,
	"modality" text DEFAULT 'audio_only' NOT NULL,
	"panels" text[] DEFAULT '{}'::text[] NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agents_modality_check" CHECK ("agents"."modality" in ('audio_only', 'audio_camera', 'audio_screenshare')),
	CONSTRAINT "agents_panels_check" CHECK ("agents"."panels" <@ array['slide_presenter', 'notepad', 'coding_ide', 'whiteboard', 'document_viewer']::text[])
);
--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agents_organization_list_idx" ON "agents" USING btree ("organization_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "agents"."is_active";