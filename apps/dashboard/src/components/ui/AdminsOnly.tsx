import { EmptyState } from './EmptyState';
import { PageHeader } from './PageHeader';

/** A page a member cannot use: its heading, and who can. */
export function AdminsOnly({ title, what }: { title: string; what: string }) {
  return (
    <>
      <PageHeader title={title} />
      <EmptyState title={`Only admins ${what}`}>Ask an admin of your organization.</EmptyState>
    </>
  );
}
