import { z } from 'zod';
import { distinct, text } from './common';

/**
 * Typed placeholders in agent instructions (docs/api.md "Variables"): the declaration schema, the one
 * reference parser (`{{ name }}`, `\{{` for a literal `{{`), the checks on a set of declarations and
 * the renderer. The server's checks, the dashboard's editor and the session config all use these.
 */

export const VARIABLE_TYPES = ['string', 'number', 'boolean', 'enum'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

/** What a variable's name looks like: a lower-case letter, then up to 63 of `a-z`, `0-9`, `_`. */
export const VARIABLE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export type VariableValue = string | number | boolean;

/** Whether `value` is a value of `variable` (its type; one of its `enumValues` for an enum). */
export function isValueOf(variable: { type: VariableType; enumValues?: string[] }, value: unknown): boolean {
  switch (variable.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && (variable.enumValues ?? []).includes(value);
  }
}

function typeSaid(variable: { type: VariableType; enumValues?: string[] }): string {
  return variable.type === 'enum'
    ? `one of ${(variable.enumValues ?? []).map((value) => JSON.stringify(value)).join(', ')}`
    : `a ${variable.type}`;
}

const variableShape = z
  .strictObject({
    name: z.string().regex(VARIABLE_NAME, 'A lower-case letter, then up to 63 of a-z, 0-9 and _'),
    type: z.enum(VARIABLE_TYPES),
    required: z.boolean().default(false),
    /** The value an optional variable takes when none is given (null renders as empty text). */
    default: z.union([z.string(), z.number(), z.boolean(), z.null()]).default(null),
    description: text().max(500).default(''),
    /** The allowed values, present only for an `enum`. */
    enumValues: distinct(text().min(1).max(255), 'enumValues').min(1).max(50).optional(),
  })
  .superRefine((variable, context) => {
    if (variable.type === 'enum' && !variable.enumValues) {
      context.addIssue({
        code: 'custom',
        path: ['enumValues'],
        message: 'An enum variable lists its enumValues',
      });
    }
    if (variable.type !== 'enum' && variable.enumValues) {
      context.addIssue({
        code: 'custom',
        path: ['enumValues'],
        message: 'Only an enum variable has enumValues',
      });
    }
    if (variable.required && variable.default !== null) {
      context.addIssue({
        code: 'custom',
        path: ['default'],
        message: 'A required variable takes no default',
      });
    }
    if (variable.default !== null && !isValueOf(variable, variable.default)) {
      context.addIssue({
        code: 'custom',
        path: ['default'],
        message: `The default must be ${typeSaid(variable)}`,
      });
    }
  });
/** A declaration as a client writes it (`required`, `default` and `description` may be left out). */
export const VariableInput = variableShape.meta({ id: 'VariableInput' });
/** A declaration as the server answers it: every field present (`enumValues` only for an enum). */
export const Variable = variableShape.meta({ id: 'Variable' });
export type Variable = z.output<typeof Variable>;

/**
 * A stored declaration in the order the API writes its fields (a JSON column may keep them in
 * another), so the same declaration always reads and exports the same.
 */
export function inOrder(variable: Variable): Variable {
  const { name, type, required, default: fallback, description, enumValues } = variable;
  return {
    name,
    type,
    required,
    default: fallback,
    description,
    ...(enumValues ? { enumValues } : {}),
  };
}

/** An agent's declarations: up to 50, each name once. */
export const Variables = z
  .array(VariableInput)
  .max(50)
  .superRefine((variables, context) => {
    const seen = new Set<string>();
    variables.forEach((variable, index) => {
      if (seen.has(variable.name)) {
        context.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `"${variable.name}" is declared more than once`,
        });
      }
      seen.add(variable.name);
    });
  });

/** A piece of instructions: literal text, or a reference to a variable. */
export type InstructionPart = { text: string } | { variable: string };

/**
 * Instructions as literal text and references, in order. `{{name}}` (spaces inside the braces
 * allowed) refers to the variable `name`; `\{{` is a literal `{{`; anything else in braces (an
 * unterminated `{{`, a name a variable cannot have) is literal text.
 */
export function parseInstructions(instructions: string): InstructionPart[] {
  // It runs on every session config: it jumps from one `{{` to the next (text without one is a
  // single slice), rather than walking the text a character at a time.
  const parts: InstructionPart[] = [];
  let literal = '';
  let from = 0; // the first character not yet taken into `literal` or a reference
  let at = instructions.indexOf('{{');
  while (at !== -1) {
    if (at > from && instructions[at - 1] === '\\') {
      literal += `${instructions.slice(from, at - 1)}{{`;
      from = at + 2;
      at = instructions.indexOf('{{', from);
      continue;
    }
    const end = instructions.indexOf('}}', at + 2);
    const name = end === -1 ? '' : instructions.slice(at + 2, end).trim();
    if (end !== -1 && VARIABLE_NAME.test(name)) {
      literal += instructions.slice(from, at);
      if (literal) parts.push({ text: literal });
      literal = '';
      parts.push({ variable: name });
      from = end + 2;
      at = instructions.indexOf('{{', from);
    } else {
      at = instructions.indexOf('{{', at + 1);
    }
  }
  literal += instructions.slice(from);
  if (literal) parts.push({ text: literal });
  return parts;
}

/** The variables instructions refer to, each once, in the order they first appear. */
export function referencedVariables(instructions: string): string[] {
  const names = parseInstructions(instructions).flatMap((part) =>
    'variable' in part ? [part.variable] : [],
  );
  return [...new Set(names)];
}

/** References the declarations lack: what makes an agent write 400 (`details.undeclaredVariables`). */
export function undeclaredVariables(instructions: string, variables: readonly { name: string }[]): string[] {
  const declared = new Set(variables.map((variable) => variable.name));
  return referencedVariables(instructions).filter((name) => !declared.has(name));
}

/** Instructions with every reference replaced by its value (null renders as empty text). */
export function renderInstructions(
  instructions: string,
  values: Readonly<Record<string, VariableValue | null>>,
): string {
  return parseInstructions(instructions)
    .map((part) => ('text' in part ? part.text : String(values[part.variable] ?? '')))
    .join('');
}

/** The part of a declaration two agents of one session must agree on. */
function contract(variable: Variable): string {
  return JSON.stringify([variable.type, variable.enumValues ?? null, variable.required, variable.default]);
}

/**
 * The names declared differently (type, enumValues, required or default) by agents of one session,
 * with the agents that declare each: what a template write refuses (`details.variableConflicts`).
 */
export function variableConflicts(
  agents: readonly { id: string; variables?: readonly Variable[] }[],
): { name: string; agentIds: string[] }[] {
  const declared = new Map<string, { shapes: Set<string>; agentIds: string[] }>();
  for (const agent of agents) {
    for (const variable of agent.variables ?? []) {
      const entry = declared.get(variable.name) ?? { shapes: new Set(), agentIds: [] };
      entry.shapes.add(contract(variable));
      if (!entry.agentIds.includes(agent.id)) entry.agentIds.push(agent.id);
      declared.set(variable.name, entry);
    }
  }
  return [...declared]
    .filter(([, entry]) => entry.shapes.size > 1)
    .map(([name, entry]) => ({ name, agentIds: entry.agentIds }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * A session's variables: its agents' declarations merged, sorted by name, the description from the
 * first agent (in the template's order) that declares the name. Assumes no conflict.
 */
export function sessionVariables(agents: readonly { variables?: readonly Variable[] }[]): Variable[] {
  const merged = new Map<string, Variable>();
  for (const agent of agents) {
    for (const variable of agent.variables ?? [])
      if (!merged.has(variable.name)) merged.set(variable.name, variable);
  }
  return [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * The values of a session's variables, checked: every required one present, each value of its type,
 * no unknown name; an optional one left out takes its default. Answers the values, or every problem.
 */
export function resolveValues(
  variables: readonly Variable[],
  given: Readonly<Record<string, unknown>>,
):
  | { values: Record<string, VariableValue | null> }
  | { missingVariables: string[]; issues: { path: string[]; message: string }[] } {
  const byName = new Map(variables.map((variable) => [variable.name, variable]));
  const issues: { path: string[]; message: string }[] = [];
  for (const [name, value] of Object.entries(given)) {
    const variable = byName.get(name);
    if (!variable)
      issues.push({ path: ['variables', name], message: `No variable "${name}" in this session` });
    else if (!isValueOf(variable, value)) {
      issues.push({ path: ['variables', name], message: `Must be ${typeSaid(variable)}` });
    }
  }
  const missingVariables = variables
    .filter((variable) => variable.required && !Object.hasOwn(given, variable.name))
    .map((variable) => variable.name);
  for (const name of missingVariables) issues.push({ path: ['variables', name], message: 'Required' });
  if (issues.length) return { missingVariables, issues };
  return {
    values: Object.fromEntries(
      variables.map((variable) => [
        variable.name,
        Object.hasOwn(given, variable.name) ? (given[variable.name] as VariableValue) : variable.default,
      ]),
    ),
  };
}
