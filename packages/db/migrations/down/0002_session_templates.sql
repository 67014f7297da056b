DROP TABLE "session_templates";
