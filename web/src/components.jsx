// Small pieces every page uses.
import { useEffect } from 'preact/hooks';
import { t } from './i18n.js';

// Sets the document title: "<page> · Kho tài liệu truyền thông".
export function useTitle(title) {
  useEffect(() => {
    document.title = title ? `${title} · ${t('app.name')}` : t('app.name');
  }, [title]);
}

export function Spinner() {
  return <p class="muted" role="status" aria-live="polite">{t('common.loading')}</p>;
}

export function ErrorBox({ error, onRetry }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{t('common.error')}:</strong> {error.message || String(error)}
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function StateBadge({ state }) {
  return <span class={`badge state-${state}`}>{t(`state.${state}`)}</span>;
}

// A thumbnail of a version, or a placeholder while it is being made.
export function Thumb({ asset, version, alt }) {
  const made = version?.renditions?.some((r) => r.name === 'thumb' && r.sha256);
  if (!made) return <div class="thumb placeholder" aria-hidden="true">{t(`kind.${asset.kind}`)}</div>;
  return (
    <img
      class="thumb"
      loading="lazy"
      alt={alt ?? asset.title}
      src={`/api/v1/assets/${asset.id}/versions/${version.number}/renditions/thumb`}
    />
  );
}
