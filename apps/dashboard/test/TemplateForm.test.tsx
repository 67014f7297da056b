import '@testing-library/jest-dom/vitest';
import type { Agent } from '@switchboard/client';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
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
  isActive: true,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const triage = agent('00000000-0000-4000-8000-000000000001', 'Triage', 'audio_only', []);
const coder = agent('00000000-0000-4000-8000-000000000002', 'Coder', 'audio_screenshare', ['coding_ide']);

describe('the template form applies the contract rules as the person edits', () => {
  it('offers only profiles that cover the chosen agents, and only panels they provide', () => {
    render(<TemplateForm agents={[triage, coder]} readOnly={false} onSubmit={vi.fn()} />);
    expect(screen.queryByRole('checkbox', { name: /^Coding IDE/ })).toBeNull();
    fireEvent.click(screen.getByRole('checkbox', { name: /^Coder/ }));
    expect(screen.getByRole('radio', { name: /^Audio \+ camera\s*Does not cover Coder/ })).toBeDisabled();
    expect(
      screen.getByRole('radio', { name: /^Audio \+ screen share\s*Covers every chosen agent/ }),
    ).toBeEnabled();
    expect(screen.getByRole('checkbox', { name: /^Coding IDE\s*Provided by Coder/ })).toBeInTheDocument();
    // The preview follows the form: the first chosen agent greets.
    expect(screen.getByRole('complementary', { name: 'Preview' })).toHaveTextContent('Greets firstCoder');
  });

  it('refuses a profile that does not cover an agent before anything is sent, on the field', async () => {
    const onSubmit = vi.fn();
    render(<TemplateForm agents={[triage, coder]} readOnly={false} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Interview' } });
    fireEvent.click(screen.getByRole('checkbox', { name: /^Coder/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Create template' }));
    expect(await screen.findByText(/This profile does not cover the media of: Coder/)).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('is read-only for a member: no control that writes', () => {
    render(<TemplateForm agents={[triage]} readOnly onSubmit={vi.fn()} />);
    expect(screen.queryByRole('button', { name: /Create|Save/ })).toBeNull();
    expect(screen.getByLabelText('Name')).toBeDisabled();
  });
});
