import { diffWordsWithSpace } from 'diff';

/** Lines kept either side of a change, so it reads in its place. */
const CONTEXT = 2;

interface Segment {
  text: string;
  kind: 'same' | 'added' | 'removed';
}

/** The word diff of two texts, cut into lines: each line its segments, and whether it changed. */
function diffLines(before: string, after: string): { segments: Segment[]; changed: boolean }[] {
  const lines: { segments: Segment[]; changed: boolean }[] = [{ segments: [], changed: false }];
  for (const part of diffWordsWithSpace(before, after)) {
    const kind = part.added ? 'added' : part.removed ? 'removed' : 'same';
    part.value.split('\n').forEach((text, index) => {
      if (index > 0) lines.push({ segments: [], changed: false });
      const line = lines.at(-1)!;
      if (text) line.segments.push({ text, kind });
      // A line break added or removed changes both lines it joins.
      if (kind !== 'same' && (text || index > 0)) line.changed = true;
    });
  }
  return lines;
}

/**
 * A long text's change as a person reads it: only the lines that changed, with two lines of
 * context either side and the skipped ones counted, each changed word marked (deleted words struck
 * through, added ones underlined), line breaks kept.
 */
export function TextDiff({ before, after }: { before: string; after: string }) {
  const lines = diffLines(before, after);
  const shown = lines.map((_, index) =>
    lines.slice(Math.max(0, index - CONTEXT), index + CONTEXT + 1).some((line) => line.changed),
  );
  const blocks: ({ skipped: number } | { line: (typeof lines)[number]; number: number })[] = [];
  lines.forEach((line, index) => {
    if (shown[index]) blocks.push({ line, number: index + 1 });
    else {
      const last = blocks.at(-1);
      if (last && 'skipped' in last) last.skipped++;
      else blocks.push({ skipped: 1 });
    }
  });
  return (
    <div className="mt-1 overflow-hidden rounded border border-zinc-200 font-mono text-xs leading-relaxed dark:border-zinc-800">
      {blocks.map((block, index) =>
        'skipped' in block ? (
          <div
            key={index}
            className="bg-zinc-50 px-2 py-0.5 text-zinc-600 italic dark:bg-zinc-950 dark:text-zinc-400"
          >
            {block.skipped} unchanged {block.skipped === 1 ? 'line' : 'lines'}
          </div>
        ) : (
          <div
            key={block.number}
            className={`flex gap-2 px-2 ${block.line.changed ? 'bg-amber-50 dark:bg-amber-950/40' : ''}`}
          >
            <span
              aria-hidden
              className="w-8 shrink-0 text-right text-zinc-500 select-none dark:text-zinc-400"
            >
              {block.number}
            </span>
            <span className="min-w-0 break-words whitespace-pre-wrap">
              {block.line.segments.map((segment, at) =>
                segment.kind === 'added' ? (
                  <ins
                    key={at}
                    className="bg-emerald-100 text-emerald-900 dark:bg-emerald-900/50 dark:text-emerald-100"
                  >
                    {segment.text}
                  </ins>
                ) : segment.kind === 'removed' ? (
                  <del key={at} className="bg-red-100 text-red-900 dark:bg-red-900/50 dark:text-red-100">
                    {segment.text}
                  </del>
                ) : (
                  <span key={at}>{segment.text}</span>
                ),
              )}
            </span>
          </div>
        ),
      )}
    </div>
  );
}

/** Whether two values are texts long enough to read as a diff rather than "before → after". */
export function isLongText(before: unknown, after: unknown): before is string {
  return (
    typeof before === 'string' &&
    typeof after === 'string' &&
    (before.includes('\n') || after.includes('\n') || before.length > 160 || after.length > 160)
  );
}
