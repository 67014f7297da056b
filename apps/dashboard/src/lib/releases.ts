import type { Agent, Release, RouterOutputs, SessionTemplate } from '@switchboard/client';
import { useQuery } from '@tanstack/react-query';
import { queryClient, trpc } from './api';
import { differences } from './history';

/** One template's entry of a promotion plan: what moving it from one release to another changes. */
export type ReleaseChange = RouterOutputs['deployments']['promote']['changes'][number];

/** An agent revision written before variables existed has none. */
const withVariables = (agent: Agent): Agent => ({ ...agent, variables: agent.variables ?? [] });

/**
 * What moving one template from the release `from` (null: nothing served yet) to `to` changes, in
 * the shape of a promotion plan's entry: its settings, and each agent whose version moves with the
 * fields that change. Read from the revisions, so it is exactly what a runtime will get.
 */
export function useReleaseChange(
  template: { id: string; name: string },
  from: Release | null,
  to: Release | null,
) {
  return useQuery({
    queryKey: ['releaseChange', template.id, from, to],
    enabled: to !== null,
    staleTime: Number.POSITIVE_INFINITY, // revisions never change
    queryFn: async (): Promise<ReleaseChange> => {
      const target = to!;
      // Revisions never change: each is fetched once and kept.
      const templateAt = (version: number) =>
        queryClient
          .fetchQuery({
            ...trpc.sessionTemplates.revision.queryOptions({ id: template.id, version }),
            staleTime: Number.POSITIVE_INFINITY,
          })
          .then((revision) => revision.snapshot as SessionTemplate);
      const agentAt = (id: string, version: number | undefined) =>
        version === undefined
          ? Promise.resolve(undefined)
          : queryClient
              .fetchQuery({
                ...trpc.agents.revision.queryOptions({ id, version }),
                staleTime: Number.POSITIVE_INFINITY,
              })
              .then((revision) => withVariables(revision.snapshot));
      const ids = [
        ...new Set([...Object.keys(from?.agentVersions ?? {}), ...Object.keys(target.agentVersions)]),
      ];
      const moved = ids.filter((id) => from?.agentVersions[id] !== target.agentVersions[id]);
      const [after, before, agents] = await Promise.all([
        templateAt(target.templateVersion),
        from ? templateAt(from.templateVersion) : Promise.resolve(undefined),
        Promise.all(
          moved.map(async (agentId) => {
            const fromVersion = from?.agentVersions[agentId];
            const toVersion = target.agentVersions[agentId];
            const [old, next] = await Promise.all([
              agentAt(agentId, fromVersion),
              agentAt(agentId, toVersion),
            ]);
            return {
              agentId,
              name: (next ?? old)?.name ?? agentId,
              fromVersion: fromVersion ?? null,
              toVersion: toVersion ?? null,
              fields: old && next ? differences('agent', old, next) : [],
            };
          }),
        ),
      ]);
      return {
        templateId: template.id,
        templateName: template.name,
        from,
        to: target,
        fields: before ? differences('sessionTemplate', before, after) : [],
        agents,
        endedCanary: null,
      };
    },
  });
}

/** "version 3" with its agents' versions, as a person reads a release. */
export function describeRelease(release: Release, nameOf: (id: string) => string): string {
  const agents = Object.entries(release.agentVersions)
    .map(([id, version]) => `${nameOf(id)} v${version}`)
    .join(', ');
  return `version ${release.templateVersion}${agents ? ` (${agents})` : ''}`;
}
