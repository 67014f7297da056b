/** `If-None-Match`: `*`, or a list of tags, weak (`W/"…"`) or strong, one of which is `etag` (quoted). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}
