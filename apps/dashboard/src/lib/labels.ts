import type {
  AgentModality,
  AuditAction,
  ModalityProfile,
  PanelType,
  ReleaseRecordAction,
} from '@switchboard/client';

/** How the contract's enum values read to a person. */
export const PROFILE_LABELS: Record<ModalityProfile, string> = {
  audio_only: 'Audio only',
  audio_camera: 'Audio + camera',
  audio_screenshare: 'Audio + screen share',
  audio_camera_screenshare: 'Audio + camera + screen share',
};

export const MODALITY_LABELS: Record<AgentModality, string> = {
  audio_only: 'Audio only',
  audio_camera: 'Needs the camera',
  audio_screenshare: 'Needs screen share',
};

export const PANEL_LABELS: Record<PanelType, string> = {
  slide_presenter: 'Slide presenter',
  notepad: 'Notepad',
  coding_ide: 'Coding IDE',
  whiteboard: 'Whiteboard',
  document_viewer: 'Document viewer',
};

/** What the end-user's browser may publish under a profile: the contract's own answer. */
export { profileMedia as mediaOf } from '@switchboard/contract/enums';

/** A duration in seconds as a person reads it. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return 'No limit';
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Every audit action as a person reads it (the code stays in the URL and the API). */
export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  'agent.created': 'Agent created',
  'agent.cloned': 'Agent cloned',
  'agent.updated': 'Agent updated',
  'agent.deleted': 'Agent deleted',
  'agent.restored': 'Agent restored',
  'agent.imported': 'Agent imported',
  'sessionTemplate.created': 'Template created',
  'sessionTemplate.cloned': 'Template cloned',
  'sessionTemplate.updated': 'Template updated',
  'sessionTemplate.deleted': 'Template deleted',
  'sessionTemplate.restored': 'Template restored',
  'sessionTemplate.imported': 'Template imported',
  'member.added': 'Member added',
  'member.updated': 'Member updated',
  'apiKey.created': 'API key created',
  'apiKey.revoked': 'API key revoked',
  'config.imported': 'Bundle imported',
  'environment.created': 'Environment created',
  'environment.updated': 'Environment updated',
  'environment.deleted': 'Environment deleted',
  'deployment.deployed': 'Deployed',
  'deployment.promoted': 'Promoted',
  'deployment.canaryPromoted': 'Canary promoted',
  'deployment.canaryAborted': 'Canary aborted',
  'deployment.undeployed': 'Undeployed',
  'deployment.rolledBack': 'Rolled back',
  'deployment.canaryRamped': 'Canary share changed',
  'deployment.guardChanged': 'Canary guard changed',
  'webhook.created': 'Webhook created',
  'webhook.updated': 'Webhook updated',
  'webhook.deleted': 'Webhook deleted',
  'webhook.disabled': 'Webhook disabled',
  'webhook.secretRotated': 'Webhook secret rotated',
};

/** What a release record did, as a person reads it. */
export const RELEASE_ACTION_LABELS: Record<ReleaseRecordAction, string> = {
  deployed: 'Deployed',
  canaryStarted: 'Canary started',
  canaryRamped: 'Canary share changed',
  canaryPromoted: 'Canary promoted',
  canaryAborted: 'Canary aborted',
  rolledBack: 'Rolled back',
  promoted: 'Promoted',
  undeployed: 'Undeployed',
  pinned: 'Pinned (stopped following latest)',
  followedLatest: 'Follows latest',
};
