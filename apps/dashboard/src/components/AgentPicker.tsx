import type { Agent } from '@switchboard/client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ArrowDown, ArrowUp, X } from 'lucide-react';
import { useEffect, useId, useState } from 'react';
import { displayName } from '../lib/agents';
import { trpc } from '../lib/api';
import { Button, cx, inputClass } from './ui';

/** The text typed, settled for `ms` (one search per pause, not per key). */
function useSettled(text: string, ms = 200) {
  const [settled, setSettled] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(text), ms);
    return () => clearTimeout(timer);
  }, [text, ms]);
  return settled;
}

/**
 * Choosing agents by name at any scale: a combobox that searches the server as the person types
 * (`agents.list` with `search`), and the chosen agents as an ordered list they can reorder and
 * remove. Everything the entity holds is listed, whatever the search shows; keyboard alone works
 * (arrows and Enter in the list, buttons on each chosen agent).
 */
export function AgentPicker({
  label,
  hint,
  error,
  value,
  onChange,
  known,
  onFound,
  exclude = [],
  describe,
  readOnly,
  ordered = true,
}: {
  label: string;
  hint?: string;
  error?: string;
  /** The chosen agents' ids, in order. */
  value: string[];
  onChange: (ids: string[]) => void;
  /** Agents already fetched, by id (the chosen ones among them). */
  known: Map<string, Agent>;
  /** An agent picked from the search: the form learns it. */
  onFound: (agent: Agent) => void;
  /** Ids never offered (an agent is not its own handoff target). */
  exclude?: string[];
  describe?: (agent: Agent) => string;
  readOnly: boolean;
  /** Whether the order means something (a template's agents) and can be changed. */
  ordered?: boolean;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const search = useSettled(text.trim());
  const results = useQuery({
    ...trpc.agents.list.queryOptions({ limit: 20, ...(search ? { search } : {}) }),
    enabled: open && !readOnly,
    placeholderData: keepPreviousData,
  });
  const offered = (results.data?.items ?? []).filter((agent) => !exclude.includes(agent.id));
  const chosen = new Set(value);
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');

  const add = (agent: Agent) => {
    if (chosen.has(agent.id)) return;
    onFound(agent);
    onChange([...value, agent.id]);
    // Ready for the next one.
    setText('');
    setActive(0);
  };
  const move = (index: number, by: number) => {
    const next = [...value];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    onChange(next);
  };
  const name = (agentId: string) => displayName(known.get(agentId), 'Loading…');

  return (
    <fieldset className="min-w-0 space-y-2">
      <legend className="text-sm font-medium text-zinc-800 dark:text-zinc-200">{label}</legend>
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-zinc-600 dark:text-zinc-400">
          {hint}
        </p>
      )}
      {value.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">None chosen.</p>
      ) : (
        <ol aria-label={`${label}: chosen`} className="space-y-1">
          {value.map((agentId, index) => {
            const agent = known.get(agentId);
            return (
              <li
                key={agentId}
                className="flex flex-wrap items-center gap-2 rounded-md border border-zinc-200 px-3 py-1.5 dark:border-zinc-800"
              >
                {ordered && (
                  <span className="w-5 text-xs text-zinc-600 dark:text-zinc-400">{index + 1}.</span>
                )}
                <span className="min-w-0 flex-1">
                  <span className="block truncate text-sm font-medium">{name(agentId)}</span>
                  {agent && describe && (
                    <span className="block text-xs text-zinc-600 dark:text-zinc-400">{describe(agent)}</span>
                  )}
                </span>
                {!readOnly && (
                  <span className="flex gap-1">
                    {ordered && (
                      <>
                        <Button
                          variant="ghost"
                          className="px-2 py-1"
                          aria-label={`Move ${name(agentId)} up`}
                          disabled={index === 0}
                          onClick={() => move(index, -1)}
                        >
                          <ArrowUp aria-hidden className="h-4 w-4" />
                        </Button>
                        <Button
                          variant="ghost"
                          className="px-2 py-1"
                          aria-label={`Move ${name(agentId)} down`}
                          disabled={index === value.length - 1}
                          onClick={() => move(index, 1)}
                        >
                          <ArrowDown aria-hidden className="h-4 w-4" />
                        </Button>
                      </>
                    )}
                    <Button
                      variant="ghost"
                      className="px-2 py-1"
                      aria-label={`Remove ${name(agentId)}`}
                      onClick={() => onChange(value.filter((item) => item !== agentId))}
                    >
                      <X aria-hidden className="h-4 w-4" />
                    </Button>
                  </span>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {!readOnly && (
        <div className="relative">
          <label htmlFor={`${id}-search`} className="sr-only">
            {`Add to ${label.toLowerCase()}: search agents by name`}
          </label>
          <input
            id={`${id}-search`}
            type="text"
            role="combobox"
            aria-expanded={open}
            aria-controls={`${id}-options`}
            aria-autocomplete="list"
            aria-invalid={Boolean(error)}
            aria-activedescendant={open && offered[active] ? `${id}-option-${offered[active].id}` : undefined}
            {...(describedBy ? { 'aria-describedby': describedBy } : {})}
            placeholder="Search agents to add…"
            autoComplete="off"
            value={text}
            className={inputClass}
            onFocus={() => setOpen(true)}
            onBlur={() => setTimeout(() => setOpen(false), 150)}
            onChange={(event) => {
              setText(event.target.value);
              setActive(0);
              setOpen(true);
            }}
            onKeyDown={(event) => {
              if (event.key === 'ArrowDown') {
                event.preventDefault();
                setOpen(true);
                setActive((current) => Math.min(current + 1, Math.max(offered.length - 1, 0)));
              } else if (event.key === 'ArrowUp') {
                event.preventDefault();
                setActive((current) => Math.max(current - 1, 0));
              } else if (event.key === 'Enter' && open && offered[active]) {
                event.preventDefault();
                add(offered[active]);
              } else if (event.key === 'Escape') {
                setOpen(false);
              }
            }}
          />
          {open && (
            <div
              id={`${id}-options`}
              role="listbox"
              aria-label="Matching agents"
              className="absolute z-20 mt-1 max-h-64 w-full overflow-y-auto rounded-md border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
            >
              {offered.map((agent, index) => (
                <div
                  key={agent.id}
                  id={`${id}-option-${agent.id}`}
                  role="option"
                  tabIndex={-1}
                  aria-selected={chosen.has(agent.id)}
                  className={cx(
                    'cursor-pointer rounded px-2 py-1.5 text-sm',
                    index === active && 'bg-indigo-50 dark:bg-indigo-950',
                  )}
                  onMouseDown={(event) => {
                    event.preventDefault();
                    add(agent);
                  }}
                  onMouseEnter={() => setActive(index)}
                >
                  <span className="font-medium">{agent.name}</span>
                  {chosen.has(agent.id) && <span className="text-zinc-600 dark:text-zinc-400"> · added</span>}
                  {describe && (
                    <span className="block text-xs text-zinc-600 dark:text-zinc-400">{describe(agent)}</span>
                  )}
                </div>
              ))}
              {offered.length === 0 && (
                <p className="px-2 py-1.5 text-sm text-zinc-600 dark:text-zinc-400">
                  {results.isFetching ? 'Searching…' : `No agent matches “${text.trim()}”.`}
                </p>
              )}
              {results.data?.nextCursor && (
                <p className="px-2 py-1.5 text-xs text-zinc-600 dark:text-zinc-400">
                  More agents match: type more of the name.
                </p>
              )}
            </div>
          )}
        </div>
      )}
      {error && (
        <p id={`${id}-error`} role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </fieldset>
  );
}
