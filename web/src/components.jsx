// Small pieces every page uses.
import { useEffect, useRef, useState } from 'preact/hooks';
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

// A list read page by page (the API's `next_cursor`): `fetchPage(cursor)`
// answers {items, next_cursor}; the list starts again from its first page
// when `deps` change, and only the newest request's answer is kept.
export function usePagedList(fetchPage, deps) {
  const [items, setItems] = useState([]);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(true);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState(null);
  const seq = useRef(0);
  const load = async (cursor) => {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const r = await fetchPage(cursor);
      if (mine !== seq.current) return;
      setItems((prev) => (cursor ? [...prev, ...r.items] : r.items));
      setNext(r.next_cursor);
      setLoaded(true);
    } catch (e) {
      if (mine === seq.current) setError(e);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, deps);
  return { items, setItems, next, loading, loaded, error, load };
}

// The spinner while a page loads, else "Xem thêm" when there is one more.
export function MoreButton({ list }) {
  if (list.loading) return <Spinner />;
  if (!list.next) return null;
  return (
    <button type="button" onClick={() => list.load(list.next)}>
      {t('common.more')}
    </button>
  );
}
