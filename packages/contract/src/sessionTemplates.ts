import { z } from 'zod';
import { distinct, Id, itemsOf, Name, PositiveInt4, pageOf, Timestamp, text } from './common';
import { modalityProfileSchema as ModalityProfile, panelTypeSchema as PanelType } from './enumSchemas';

export const TEMPLATE_AGENTS_MAX = 50;
export const IDLE_TIMEOUT_DEFAULT = 300;

export const templateFields = {
  name: Name,
  description: text().max(10_000).nullable(),
  agentIds: distinct(Id, 'agentIds').min(1).max(TEMPLATE_AGENTS_MAX),
  initialAgentId: Id.nullable(),
  modalityProfile: ModalityProfile,
  enabledPanels: distinct(PanelType, 'enabledPanels'),
  maxDurationSeconds: PositiveInt4.nullable(),
  idleTimeoutSeconds: PositiveInt4,
};

export const CreateSessionTemplateInput = z
  .strictObject({
    ...templateFields,
    description: templateFields.description.default(null),
    initialAgentId: templateFields.initialAgentId.default(null),
    modalityProfile: templateFields.modalityProfile.default('audio_only'),
    enabledPanels: templateFields.enabledPanels.default([]),
    maxDurationSeconds: templateFields.maxDurationSeconds.default(null),
    idleTimeoutSeconds: templateFields.idleTimeoutSeconds.default(IDLE_TIMEOUT_DEFAULT),
  })
  .meta({ id: 'CreateSessionTemplateInput' });
export type CreateSessionTemplateInput = z.input<typeof CreateSessionTemplateInput>;

/**
 * Partial update: an omitted field keeps its value; an explicit `null` clears `description`,
 * `initialAgentId` or `maxDurationSeconds`. `version`, when given, must be the current one. Every
 * settable field of `templateFields`, optional.
 */
export const UpdateSessionTemplateInput = z
  .strictObject(templateFields)
  .partial()
  .extend({ id: Id, version: PositiveInt4.optional() })
  .meta({ id: 'UpdateSessionTemplateInput' });
export type UpdateSessionTemplateInput = z.input<typeof UpdateSessionTemplateInput>;

export const SessionTemplate = z
  .object({
    id: Id,
    organizationId: Id,
    name: z.string(),
    description: z.string().nullable(),
    agentIds: z.array(Id),
    initialAgentId: Id.nullable(),
    modalityProfile: ModalityProfile,
    enabledPanels: z.array(PanelType),
    maxDurationSeconds: z.int().nullable(),
    idleTimeoutSeconds: z.int(),
    isActive: z.boolean(),
    version: z.int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'SessionTemplate' });
export type SessionTemplate = z.infer<typeof SessionTemplate>;

export const SessionTemplatePage = pageOf(SessionTemplate).meta({ id: 'SessionTemplatePage' });
export const SessionTemplateList = itemsOf(SessionTemplate).meta({ id: 'SessionTemplateList' });
export type SessionTemplateList = z.infer<typeof SessionTemplateList>;
export type SessionTemplatePage = z.infer<typeof SessionTemplatePage>;
