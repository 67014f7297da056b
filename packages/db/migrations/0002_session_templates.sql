CREATE TABLE "session_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"agent_ids" uuid[] NOT NULL,
	"initial_agent_id" uuid,
	"modality_profile" text DEFAULT 'audio_only' NOT NULL,
	"enabled_panels" text[] DEFAULT '{}'::text[] NOT NULL,
	"max_duration_seconds" integer,
	"idle_timeout_seconds" integer DEFAULT 300 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_templates_modality_profile_check" CHECK ("session_templates"."modality_profile" in ('audio_only', 'audio_camera', 'audio_screenshare', 'audio_camera_screenshare')),
	CONSTRAINT "session_templates_enabled_panels_check" CHECK ("session_templates"."enabled_panels" <@ array['slide_presenter', 'notepad', 'coding_ide', 'whiteboard', 'document_viewer']::text[]),
	CONSTRAINT "session_templates_agent_ids_check" CHECK (cardinality("session_templates"."agent_ids") between 1 and 50),
	CONSTRAINT "session_templates_max_duration_check" CHECK ("session_templates"."max_duration_seconds" is null or "session_templates"."max_duration_seconds" > 0),
	CONSTRAINT "session_templates_idle_timeout_check" CHECK ("session_templates"."idle_timeout_seconds" > 0),
	CONSTRAINT "session_templates_version_check" CHECK ("session_templates"."version" > 0)
);
--> statement-breakpoint
ALTER TABLE "session_templates" ADD CONSTRAINT "session_templates_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "session_templates_organization_list_idx" ON "session_templates" USING btree ("organization_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "session_templates"."is_active";