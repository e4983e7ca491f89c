// A problem the page cannot hide: an alert, with Retry when trying again may help.

interface Props {
  message: string;
  onRetry: (() => void) | null;
}

export function Banner({ message, onRetry }: Props) {
  return (
    <div class="banner" role="alert">
      <p>{message}</p>
      {onRetry !== null && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
