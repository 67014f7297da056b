import { AgentSpecInput, BUNDLE_FORMAT, TemplateSpecInput } from '@switchboard/contract';
import { MODALITY_LABELS, PANEL_LABELS, PROFILE_LABELS } from './labels';

/** The labels of a field's allowed values, to say what to write instead of a wrong one. */
const ALLOWED: Record<string, Record<string, string>> = {
  modality: MODALITY_LABELS,
  modalityProfile: PROFILE_LABELS,
  panels: PANEL_LABELS,
  enabledPanels: PANEL_LABELS,
};

/** A schema problem as a person reads it: for a wrong choice, the choices, with their labels. */
function said(field: string[], issue: { code: string; message: string; input?: unknown }): string {
  const allowed = ALLOWED[field.find((part) => part in ALLOWED) ?? ''];
  if (issue.code === 'invalid_value' && allowed) {
    const choices = Object.entries(allowed).map(([value, label]) => `"${value}" (${label})`);
    return `${JSON.stringify(issue.input)} is not one of ${choices.join(', ')}`;
  }
  return issue.message;
}

export interface BundleIssue {
  path: string[];
  message: string;
}

type Kind = 'agents' | 'sessionTemplates';

/**
 * A file's bundle checked entry by entry against the contract's schemas, so that one look names
 * every problem: each entry's own (a wrong type, an unknown panel), found here, and the rest
 * (names used twice, references, the rules) found by the server's dry run of the entries that are
 * well formed. `notBundle` says why a file is no bundle at all.
 */
export function checkEntries(content: unknown):
  | { notBundle: string }
  | {
      issues: BundleIssue[];
      /** The well-formed entries, for the server's dry run, and where each stood in the file. */
      wellFormed: { format: string; agents: unknown[]; sessionTemplates: unknown[] };
      positions: Record<Kind, number[]>;
      /** Names of agents left out for their own problems (a reference to one is no extra problem). */
      leftOut: Set<string>;
    } {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    return { notBundle: 'it is not a JSON object' };
  }
  const file = content as Record<string, unknown>;
  if (file.format !== BUNDLE_FORMAT) {
    return {
      notBundle:
        'format' in file
          ? `its format is ${JSON.stringify(file.format)}, not "${BUNDLE_FORMAT}"`
          : `it has no "format": "${BUNDLE_FORMAT}" (export one to see the shape)`,
    };
  }
  const issues: BundleIssue[] = [];
  for (const key of Object.keys(file)) {
    if (!['format', 'agents', 'sessionTemplates'].includes(key)) {
      issues.push({ path: [key], message: `Unknown field "${key}"` });
    }
  }
  const positions: Record<Kind, number[]> = { agents: [], sessionTemplates: [] };
  const leftOut = new Set<string>();
  const wellFormed = { format: BUNDLE_FORMAT, agents: [] as unknown[], sessionTemplates: [] as unknown[] };
  for (const kind of ['agents', 'sessionTemplates'] as const) {
    const entries = file[kind] ?? [];
    if (!Array.isArray(entries)) {
      issues.push({ path: [kind], message: 'Must be a list' });
      continue;
    }
    const schema = kind === 'agents' ? AgentSpecInput : TemplateSpecInput;
    entries.forEach((entry, index) => {
      const parsed = schema.safeParse(entry);
      if (parsed.success) {
        positions[kind].push(index);
        wellFormed[kind].push(entry);
        return;
      }
      if (kind === 'agents' && typeof (entry as { name?: unknown })?.name === 'string') {
        leftOut.add(((entry as { name: string }).name ?? '').trim());
      }
      for (const issue of parsed.error.issues) {
        const field = issue.path.map(String);
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) {
            issues.push({
              path: ['bundle', kind, String(index), ...field, key],
              message: `Unknown field "${key}"`,
            });
          }
        } else issues.push({ path: ['bundle', kind, String(index), ...field], message: said(field, issue) });
      }
    });
  }
  return { issues, wellFormed, positions, leftOut };
}

/**
 * The server's issues about the well-formed entries, at their places in the file; a reference to an
 * agent left out for its own problem is dropped (it is that problem, already named).
 */
export function inFile(
  issues: BundleIssue[],
  positions: Record<Kind, number[]>,
  leftOut: Set<string>,
): BundleIssue[] {
  return issues
    .filter(
      (issue) =>
        ![...leftOut].some(
          (name) =>
            issue.message === `No agent named "${name}" in the bundle or the organization` ||
            issue.message === `No agent named "${name}" in the bundle`,
        ),
    )
    .map((issue) => {
      const [root, kind, at, ...rest] = issue.path;
      if (root !== 'bundle' || (kind !== 'agents' && kind !== 'sessionTemplates')) return issue;
      return { ...issue, path: [root, kind, String(positions[kind][Number(at)] ?? at), ...rest] };
    });
}
