import { z } from 'zod';
import { AGENT_MODALITIES, MODALITY_PROFILES, PANEL_TYPES, ROLES } from './enums';

/** The contract's enums as zod schemas. */
export const roleSchema = z.enum(ROLES);
export const agentModalitySchema = z.enum(AGENT_MODALITIES);
export const modalityProfileSchema = z.enum(MODALITY_PROFILES);
export const panelTypeSchema = z.enum(PANEL_TYPES);
