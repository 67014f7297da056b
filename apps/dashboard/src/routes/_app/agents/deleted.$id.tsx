import { createFileRoute } from '@tanstack/react-router';
import { DeletedEntity } from '../../../components/DeletedEntity';

export const Route = createFileRoute('/_app/agents/deleted/$id')({
  component: () => <DeletedEntity kind="agent" id={Route.useParams().id} />,
});
