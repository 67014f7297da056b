ALTER TABLE "agents" DROP COLUMN "variables";
