import { z } from 'zod';
import { Name } from './common';

/** A model or voice an agent may choose: its id (what the agent stores) and a label for people. */
export const CatalogEntry = z.strictObject({ id: Name, label: Name });

/**
 * What agents may choose (docs/api.md "Catalog"): set by the operator with `CATALOG_FILE`. With
 * `allowOtherModels` (or `allowOtherVoices`) false, an agent create or update that sets a model (or
 * voice) outside the list is 400; agents that already hold one keep it.
 */
export const Catalog = z
  .strictObject({
    models: z.array(CatalogEntry).max(1000),
    voices: z.array(CatalogEntry).max(1000),
    allowOtherModels: z.boolean(),
    allowOtherVoices: z.boolean(),
  })
  .meta({ id: 'Catalog' });
export type Catalog = z.infer<typeof Catalog>;

/** The catalog without `CATALOG_FILE`: a few current models and voices, anything else allowed. */
export const DEFAULT_CATALOG: Catalog = {
  models: [
    { id: 'gpt-4.1-mini', label: 'GPT-4.1 mini' },
    { id: 'gpt-4.1', label: 'GPT-4.1' },
    { id: 'gpt-4o-mini', label: 'GPT-4o mini' },
    { id: 'gpt-4o', label: 'GPT-4o' },
    { id: 'gpt-realtime', label: 'GPT Realtime' },
  ],
  voices: [
    { id: 'alloy', label: 'Alloy' },
    { id: 'ash', label: 'Ash' },
    { id: 'coral', label: 'Coral' },
    { id: 'sage', label: 'Sage' },
    { id: 'verse', label: 'Verse' },
  ],
  allowOtherModels: true,
  allowOtherVoices: true,
};

/**
 * The catalog's objections to an agent's `model` and `voice` (paths as in the agent's input), each
 * only when the value is new: `current` is what the agent holds now (absent for a create).
 */
export function catalogProblems(
  catalog: Catalog,
  agent: { model?: string; voice?: string | null },
  current?: { model: string; voice: string | null },
): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  if (
    agent.model !== undefined &&
    !catalog.allowOtherModels &&
    agent.model !== current?.model &&
    !catalog.models.some((model) => model.id === agent.model)
  ) {
    problems.push({
      path: ['model'],
      message: `"${agent.model}" is not in the catalog; choose one of ${catalog.models.map((m) => m.id).join(', ')}`,
    });
  }
  if (
    agent.voice !== undefined &&
    agent.voice !== null &&
    !catalog.allowOtherVoices &&
    agent.voice !== current?.voice &&
    !catalog.voices.some((voice) => voice.id === agent.voice)
  ) {
    problems.push({
      path: ['voice'],
      message: `"${agent.voice}" is not in the catalog; choose one of ${catalog.voices.map((v) => v.id).join(', ')}`,
    });
  }
  return problems;
}
