import { Copy } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from './Button';

/** Copies text to the clipboard and says so. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  return (
    <Button
      variant="secondary"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          toast.success('Copied');
        } catch {
          toast.error('The browser refused the clipboard; select the text and copy it');
        }
      }}
    >
      <Copy aria-hidden className="h-4 w-4" /> {label}
    </Button>
  );
}
