// The ministry's dashboard of downloads: a period, downloads per day, per
// province, per education level, the most downloaded materials, the
// approved materials a province has not downloaded and the units that
// downloaded nothing. Every chart is drawn as inline SVG from computed
// attributes (the CSP forbids style attributes) and comes with its numbers
// in a table; every report has its CSV export for Excel.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { register, t } from '../i18n.js';
import { Link, navigate, useLocation } from '../router.js';
import { formatNumber, formatSize, isoDay } from '../format.js';
import { ErrorBox, Spinner, useTitle } from '../components.jsx';

register({
  vi: {
    'reports.title': 'Báo cáo tải xuống',
    'reports.period': 'Kỳ báo cáo',
    'reports.from': 'Từ ngày',
    'reports.to': 'Đến ngày',
    'reports.last30': '30 ngày gần nhất',
    'reports.badperiod': 'Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.',
    'reports.range': 'Từ {from} đến {to}',
    'reports.total': 'Lượt tải xuống',
    'reports.complete': 'Tải trọn vẹn',
    'reports.bytes': 'Dung lượng',
    'reports.csv': 'Xuất CSV',
    'reports.csv.label': 'Xuất CSV: {what}',
    'reports.table': 'Xem bảng số liệu',
    'reports.day': 'Lượt tải xuống theo ngày',
    'reports.day.col': 'Ngày',
    'reports.day.aria': 'Biểu đồ cột lượt tải xuống theo ngày, từ {from} đến {to}: tổng {total} lượt; nhiều nhất {max} lượt ngày {maxday}.',
    'reports.day.aria0': 'Biểu đồ cột lượt tải xuống theo ngày, từ {from} đến {to}: không có lượt tải xuống nào.',
    'reports.day.bar': '{day}: {n} lượt tải xuống',
    'reports.province': 'Theo tỉnh, thành phố',
    'reports.province.col': 'Tỉnh, thành phố',
    'reports.province.none': 'Không thuộc tỉnh, thành phố nào (Bộ, báo chí, liên kết chia sẻ)',
    'reports.level': 'Theo cấp học',
    'reports.level.col': 'Cấp học',
    'reports.level.none': 'Không có cấp học (Sở, Bộ, báo chí, liên kết chia sẻ)',
    'reports.top': 'Tài liệu được tải xuống nhiều nhất',
    'reports.top.col': 'Tài liệu',
    'reports.nodata': 'Chưa có lượt tải xuống nào trong kỳ này.',
    'reports.coverage': 'Độ phủ theo tỉnh, thành phố',
    'reports.coverage.pick': 'Tỉnh, thành phố',
    'reports.coverage.all': 'Tất cả tỉnh, thành phố',
    'reports.missing': 'Tài liệu đã duyệt mà {province} chưa tải xuống',
    'reports.missing.choose': 'Chọn một tỉnh, thành phố để xem những tài liệu đã duyệt mà chưa đơn vị nào của tỉnh đó tải xuống trong kỳ.',
    'reports.missing.progress': 'Đang kiểm tra {done}/{total} tài liệu…',
    'reports.missing.count': '{n}/{total} tài liệu đã duyệt chưa được {province} tải xuống trong kỳ.',
    'reports.missing.none': 'Mọi tài liệu đã duyệt đều đã được {province} tải xuống trong kỳ.',
    'reports.missing.kind': 'Loại',
    'reports.idle': 'Đơn vị chưa tải tài liệu nào',
    'reports.idle.summary': '{done}/{total} đơn vị đã tải xuống ít nhất một tài liệu; {idle} đơn vị chưa tải tài liệu nào.',
    'reports.idle.units': 'Số đơn vị',
    'reports.idle.downloaded': 'Đã tải',
    'reports.idle.notdownloaded': 'Chưa tải',
    'reports.idle.list': 'Các đơn vị chưa tải tài liệu nào',
    'reports.idle.code': 'Mã',
    'reports.idle.name': 'Đơn vị',
    'reports.idle.more': 'Còn {n} đơn vị nữa: xem đủ trong tệp CSV.',
    'reports.idle.none': 'Đơn vị nào cũng đã tải xuống ít nhất một tài liệu.',
    'reports.deleted': '(đã xoá)',
  },
  en: {
    'reports.title': 'Download reports',
    'reports.period': 'Reporting period',
    'reports.from': 'From',
    'reports.to': 'To',
    'reports.last30': 'Last 30 days',
    'reports.badperiod': 'The start date must not be after the end date.',
    'reports.range': 'From {from} to {to}',
    'reports.total': 'Downloads',
    'reports.complete': 'Complete',
    'reports.bytes': 'Volume',
    'reports.csv': 'Export CSV',
    'reports.csv.label': 'Export CSV: {what}',
    'reports.table': 'Show the numbers',
    'reports.day': 'Downloads per day',
    'reports.day.col': 'Day',
    'reports.day.aria': 'Bar chart of downloads per day, {from} to {to}: {total} in total; at most {max} on {maxday}.',
    'reports.day.aria0': 'Bar chart of downloads per day, {from} to {to}: no downloads.',
    'reports.day.bar': '{day}: {n} downloads',
    'reports.province': 'By province or city',
    'reports.province.col': 'Province or city',
    'reports.province.none': 'No province (the Ministry, the press, share links)',
    'reports.level': 'By education level',
    'reports.level.col': 'Education level',
    'reports.level.none': 'No education level (departments, the Ministry, the press, share links)',
    'reports.top': 'Most downloaded materials',
    'reports.top.col': 'Material',
    'reports.nodata': 'No downloads in this period.',
    'reports.coverage': 'Coverage by province',
    'reports.coverage.pick': 'Province or city',
    'reports.coverage.all': 'All provinces',
    'reports.missing': 'Approved materials {province} has not downloaded',
    'reports.missing.choose': 'Pick a province to see the approved materials no unit of that province downloaded in the period.',
    'reports.missing.progress': 'Checking {done}/{total} materials…',
    'reports.missing.count': '{n} of {total} approved materials not downloaded by {province} in the period.',
    'reports.missing.none': '{province} downloaded every approved material in the period.',
    'reports.missing.kind': 'Kind',
    'reports.idle': 'Units that downloaded nothing',
    'reports.idle.summary': '{done} of {total} units downloaded at least one material; {idle} units downloaded nothing.',
    'reports.idle.units': 'Units',
    'reports.idle.downloaded': 'Downloaded',
    'reports.idle.notdownloaded': 'Nothing',
    'reports.idle.list': 'Units that downloaded nothing',
    'reports.idle.code': 'Code',
    'reports.idle.name': 'Unit',
    'reports.idle.more': '{n} more units: see them all in the CSV file.',
    'reports.idle.none': 'Every unit downloaded at least one material.',
    'reports.deleted': '(deleted)',
  },
});

const DAY_MS = 86400000;
const IDLE_ROWS = 200;

// "2026-11-26" → "26/11/2026"; "26/11" when short.
function dayLabel(key, short = false) {
  const [y, m, d] = key.split('-');
  return short ? `${d}/${m}` : `${d}/${m}/${y}`;
}

function defaultPeriod() {
  const to = isoDay();
  const from = isoDay(new Date(Date.now() - 29 * DAY_MS));
  return { from, to };
}

// GET url as JSON; reloads when url changes; a newer answer wins.
function useReport(url) {
  const [state, setState] = useState({ data: null, error: null, loading: !!url });
  const seq = useRef(0);
  const load = () => {
    const mine = ++seq.current;
    if (!url) return setState({ data: null, error: null, loading: false });
    setState((s) => ({ ...s, loading: true, error: null }));
    get(url).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error) => mine === seq.current && setState({ data: null, error, loading: false }),
    );
  };
  useEffect(load, [url]);
  return { ...state, reload: load };
}

function CsvLink({ href, what }) {
  return (
    <a class="reports-csv" href={href} download aria-label={t('reports.csv.label', { what })}>
      {t('reports.csv')}
    </a>
  );
}

function Panel({ id, title, csv, children }) {
  return (
    <section class="card reports-panel" aria-labelledby={id}>
      <div class="reports-panelhead">
        <h2 id={id}>{title}</h2>
        {csv && <CsvLink href={csv} what={title} />}
      </div>
      {children}
    </section>
  );
}

// A step of 1, 2 or 5 × 10^k that divides max into about four parts.
function niceStep(max) {
  const raw = Math.max(1, max / 4);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

// The chart is drawn at the width it is shown at, so its text stays legible
// on a phone as on a desktop.
function useWidth(initial) {
  const ref = useRef(null);
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    if (!ref.current || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver(([e]) => {
      const w = Math.round(e.contentRect.width);
      if (w > 0) setWidth(w);
    });
    ro.observe(ref.current);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

function DayChart({ report }) {
  const items = report.items;
  const [box, width] = useWidth(720);
  const W = Math.max(240, width);
  const H = 220;
  const left = 44;
  const right = 20;
  const top = 12;
  const bottom = 28;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const max = Math.max(0, ...items.map((i) => i.downloads));
  const step = niceStep(max);
  const ceil = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let v = 0; v <= ceil; v += step) ticks.push(v);
  const bw = plotW / Math.max(1, items.length);
  const every = Math.max(1, Math.ceil(items.length / Math.max(2, Math.floor(plotW / 64))));
  const busiest = items.reduce((a, b) => (b.downloads > (a?.downloads ?? -1) ? b : a), null);
  const aria = !max
    ? t('reports.day.aria0', { from: dayLabel(report.from), to: dayLabel(report.to) })
    : t('reports.day.aria', {
    from: dayLabel(report.from),
    to: dayLabel(report.to),
    total: formatNumber(report.totals.downloads),
    max: formatNumber(max),
    maxday: busiest ? dayLabel(busiest.key) : '',
  });
  const y = (v) => top + plotH - (v / ceil) * plotH;
  return (
    <div ref={box} class="reports-chartbox">
    <svg class="reports-daychart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={aria}>
      {ticks.map((v) => (
        <g key={v}>
          <line class="reports-grid" x1={left} x2={W - right} y1={y(v)} y2={y(v)} />
          <text class="reports-axis" x={left - 6} y={y(v) + 4} text-anchor="end">
            {formatNumber(v)}
          </text>
        </g>
      ))}
      {items.map((it, i) => {
        const h = (it.downloads / ceil) * plotH;
        return (
          <g key={it.key}>
            {it.downloads > 0 && (
              <rect class="reports-bar-day" x={left + i * bw + bw * 0.15} y={top + plotH - h} width={Math.max(1, bw * 0.7)} height={h}>
                <title>{t('reports.day.bar', { day: dayLabel(it.key), n: formatNumber(it.downloads) })}</title>
              </rect>
            )}
            {(items.length - 1 - i) % every === 0 && (
              <text class="reports-axis" x={left + i * bw + bw / 2} y={H - 8} text-anchor="middle">
                {dayLabel(it.key, true)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
    </div>
  );
}

function DayPanel({ period }) {
  const params = { group_by: 'day', from: period.from, to: period.to };
  const r = useReport(`/api/v1/reports/downloads${query(params)}`);
  const d = r.data;
  return (
    <Panel id="reports-day" title={t('reports.day')} csv={`/api/v1/reports/downloads${query({ ...params, format: 'csv' })}`}>
      <ErrorBox error={r.error} onRetry={r.reload} />
      {r.loading && !d && <Spinner />}
      {d && (
        <>
          <dl class="reports-totals">
            <div>
              <dt>{t('reports.total')}</dt>
              <dd data-total="downloads">{formatNumber(d.totals.downloads)}</dd>
            </div>
            <div>
              <dt>{t('reports.complete')}</dt>
              <dd data-total="complete">{formatNumber(d.totals.complete)}</dd>
            </div>
            <div>
              <dt>{t('reports.bytes')}</dt>
              <dd data-total="bytes">{formatSize(d.totals.bytes)}</dd>
            </div>
          </dl>
          <DayChart report={d} />
          <details class="reports-details">
            <summary>{t('reports.table')}</summary>
            <table class="reports-table">
              <caption class="visually-hidden">{t('reports.day')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('reports.day.col')}</th>
                  <th scope="col" class="reports-num">{t('reports.total')}</th>
                  <th scope="col" class="reports-num">{t('reports.complete')}</th>
                  <th scope="col" class="reports-num">{t('reports.bytes')}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((it) => (
                  <tr key={it.key} data-key={it.key}>
                    <th scope="row">{dayLabel(it.key)}</th>
                    <td class="reports-num">{formatNumber(it.downloads)}</td>
                    <td class="reports-num">{formatNumber(it.complete)}</td>
                    <td class="reports-num">{formatSize(it.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </Panel>
  );
}

// Horizontal bars drawn inside a table: each row names the group, draws its
// bar (SVG, hidden from screen readers) and gives the numbers as text.
function BarTable({ title, nameCol, items, name }) {
  const max = Math.max(1, ...items.map((i) => i.downloads));
  return (
    <div class="reports-scroll">
      <table class="reports-table reports-bars">
        <caption class="visually-hidden">{title}</caption>
        <thead>
          <tr>
            <th scope="col">{nameCol}</th>
            <th scope="col" class="reports-barcol">
              <span class="visually-hidden">{t('reports.total')}</span>
            </th>
            <th scope="col" class="reports-num">{t('reports.total')}</th>
            <th scope="col" class="reports-num reports-extra">{t('reports.complete')}</th>
            <th scope="col" class="reports-num reports-extra">{t('reports.bytes')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((it) => (
            <tr key={it.key} data-key={it.key}>
              <th scope="row">{name(it)}</th>
              <td class="reports-barcol">
                <svg class="reports-hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                  <rect class="reports-hbar-track" x="0" y="0" width="100" height="10" />
                  <rect class="reports-hbar-fill" x="0" y="0" width={(100 * it.downloads) / max} height="10" />
                </svg>
              </td>
              <td class="reports-num" data-col="downloads">{formatNumber(it.downloads)}</td>
              <td class="reports-num reports-extra">{formatNumber(it.complete)}</td>
              <td class="reports-num reports-extra">{formatSize(it.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GroupPanel({ id, group, limit, title, nameCol, name, period }) {
  const params = { group_by: group, from: period.from, to: period.to, limit };
  const r = useReport(`/api/v1/reports/downloads${query(params)}`);
  const d = r.data;
  return (
    <Panel id={id} title={title} csv={`/api/v1/reports/downloads${query({ ...params, format: 'csv' })}`}>
      <ErrorBox error={r.error} onRetry={r.reload} />
      {r.loading && !d && <Spinner />}
      {d && !d.items.length && <p class="muted">{t('reports.nodata')}</p>}
      {d && d.items.length > 0 && <BarTable title={title} nameCol={nameCol} items={d.items} name={name} />}
    </Panel>
  );
}

// The approved materials that no unit of `province` downloaded in the
// period. Materials nobody downloaded at all need no question; for the
// others, the coverage report of that material in that province answers.
function MissingMaterials({ province, period }) {
  const [state, setState] = useState({ phase: 'idle' });
  const seq = useRef(0);
  const run = () => {
    const mine = ++seq.current;
    if (!province) return setState({ phase: 'idle' });
    const live = () => mine === seq.current;
    setState({ phase: 'loading', done: 0, total: 0 });
    (async () => {
      const approved = [];
      let cursor;
      do {
        const page = await get(`/api/v1/catalog${query({ state: 'approved', limit: 100, cursor })}`);
        approved.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && live());
      const byAsset = await get(`/api/v1/reports/downloads${query({ group_by: 'asset', from: period.from, to: period.to })}`);
      if (!live()) return;
      const counts = new Map(byAsset.items.map((i) => [i.key, i.downloads]));
      const missing = new Set();
      const queue = [...approved];
      let done = 0;
      const worker = async () => {
        while (queue.length && live()) {
          const a = queue.shift();
          let none = true;
          if ((counts.get(a.id) || 0) > 0) {
            const c = await get(`/api/v1/reports/coverage${query({ asset: a.id, province, from: period.from, to: period.to })}`);
            none = !(c.units_downloaded > 0);
          }
          if (none) missing.add(a.id);
          done++;
          if (live()) setState({ phase: 'loading', done, total: approved.length });
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      if (live()) setState({ phase: 'done', total: approved.length, items: approved.filter((a) => missing.has(a.id)) });
    })().catch((error) => live() && setState({ phase: 'error', error }));
  };
  useEffect(run, [province, period.from, period.to]);

  const title = province ? t('reports.missing', { province }) : t('reports.missing', { province: '…' });
  return (
    <section class="reports-sub" aria-labelledby="reports-missing" aria-busy={state.phase === 'loading'}>
      <h3 id="reports-missing">{title}</h3>
      {state.phase === 'idle' && <p class="muted">{t('reports.missing.choose')}</p>}
      {state.phase === 'loading' && (
        <p class="muted" role="status">
          {t('reports.missing.progress', { done: formatNumber(state.done), total: formatNumber(state.total) })}
        </p>
      )}
      {state.phase === 'error' && <ErrorBox error={state.error} onRetry={run} />}
      {state.phase === 'done' && (
        <>
          <p role="status">
            {state.items.length
              ? t('reports.missing.count', { n: formatNumber(state.items.length), total: formatNumber(state.total), province })
              : t('reports.missing.none', { province })}
          </p>
          {state.items.length > 0 && (
            <ul class="reports-missing">
              {state.items.map((a) => (
                <li key={a.id} data-asset={a.id}>
                  <Link href={`/assets/${a.id}`}>{a.title}</Link> <span class="muted">· {t(`kind.${a.kind}`)}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function IdleUnits({ coverage, province, csv }) {
  const provinces = coverage.provinces.filter((p) => !province || p.province === province);
  const idle = provinces.flatMap((p) => p.not_downloaded.map((u) => ({ ...u, province: p.province })));
  const total = provinces.reduce((s, p) => s + p.units, 0);
  const done = provinces.reduce((s, p) => s + p.units_downloaded, 0);
  const provinceName = (p) => p || t('reports.province.none');
  return (
    <section class="reports-sub" aria-labelledby="reports-idle">
      <div class="reports-panelhead">
        <h3 id="reports-idle">{t('reports.idle')}</h3>
        <CsvLink href={csv} what={t('reports.idle')} />
      </div>
      <p>{t('reports.idle.summary', { done: formatNumber(done), total: formatNumber(total), idle: formatNumber(total - done) })}</p>
      <div class="reports-scroll">
        <table class="reports-table" data-table="coverage">
          <caption class="visually-hidden">{t('reports.coverage')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('reports.province.col')}</th>
              <th scope="col" class="reports-barcol reports-extra">
                <span class="visually-hidden">{t('reports.idle.downloaded')}</span>
              </th>
              <th scope="col" class="reports-num">{t('reports.idle.units')}</th>
              <th scope="col" class="reports-num">{t('reports.idle.downloaded')}</th>
              <th scope="col" class="reports-num">{t('reports.idle.notdownloaded')}</th>
            </tr>
          </thead>
          <tbody>
            {provinces.map((p) => (
              <tr key={p.province} data-key={p.province}>
                <th scope="row">{provinceName(p.province)}</th>
                <td class="reports-barcol reports-extra">
                  <svg class="reports-hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                    <rect class="reports-hbar-track" x="0" y="0" width="100" height="10" />
                    <rect class="reports-hbar-fill" x="0" y="0" width={p.units ? (100 * p.units_downloaded) / p.units : 0} height="10" />
                  </svg>
                </td>
                <td class="reports-num">{formatNumber(p.units)}</td>
                <td class="reports-num">{formatNumber(p.units_downloaded)}</td>
                <td class="reports-num">{formatNumber(p.units - p.units_downloaded)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h4>{t('reports.idle.list')}</h4>
      {!idle.length && <p class="muted">{t('reports.idle.none')}</p>}
      {idle.length > 0 && (
        <div class="reports-scroll">
          <table class="reports-table" data-table="idle">
            <caption class="visually-hidden">{t('reports.idle.list')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('reports.idle.code')}</th>
                <th scope="col">{t('reports.idle.name')}</th>
                <th scope="col">{t('reports.province.col')}</th>
                <th scope="col">{t('reports.level.col')}</th>
              </tr>
            </thead>
            <tbody>
              {idle.slice(0, IDLE_ROWS).map((u) => (
                <tr key={u.code} data-code={u.code}>
                  <td>
                    <code>{u.code}</code>
                  </td>
                  <th scope="row">{u.name}</th>
                  <td>{provinceName(u.province)}</td>
                  <td>{u.level ? t(`level.${u.level}`) : <span class="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {idle.length > IDLE_ROWS && <p class="muted">{t('reports.idle.more', { n: formatNumber(idle.length - IDLE_ROWS) })}</p>}
    </section>
  );
}

function CoveragePanel({ period, province, setProvince }) {
  const params = { from: period.from, to: period.to };
  const r = useReport(`/api/v1/reports/coverage${query(params)}`);
  const d = r.data;
  const names = d ? d.provinces.map((p) => p.province).filter(Boolean) : [];
  if (province && d && !names.includes(province)) names.push(province);
  return (
    <Panel id="reports-coverage" title={t('reports.coverage')}>
      <label class="reports-pick">
        {t('reports.coverage.pick')}
        <select value={province} onChange={(e) => setProvince(e.target.value)}>
          <option value="">{t('reports.coverage.all')}</option>
          {names.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <MissingMaterials province={province} period={period} />
      <ErrorBox error={r.error} onRetry={r.reload} />
      {r.loading && !d && <Spinner />}
      {d && <IdleUnits coverage={d} province={province} csv={`/api/v1/reports/coverage${query({ ...params, province, format: 'csv' })}`} />}
    </Panel>
  );
}

export function ReportsPage() {
  useTitle(t('reports.title'));
  const { query: params } = useLocation();
  const def = defaultPeriod();
  const from = params.get('from') || def.from;
  const to = params.get('to') || def.to;
  const province = params.get('province') || '';
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from <= to;
  const period = { from, to };

  const setParam = (changes) => {
    const next = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    const s = next.toString();
    navigate(`${location.pathname}${s ? `?${s}` : ''}`, { replace: true });
  };

  const topName = (it) => (it.label === '(đã xoá)' ? t('reports.deleted') : <Link href={`/assets/${it.key}`}>{it.label}</Link>);
  return (
    <section class="stack reports">
      <h1>{t('reports.title')}</h1>
      <form class="card reports-period" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>{t('reports.period')}</legend>
          <div class="row">
            <label>
              {t('reports.from')}
              <input type="date" name="from" value={from} max={to} onChange={(e) => setParam({ from: e.target.value })} />
            </label>
            <label>
              {t('reports.to')}
              <input type="date" name="to" value={to} min={from} onChange={(e) => setParam({ to: e.target.value })} />
            </label>
            <button type="button" onClick={() => setParam({ from: '', to: '' })}>
              {t('reports.last30')}
            </button>
          </div>
          <p class="muted" aria-live="polite">
            {valid && t('reports.range', { from: dayLabel(from), to: dayLabel(to) })}
          </p>
        </fieldset>
      </form>
      {!valid && (
        <p class="error" role="alert">
          {t('reports.badperiod')}
        </p>
      )}
      {valid && (
        <>
          <DayPanel period={period} />
          <GroupPanel
            id="reports-province"
            group="province"
            period={period}
            title={t('reports.province')}
            nameCol={t('reports.province.col')}
            name={(it) => it.key || t('reports.province.none')}
          />
          <GroupPanel
            id="reports-level"
            group="level"
            period={period}
            title={t('reports.level')}
            nameCol={t('reports.level.col')}
            name={(it) => (it.key ? t(`level.${it.key}`) : t('reports.level.none'))}
          />
          <GroupPanel id="reports-top" group="asset" limit={10} period={period} title={t('reports.top')} nameCol={t('reports.top.col')} name={topName} />
          <CoveragePanel period={period} province={province} setProvince={(p) => setParam({ province: p })} />
        </>
      )}
    </section>
  );
}
