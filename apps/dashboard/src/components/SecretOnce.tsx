import { Button, CopyButton, inputClass, Notice } from './ui';

/** A secret the server shows this once (an API key's, a webhook's): select it, copy it, dismiss it. */
export function SecretOnce({
  id,
  of,
  secret,
  onStored,
}: {
  id: string;
  /** What it belongs to, as the person knows it (a key's name, an endpoint's URL). */
  of: string;
  secret: string;
  onStored: () => void;
}) {
  return (
    <div className="mb-6">
      <Notice tone="info">
        <p className="font-medium">The secret of “{of}”. You will not see it again: store it now.</p>
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <label htmlFor={id} className="sr-only">
            Secret of {of}
          </label>
          <input
            id={id}
            readOnly
            value={secret}
            className={`${inputClass} max-w-xl font-mono`}
            onFocus={(event) => event.target.select()}
          />
          <CopyButton text={secret} label="Copy secret" />
          <Button variant="ghost" onClick={onStored}>
            I have stored it
          </Button>
        </div>
      </Notice>
    </div>
  );
}
