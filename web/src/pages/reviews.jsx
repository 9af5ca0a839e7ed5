// The review queue: versions waiting for a decision, oldest submission
// first, each opening the asset page with the review panel.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { register, t } from '../i18n.js';
import { Link } from '../router.js';
import { formatDateTime, formatSize } from '../format.js';
import { ErrorBox, MoreButton, Spinner, Thumb, usePagedList, useTitle } from '../components.jsx';
import { usePeople } from './review_panel.jsx';

register({
  vi: {
    'reviews.title': 'Hàng chờ duyệt',
    'reviews.intro': 'Các tài liệu đã gửi duyệt, cũ nhất trước.',
    'reviews.count': '{n} tài liệu chờ duyệt',
    'reviews.count.more': 'Hơn {n} tài liệu chờ duyệt',
    'reviews.empty': 'Không có tài liệu nào chờ duyệt.',
    'reviews.version': 'Phiên bản {n}',
    'reviews.by': 'Gửi bởi {who}',
    'reviews.at': 'lúc {at}',
    'reviews.waited.today': 'gửi hôm nay',
    'reviews.waited.days': 'đã chờ {n} ngày',
    'reviews.refresh': 'Tải lại',
  },
  en: {
    'reviews.title': 'Review queue',
    'reviews.intro': 'Materials submitted for review, oldest first.',
    'reviews.count': '{n} materials waiting for review',
    'reviews.count.more': 'More than {n} materials waiting for review',
    'reviews.empty': 'Nothing is waiting for review.',
    'reviews.version': 'Version {n}',
    'reviews.by': 'Submitted by {who}',
    'reviews.at': 'at {at}',
    'reviews.waited.today': 'submitted today',
    'reviews.waited.days': 'waiting for {n} days',
    'reviews.refresh': 'Refresh',
  },
});

function waited(iso) {
  const days = Math.floor((Date.now() - Date.parse(iso)) / 86400000);
  return days < 1 ? t('reviews.waited.today') : t('reviews.waited.days', { n: days });
}

export function ReviewsPage({ user }) {
  useTitle(t('reviews.title'));
  const list = usePagedList((cursor) => get(`/api/v1/reviews${query({ limit: 50, cursor })}`), []);
  const { items, next, loaded, loading, error, load } = list;

  const who = usePeople(items.map((a) => a.version?.submitted?.by), user);

  // The queue's versions come without their renditions: ask for them, for
  // the thumbnails.
  const [renditions, setRenditions] = useState({});
  const asked = useRef(new Set());
  useEffect(() => {
    for (const a of items) {
      const key = `${a.id}/${a.version.number}`;
      if (a.version.renditions || asked.current.has(key)) continue;
      asked.current.add(key);
      get(`/api/v1/assets/${a.id}/versions/${a.version.number}/renditions`)
        .then((r) => setRenditions((prev) => ({ ...prev, [key]: r.items })))
        .catch(() => asked.current.delete(key));
    }
  }, [items]);

  return (
    <section class="reviews-page">
      <div class="row reviews-head">
        <h1>{t('reviews.title')}</h1>
        <button type="button" class="reviews-refresh" onClick={() => load()} disabled={loading}>{t('reviews.refresh')}</button>
      </div>
      <p class="muted">{t('reviews.intro')}</p>
      <p aria-live="polite" class="reviews-count">
        {loaded && (items.length ? t(next ? 'reviews.count.more' : 'reviews.count', { n: items.length }) : t('reviews.empty'))}
      </p>
      <ErrorBox error={error} onRetry={() => load()} />
      <ol class="reviews-list">
        {items.map((a) => {
          const v = a.version.renditions ? a.version : { ...a.version, renditions: renditions[`${a.id}/${a.version.number}`] || [] };
          const href = `/assets/${a.id}?v=${v.number}`;
          return (
            <li key={`${a.id}/${v.number}`} class="reviews-item" data-asset={a.id}>
              <Thumb asset={a} version={v} alt="" />
              <div class="reviews-body">
                <h2 class="reviews-title">
                  <Link href={href}>{a.title}</Link>
                </h2>
                <p class="reviews-meta">
                  <span class="badge reviews-kind">{t(`kind.${a.kind}`)}</span>{' '}
                  {t('reviews.version', { n: v.number })} · {formatSize(v.size)}
                  {a.campaign && <> · {a.campaign}</>}
                </p>
                {v.submitted && (
                  <p class="muted reviews-submitted">
                    {t('reviews.by', { who: who(v.submitted.by) })}{' '}
                    {t('reviews.at', { at: formatDateTime(v.submitted.at) })} · {waited(v.submitted.at)}
                  </p>
                )}
              </div>
            </li>
          );
        })}
      </ol>
      <MoreButton list={list} />
    </section>
  );
}
