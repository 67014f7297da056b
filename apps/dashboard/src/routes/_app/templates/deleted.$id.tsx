import { createFileRoute } from '@tanstack/react-router';
import { DeletedEntity } from '../../../components/DeletedEntity';

export const Route = createFileRoute('/_app/templates/deleted/$id')({
  component: () => <DeletedEntity kind="sessionTemplate" id={Route.useParams().id} />,
});
