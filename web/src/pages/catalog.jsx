// The library: a grid of thumbnails, search as you type (diacritics
// optional), filters with facet counts, and more results on demand.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { register, t } from '../i18n.js';
import { Link, navigate, useLocation } from '../router.js';
import { formatDate } from '../format.js';
import { ErrorBox, Spinner, StateBadge, Thumb, useTitle } from '../components.jsx';

register({
  vi: {
    'catalog.title': 'Thư viện tài liệu truyền thông',
    'catalog.search': 'Tìm tài liệu',
    'catalog.placeholder': 'Ví dụ: nghi quyet 71 ap phich',
    'catalog.results': '{n} tài liệu',
    'catalog.empty': 'Không có tài liệu nào khớp.',
    'catalog.kind': 'Loại',
    'catalog.campaign': 'Chiến dịch',
    'catalog.tag': 'Thẻ',
    'catalog.level': 'Cấp học',
    'catalog.from': 'Từ ngày',
    'catalog.to': 'Đến ngày',
    'catalog.clear': 'Xoá bộ lọc',
    'catalog.filters': 'Bộ lọc',
  },
  en: {
    'catalog.title': 'Library of communication materials',
    'catalog.search': 'Search materials',
    'catalog.placeholder': 'For example: nghi quyet 71 poster',
    'catalog.results': '{n} materials',
    'catalog.empty': 'No material matches.',
    'catalog.kind': 'Kind',
    'catalog.campaign': 'Campaign',
    'catalog.tag': 'Tag',
    'catalog.level': 'Education level',
    'catalog.from': 'From',
    'catalog.to': 'To',
    'catalog.clear': 'Clear filters',
    'catalog.filters': 'Filters',
  },
});

const LEVELS = ['preschool', 'primary', 'lower_secondary', 'upper_secondary', 'continuing', 'vocational', 'higher'];
const FILTERS = ['kind', 'campaign', 'tag', 'level', 'from', 'to'];

function Facet({ name, label, facets, value, onPick, show = (v) => v }) {
  const items = facets || [];
  if (!items.length && !value) return null;
  return (
    <fieldset class="facet">
      <legend>{label}</legend>
      <ul>
        {items.map((f) => (
          <li key={f.value}>
            <button
              type="button"
              class={value === f.value ? 'chip on' : 'chip'}
              aria-pressed={value === f.value}
              data-facet={name}
              data-value={f.value}
              onClick={() => onPick(value === f.value ? '' : f.value)}
            >
              {show(f.value)} <span class="count">{f.count}</span>
            </button>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

export function CatalogPage({ user }) {
  useTitle(t('catalog.title'));
  const { query: params } = useLocation();
  const [q, setQ] = useState(params.get('q') || '');
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));
  const [page, setPage] = useState(null);
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);

  const setParam = (changes) => {
    const next = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    const s = next.toString();
    navigate(`${location.pathname}${s ? `?${s}` : ''}`, { replace: true });
  };

  const load = async (cursor) => {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const r = await get(`/api/v1/catalog${query({ q: params.get('q') || '', ...filters, limit: 24, cursor })}`);
      if (mine !== seq.current) return; // a newer search replaced this one
      setPage(r);
      setItems((prev) => (cursor ? [...prev, ...r.items] : r.items));
    } catch (e) {
      if (mine === seq.current) setError(e);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  };

  // Search as you type: the URL follows the box after a short pause.
  useEffect(() => {
    const id = setTimeout(() => {
      if ((params.get('q') || '') !== q) setParam({ q });
    }, 200);
    return () => clearTimeout(id);
  }, [q]);

  const key = location.search;
  useEffect(() => {
    load();
  }, [key]);

  const staff = user && (user.role === 'admin' || user.role === 'reviewer');
  return (
    <section>
      <h1>{t('catalog.title')}</h1>
      <form role="search" class="search" onSubmit={(e) => e.preventDefault()}>
        <label for="catalog-q" class="visually-hidden">{t('catalog.search')}</label>
        <input
          id="catalog-q"
          type="search"
          name="q"
          autocomplete="off"
          placeholder={t('catalog.placeholder')}
          value={q}
          onInput={(e) => setQ(e.target.value)}
        />
      </form>
      <div class="catalog">
        <aside aria-label={t('catalog.filters')}>
          <Facet name="kind" label={t('catalog.kind')} facets={page?.facets?.kind} value={filters.kind} onPick={(v) => setParam({ kind: v })} show={(v) => t(`kind.${v}`)} />
          <Facet name="campaign" label={t('catalog.campaign')} facets={page?.facets?.campaign} value={filters.campaign} onPick={(v) => setParam({ campaign: v })} />
          <Facet name="tag" label={t('catalog.tag')} facets={page?.facets?.tag} value={filters.tag} onPick={(v) => setParam({ tag: v })} />
          <label>
            {t('catalog.level')}
            <select name="level" value={filters.level} onChange={(e) => setParam({ level: e.target.value })}>
              <option value="">{t('common.all')}</option>
              {LEVELS.map((l) => (
                <option key={l} value={l}>{t(`level.${l}`)}</option>
              ))}
            </select>
          </label>
          <label>
            {t('catalog.from')}
            <input type="date" name="from" value={filters.from} onChange={(e) => setParam({ from: e.target.value })} />
          </label>
          <label>
            {t('catalog.to')}
            <input type="date" name="to" value={filters.to} onChange={(e) => setParam({ to: e.target.value })} />
          </label>
          {FILTERS.some((k) => filters[k]) && (
            <button type="button" class="link" onClick={() => setParam(Object.fromEntries(FILTERS.map((k) => [k, ''])))}>
              {t('catalog.clear')}
            </button>
          )}
        </aside>
        <div>
          <p class="muted" aria-live="polite">{page && t('catalog.results', { n: page.total })}</p>
          <ErrorBox error={error} onRetry={() => load()} />
          {page && !items.length && !loading && <p>{t('catalog.empty')}</p>}
          <ul class="grid">
            {items.map((a) => (
              <li key={a.id} class="tile">
                <Link href={`/assets/${a.id}`}>
                  <Thumb asset={a} version={a.version} alt="" />
                  <span class="title">{a.title}</span>
                </Link>
                <span class="meta">
                  {t(`kind.${a.kind}`)} · {formatDate(a.version?.reviewed?.at || a.created_at)}
                  {staff && a.version && <> · <StateBadge state={a.version.state} /></>}
                </span>
              </li>
            ))}
          </ul>
          {loading && <Spinner />}
          {page?.next_cursor && !loading && (
            <button type="button" onClick={() => load(page.next_cursor)}>
              {t('common.more')}
            </button>
          )}
        </div>
      </div>
    </section>
  );
}
