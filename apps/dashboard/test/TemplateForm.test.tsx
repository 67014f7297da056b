import '@testing-library/jest-dom/vitest';
import type { Agent } from '@switchboard/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render as renderInto, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TemplateForm } from '../src/components/TemplateForm';

afterEach(cleanup);

const agent = (id: string, name: string, modality: Agent['modality'], panels: Agent['panels']): Agent => ({
  id,
  organizationId: '00000000-0000-4000-8000-000000000000',
  name,
  instructions: 'i',
  model: 'gpt-4.1-mini',
  voice: null,
  handoffTargets: [],
  tools: [],
  modality,
  panels,
  variables: [],
  isActive: true,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
/** The form reads the server through TanStack Query (the agent search): give it a client. */
function render(ui: ReactNode) {
  return renderInto(<QueryClientProvider client={new QueryClient()}>{ui}</QueryClientProvider>);
}

const template = (
  agentIds: string[],
  modalityProfile: 'audio_only' | 'audio_screenshare' = 'audio_only',
) => ({
  id: '00000000-0000-4000-8000-0000000000aa',
  organizationId: '00000000-0000-4000-8000-000000000000',
  name: 'Interview',
  description: null,
  agentIds,
  initialAgentId: null,
  modalityProfile,
  enabledPanels: [],
  maxDurationSeconds: null,
  idleTimeoutSeconds: 300,
  isActive: true,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const triage = agent('00000000-0000-4000-8000-000000000001', 'Triage', 'audio_only', []);
const coder = agent('00000000-0000-4000-8000-000000000002', 'Coder', 'audio_screenshare', ['coding_ide']);
const known = new Map([triage, coder].map((item) => [item.id, item]));

describe('the template form applies the contract rules as the person edits', () => {
  it('offers only profiles that cover the chosen agents, and only panels they provide', () => {
    render(
      <TemplateForm template={template([triage.id])} agents={known} readOnly={false} onSubmit={vi.fn()} />,
    );
    expect(screen.queryByRole('checkbox', { name: /^Coding IDE/ })).toBeNull();
    cleanup();
    render(
      <TemplateForm
        template={template([triage.id, coder.id], 'audio_screenshare')}
        agents={known}
        readOnly={false}
        onSubmit={vi.fn()}
      />,
    );
    expect(screen.getByRole('radio', { name: /^Audio \+ camera\s*Does not cover Coder/ })).toBeDisabled();
    expect(
      screen.getByRole('radio', { name: /^Audio \+ screen share\s*Covers every chosen agent/ }),
    ).toBeEnabled();
    expect(screen.getByRole('checkbox', { name: /^Coding IDE\s*Provided by Coder/ })).toBeInTheDocument();
    // The preview follows the form: the first chosen agent greets.
    expect(screen.getByRole('complementary', { name: 'Preview' })).toHaveTextContent('Greets firstTriage');
  });

  it('lists the chosen agents in order; reorders and removes them with buttons, and says when the greeter resets', () => {
    render(
      <TemplateForm
        template={{ ...template([triage.id, coder.id], 'audio_screenshare'), initialAgentId: coder.id }}
        agents={known}
        readOnly={false}
        onSubmit={vi.fn()}
      />,
    );
    const chosen = () =>
      within(screen.getByRole('list', { name: 'Agents in the session: chosen' }))
        .getAllByRole('listitem')
        .map((item) => item.textContent);
    expect(chosen()).toEqual([expect.stringContaining('Triage'), expect.stringContaining('Coder')]);
    fireEvent.click(screen.getByRole('button', { name: 'Move Coder up' }));
    expect(chosen()).toEqual([expect.stringContaining('Coder'), expect.stringContaining('Triage')]);
    fireEvent.click(screen.getByRole('button', { name: 'Remove Coder' }));
    expect(chosen()).toEqual([expect.stringContaining('Triage')]);
    expect(
      screen.getByText(/Coder left the session: Triage \(the first agent\) greets first now/),
    ).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: /search agents by name/ })).toBeInTheDocument();
  });

  it('refuses a profile that does not cover an agent before anything is sent, on the field', async () => {
    const onSubmit = vi.fn();
    render(
      <TemplateForm template={template([coder.id])} agents={known} readOnly={false} onSubmit={onSubmit} />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText(/This profile does not cover the media of: Coder/)).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('is read-only for a member: no control that writes', () => {
    render(<TemplateForm template={template([triage.id])} agents={known} readOnly onSubmit={vi.fn()} />);
    expect(screen.queryByRole('button', { name: /Create|Save|Remove|Move/ })).toBeNull();
    expect(screen.queryByPlaceholderText('Search agents to add…')).toBeNull();
  });
});
