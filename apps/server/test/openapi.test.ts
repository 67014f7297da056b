import * as contract from '@switchboard/contract';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXAMPLES } from '../src/http/rest/examples';
import { buildOpenApiDocument } from '../src/http/rest/openapi';

/** The contract's named schemas, by the name they carry (`.meta({ id })`). */
const named = new Map(
  (Object.values(contract) as unknown[])
    .filter((value): value is z.ZodType => value instanceof z.ZodType)
    .flatMap((schema) => {
      const id = schema.meta()?.id;
      return typeof id === 'string' ? [[id, schema] as const] : [];
    }),
);

describe('the OpenAPI document names and exemplifies every entity', () => {
  const document = buildOpenApiDocument() as {
    components: { schemas: Record<string, { properties?: object }> };
  };

  it('names a component for every schema the contract names, and nothing else', () => {
    expect(Object.keys(document.components.schemas).sort()).toEqual([...named.keys()].sort());
  });

  it('each example is valid for the contract schema of its name (a REST body with the fields of its path added)', () => {
    for (const [name, schema] of named) {
      const example = EXAMPLES[name];
      expect(example, name).toBeDefined();
      // The path's fields: an environment's name, a template's id, or an entity's id.
      const pathFields =
        name === 'UpdateEnvironmentInput' || name === 'PromoteInput'
          ? { environment: 'production' }
          : name === 'DeployInput' || name === 'RollbackInput' || name === 'RampCanaryInput'
            ? { environment: 'production', templateId: '0f8fad5b-d9cb-469f-a165-70867728950e' }
            : (name.startsWith('Update') ||
                  name === 'RestoreInput' ||
                  name === 'RecoverInput' ||
                  name === 'SessionConfigInput') &&
                !('id' in (example as object))
              ? { id: '0f8fad5b-d9cb-469f-a165-70867728950e' }
              : {};
      const withPathId = { ...pathFields, ...(example as object) };
      const parsed = schema.safeParse(withPathId);
      expect(parsed.error?.issues ?? [], name).toEqual([]);
    }
  });
});
