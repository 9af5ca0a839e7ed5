// The reviewer's panel on the asset page: approve a version in review for
// an audience (all units, or provinces × education levels × units, and/or
// the press) and a validity window, or reject it with a reason; withdraw
// (archive) an approved version; and the asset's history from the audit log.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { register, t } from '../i18n.js';
import { Link } from '../router.js';
import { formatDate, formatDateTime } from '../format.js';
import { ErrorBox, Spinner } from '../components.jsx';

register({
  vi: {
    'review.title': 'Duyệt tài liệu',
    'review.back': 'Về hàng chờ duyệt',
    'review.nothing': 'Tài liệu này không có phiên bản nào đang chờ duyệt.',
    'review.own': 'Bạn không thể phê duyệt hay từ chối tài liệu do chính mình tạo hoặc tải lên; một người duyệt khác sẽ làm việc này.',
    'review.deciding': 'Phiên bản {n} đang chờ duyệt',
    'review.submitted': 'Gửi duyệt lúc {at} bởi {who}.',
    'review.other': 'Đang xem phiên bản {shown}; phiên bản chờ duyệt là {n}.',
    'review.other.link': 'Xem phiên bản {n}',
    'review.decision': 'Quyết định',
    'review.approve': 'Phê duyệt',
    'review.reject': 'Từ chối',
    'review.audience': 'Đối tượng nhận',
    'review.audience.all': 'Tất cả đơn vị',
    'review.audience.some': 'Chọn theo tỉnh/thành, cấp học hoặc đơn vị',
    'review.audience.rule': 'Một đơn vị nhận được tài liệu khi khớp mọi nhóm đã chọn (ví dụ: Hà Nội và THPT là các trường THPT ở Hà Nội). Một đơn vị đã chọn gồm cả các đơn vị trực thuộc.',
    'review.provinces': 'Tỉnh/thành phố',
    'review.levels': 'Cấp học',
    'review.units': 'Đơn vị cụ thể',
    'review.units.search': 'Tìm đơn vị',
    'review.units.placeholder': 'Tên hoặc mã đơn vị, ví dụ: chu van an',
    'review.units.more': 'Còn {n} đơn vị khác; hãy gõ để thu hẹp.',
    'review.units.none': 'Không có đơn vị nào khớp.',
    'review.press': 'Báo chí (nhà báo được xem và tải xuống)',
    'review.summary': 'Tóm tắt: {text}',
    'review.window': 'Thời hạn sử dụng (theo giờ Việt Nam)',
    'review.from': 'Từ ngày',
    'review.until': 'Đến hết ngày',
    'review.window.hint': 'Để trống là không giới hạn.',
    'review.window.chosen': 'Thời hạn: {text}',
    'review.comment.approve': 'Nhận xét (không bắt buộc)',
    'review.comment.reject': 'Lý do từ chối (bắt buộc)',
    'review.comment.hint': 'Người thiết kế sẽ đọc lý do này để sửa lại.',
    'review.err.comment': 'Hãy ghi lý do từ chối để người thiết kế biết cần sửa gì.',
    'review.err.audience': 'Hãy chọn ít nhất một tỉnh/thành, cấp học, đơn vị hoặc báo chí.',
    'review.err.window': 'Ngày kết thúc phải từ ngày bắt đầu trở đi.',
    'review.done.approved': 'Đã phê duyệt phiên bản {n}.',
    'review.done.rejected': 'Đã từ chối phiên bản {n}.',
    'review.done.archived': 'Đã lưu trữ phiên bản {n}; tài liệu không còn được phát hành.',
    'review.archive': 'Thu hồi (lưu trữ) phiên bản {n}',
    'review.archive.intro': 'Phiên bản {n} đang được phát hành. Lưu trữ sẽ thu hồi nó khỏi thư viện của các đơn vị và báo chí.',
    'review.archive.comment': 'Lý do thu hồi (không bắt buộc)',
    'review.archive.confirm': 'Xác nhận lưu trữ',
    'review.talk': 'Trao đổi với người thiết kế',
    'review.talk.label': 'Nhận xét về phiên bản {n} (không đổi trạng thái)',
    'review.talk.send': 'Gửi nhận xét',
    'review.talk.sent': 'Đã gửi nhận xét.',
    'review.history': 'Lịch sử',
    'review.history.empty': 'Chưa có hoạt động nào.',
    'review.history.all': 'Xem toàn bộ lịch sử ({n})',
    'review.history.version': 'phiên bản {n}',
    'review.actor.you': '{name} (bạn)',
    'review.actor.creator': 'người tạo tài liệu',
    'review.actor.id': 'người dùng #{id}',
    'review.actor.system': 'hệ thống',
    'review.all_units': 'tất cả đơn vị',
    'review.aud.provinces': 'tỉnh/thành: {list}',
    'review.aud.levels': 'cấp học: {list}',
    'review.aud.units': 'đơn vị: {list}',
    'review.aud.press': 'báo chí',
    'review.aud.nobody': 'chưa chọn ai',
    'review.window.open': 'không giới hạn',
    'review.window.from': 'từ {from}',
    'review.window.until': 'đến hết {until}',
    'review.window.both': '{from} – {until}',
    'review.action.asset.created': 'Tạo tài liệu và tải lên',
    'review.action.asset.updated': 'Sửa thông tin',
    'review.action.asset.trashed': 'Chuyển vào thùng rác',
    'review.action.asset.restored': 'Khôi phục từ thùng rác',
    'review.action.asset.purged': 'Xoá vĩnh viễn',
    'review.action.version.created': 'Tải lên phiên bản mới',
    'review.action.version.submitted': 'Gửi duyệt',
    'review.action.version.approved': 'Phê duyệt',
    'review.action.version.rejected': 'Từ chối',
    'review.action.version.revised': 'Đưa về bản nháp để sửa',
    'review.action.version.archived': 'Lưu trữ',
    'review.action.comment.added': 'Bình luận',
  },
  en: {
    'review.title': 'Review',
    'review.back': 'Back to the review queue',
    'review.nothing': 'No version of this material is waiting for review.',
    'review.own': 'You cannot approve or reject material you created or uploaded; another reviewer will.',
    'review.deciding': 'Version {n} is waiting for review',
    'review.submitted': 'Submitted at {at} by {who}.',
    'review.other': 'You are viewing version {shown}; version {n} is the one in review.',
    'review.other.link': 'View version {n}',
    'review.decision': 'Decision',
    'review.approve': 'Approve',
    'review.reject': 'Reject',
    'review.audience': 'Audience',
    'review.audience.all': 'All units',
    'review.audience.some': 'Choose provinces, education levels or units',
    'review.audience.rule': 'A unit receives the material when it matches every group chosen (for example Hà Nội and upper secondary: the upper-secondary schools of Hà Nội). A chosen unit includes the units under it.',
    'review.provinces': 'Provinces and cities',
    'review.levels': 'Education levels',
    'review.units': 'Specific units',
    'review.units.search': 'Find a unit',
    'review.units.placeholder': 'Name or code, for example: chu van an',
    'review.units.more': '{n} more units; type to narrow the list.',
    'review.units.none': 'No unit matches.',
    'review.press': 'The press (journalists may see and download it)',
    'review.summary': 'Summary: {text}',
    'review.window': 'Validity (Vietnam time)',
    'review.from': 'From',
    'review.until': 'Until the end of',
    'review.window.hint': 'Leave empty for no limit.',
    'review.window.chosen': 'Valid: {text}',
    'review.comment.approve': 'Comment (optional)',
    'review.comment.reject': 'Reason for rejecting (required)',
    'review.comment.hint': 'The designer reads this reason to fix the material.',
    'review.err.comment': 'Write why you reject it, so the designer knows what to fix.',
    'review.err.audience': 'Choose at least one province, education level, unit, or the press.',
    'review.err.window': 'The end date must not be before the start date.',
    'review.done.approved': 'Version {n} is approved.',
    'review.done.rejected': 'Version {n} is rejected.',
    'review.done.archived': 'Version {n} is archived; it is no longer published.',
    'review.archive': 'Withdraw (archive) version {n}',
    'review.archive.intro': 'Version {n} is published. Archiving withdraws it from the units\' and the press\'s library.',
    'review.archive.comment': 'Reason for withdrawing (optional)',
    'review.archive.confirm': 'Archive it',
    'review.talk': 'Discussion with the designer',
    'review.talk.label': 'A comment on version {n} (does not change its state)',
    'review.talk.send': 'Send the comment',
    'review.talk.sent': 'Comment sent.',
    'review.history': 'History',
    'review.history.empty': 'Nothing has happened yet.',
    'review.history.all': 'Show the whole history ({n})',
    'review.history.version': 'version {n}',
    'review.actor.you': '{name} (you)',
    'review.actor.creator': 'the material\'s creator',
    'review.actor.id': 'user #{id}',
    'review.actor.system': 'the system',
    'review.all_units': 'all units',
    'review.aud.provinces': 'provinces: {list}',
    'review.aud.levels': 'levels: {list}',
    'review.aud.units': 'units: {list}',
    'review.aud.press': 'the press',
    'review.aud.nobody': 'nobody chosen yet',
    'review.window.open': 'no limit',
    'review.window.from': 'from {from}',
    'review.window.until': 'until the end of {until}',
    'review.window.both': '{from} – {until}',
    'review.action.asset.created': 'Created and uploaded',
    'review.action.asset.updated': 'Details edited',
    'review.action.asset.trashed': 'Moved to the trash',
    'review.action.asset.restored': 'Restored from the trash',
    'review.action.asset.purged': 'Deleted for good',
    'review.action.version.created': 'New version uploaded',
    'review.action.version.submitted': 'Submitted for review',
    'review.action.version.approved': 'Approved',
    'review.action.version.rejected': 'Rejected',
    'review.action.version.revised': 'Back to draft for changes',
    'review.action.version.archived': 'Archived',
    'review.action.comment.added': 'Comment',
  },
});

const LEVELS = ['preschool', 'primary', 'lower_secondary', 'upper_secondary', 'continuing', 'vocational', 'higher'];
const HISTORY_SHOWN = 20;

// ---- shared with the asset page and the queue ---------------------------

// "Tỉnh/thành: Hà Nội; cấp học: THPT; báo chí", from an audience.
export function describeAudience(a, unitNames = {}) {
  if (!a) return '';
  const parts = [];
  if (a.all_units) parts.push(t('review.all_units'));
  if (a.provinces?.length) parts.push(t('review.aud.provinces', { list: a.provinces.join(', ') }));
  if (a.levels?.length) parts.push(t('review.aud.levels', { list: a.levels.map((l) => t(`level.${l}`)).join(', ') }));
  if (a.units?.length) parts.push(t('review.aud.units', { list: a.units.map((c) => unitNames[c] || c).join(', ') }));
  if (a.press) parts.push(t('review.aud.press'));
  const s = parts.length ? parts.join('; ') : t('review.aud.nobody');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// The window as Vietnam days; `until` is exclusive, so its last day is
// the day before the instant.
export function describeWindow(from, until) {
  const s = windowText(from ? formatDate(from) : '', until ? formatDate(new Date(Date.parse(until) - 1).toISOString()) : '');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// The same from two Vietnam days "YYYY-MM-DD" (the date inputs).
const dmy = (day) => (day ? day.split('-').reverse().join('/') : '');
function windowText(f, u) {
  let s;
  if (f && u) s = t('review.window.both', { from: f, until: u });
  else if (f) s = t('review.window.from', { from: f });
  else if (u) s = t('review.window.until', { until: u });
  else s = t('review.window.open');
  return s;
}

// Display names of users. Only admins may read users (GET /api/v1/users/{id});
// others see themselves by name, the creator as such, and short ids.
const names = new Map(); // id -> Promise<string|null>
export function usePeople(ids, user) {
  const [known, setKnown] = useState({});
  const unique = [...new Set(ids.filter(Boolean))].sort();
  const key = unique.join(',');
  useEffect(() => {
    if (user?.role !== 'admin' || !unique.length) return;
    let live = true;
    Promise.all(unique.map((id) => {
      if (!names.has(id)) names.set(id, get(`/api/v1/users/${id}`).then((u) => u.display_name).catch(() => null));
      return names.get(id).then((n) => [id, n]);
    })).then((pairs) => live && setKnown(Object.fromEntries(pairs.filter((p) => p[1]))));
    return () => {
      live = false;
    };
  }, [key, user?.role]);
  return (id, creator) => {
    if (!id) return t('review.actor.system');
    if (known[id]) return known[id];
    if (user && id === user.id) return t('review.actor.you', { name: user.display_name });
    if (creator && id === creator) return t('review.actor.creator');
    return t('review.actor.id', { id: id.slice(-6) });
  };
}

let unitsPromise = null;
function loadUnits() {
  if (!unitsPromise) {
    unitsPromise = get('/api/v1/units?limit=10000').then((r) => r.items).catch((e) => {
      unitsPromise = null;
      throw e;
    });
  }
  return unitsPromise;
}

const fold = (s) => (s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

// ---- the decision ---------------------------------------------------------

function Checks({ legend, options, selected, onChange, name, columns }) {
  const toggle = (value, on) => onChange(on ? [...selected, value] : selected.filter((v) => v !== value));
  return (
    <fieldset class="review-checks">
      <legend>{legend}</legend>
      <ul class={columns ? 'review-options review-columns' : 'review-options'}>
        {options.map(([value, label]) => (
          <li key={value}>
            <label class="review-choice">
              <input
                type="checkbox"
                name={name}
                value={value}
                checked={selected.includes(value)}
                onChange={(e) => toggle(value, e.target.checked)}
              />
              <span>{label}</span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

function UnitPicker({ units, selected, onChange }) {
  const [q, setQ] = useState('');
  const f = fold(q.trim());
  const chosen = units.filter((u) => selected.includes(u.code));
  const matches = units.filter((u) => !selected.includes(u.code) && (!f || fold(`${u.name} ${u.code}`).includes(f)));
  const shown = matches.slice(0, 30);
  return (
    <fieldset class="review-checks">
      <legend>{t('review.units')}</legend>
      <label class="review-search">
        {t('review.units.search')}
        <input type="search" value={q} autocomplete="off" placeholder={t('review.units.placeholder')} onInput={(e) => setQ(e.target.value)} />
      </label>
      <ul class="review-options review-units">
        {[...chosen, ...shown].map((u) => (
          <li key={u.code}>
            <label class="review-choice">
              <input
                type="checkbox"
                name="units"
                value={u.code}
                checked={selected.includes(u.code)}
                onChange={(e) => onChange(e.target.checked ? [...selected, u.code] : selected.filter((c) => c !== u.code))}
              />
              <span>{u.name} <span class="muted">({u.code})</span></span>
            </label>
          </li>
        ))}
      </ul>
      {!matches.length && f && <p class="muted">{t('review.units.none')}</p>}
      {matches.length > shown.length && <p class="muted">{t('review.units.more', { n: matches.length - shown.length })}</p>}
    </fieldset>
  );
}

function DecisionForm({ asset, version, onDone, who }) {
  const [decision, setDecision] = useState('approve');
  const [mode, setMode] = useState('all');
  const [provinces, setProvinces] = useState([]);
  const [levels, setLevels] = useState([]);
  const [unitCodes, setUnitCodes] = useState([]);
  const [press, setPress] = useState(false);
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [comment, setComment] = useState('');
  const [units, setUnits] = useState(null);
  const [unitsError, setUnitsError] = useState(null);
  const [problems, setProblems] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const commentRef = useRef(null);
  const audienceRef = useRef(null);
  const untilRef = useRef(null);

  useEffect(() => {
    if (mode !== 'some' || units) return;
    loadUnits().then(setUnits, setUnitsError);
  }, [mode]);

  const provinceList = units
    ? [...new Set(units.map((u) => u.province).filter(Boolean))].sort((a, b) => a.localeCompare(b, 'vi'))
    : [];
  const unitNames = Object.fromEntries((units || []).map((u) => [u.code, u.name]));

  const audience = () => {
    if (mode === 'all') return press ? { all_units: true, press: true } : { all_units: true };
    const a = {};
    if (provinces.length) a.provinces = provinces;
    if (levels.length) a.levels = levels;
    if (unitCodes.length) a.units = unitCodes;
    if (press) a.press = true;
    return a;
  };

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const found = {};
    if (decision === 'reject' && !comment.trim()) found.comment = t('review.err.comment');
    if (decision === 'approve') {
      const a = audience();
      if (!a.all_units && !a.press && !a.provinces && !a.levels && !a.units) found.audience = t('review.err.audience');
      if (from && until && until < from) found.window = t('review.err.window');
    }
    setProblems(found);
    if (found.audience) return audienceRef.current?.focus();
    if (found.window) return untilRef.current?.focus();
    if (found.comment) return commentRef.current?.focus();
    setBusy(true);
    try {
      const path = `/api/v1/assets/${asset.id}/versions/${version.number}`;
      if (decision === 'approve') {
        const body = { audience: audience() };
        if (from) body.valid_from = from;
        if (until) body.valid_until = until;
        if (comment.trim()) body.comment = comment.trim();
        await post(`${path}/approve`, body);
      } else {
        await post(`${path}/reject`, { comment: comment.trim() });
      }
      onDone(decision === 'approve' ? 'approved' : 'rejected', version.number);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const approve = decision === 'approve';
  return (
    <form class="review-form" onSubmit={submit} noValidate aria-labelledby="review-deciding">
      <h3 id="review-deciding">{t('review.deciding', { n: version.number })}</h3>
      {version.submitted && (
        <p class="muted">{t('review.submitted', { at: formatDateTime(version.submitted.at), who: who(version.submitted.by, asset.created_by) })}</p>
      )}
      <fieldset class="review-decision">
        <legend>{t('review.decision')}</legend>
        <div class="row">
          {[['approve', 'review.approve'], ['reject', 'review.reject']].map(([value, key]) => (
            <label key={value} class={`review-choice review-choice-${value}`}>
              <input type="radio" name="decision" value={value} checked={decision === value} onChange={() => setDecision(value)} />
              <span>{t(key)}</span>
            </label>
          ))}
        </div>
      </fieldset>
      {approve && (
        <>
          <fieldset
            class="review-audience"
            ref={audienceRef}
            tabIndex={-1}
            aria-invalid={problems.audience ? 'true' : undefined}
            aria-describedby={problems.audience ? 'review-audience-err' : undefined}
          >
            <legend>{t('review.audience')}</legend>
            <label class="review-choice">
              <input type="radio" name="mode" value="all" checked={mode === 'all'} onChange={() => setMode('all')} />
              <span>{t('review.audience.all')}</span>
            </label>
            <label class="review-choice">
              <input type="radio" name="mode" value="some" checked={mode === 'some'} onChange={() => setMode('some')} />
              <span>{t('review.audience.some')}</span>
            </label>
            {mode === 'some' && (
              <div class="review-lists">
                <p class="muted">{t('review.audience.rule')}</p>
                {unitsError && <ErrorBox error={unitsError} onRetry={() => { setUnitsError(null); loadUnits().then(setUnits, setUnitsError); }} />}
                {!units && !unitsError && <Spinner />}
                {units && (
                  <>
                    <Checks legend={t('review.provinces')} name="provinces" columns options={provinceList.map((p) => [p, p])} selected={provinces} onChange={setProvinces} />
                    <Checks legend={t('review.levels')} name="levels" columns options={LEVELS.map((l) => [l, t(`level.${l}`)])} selected={levels} onChange={setLevels} />
                    <UnitPicker units={units} selected={unitCodes} onChange={setUnitCodes} />
                  </>
                )}
              </div>
            )}
            <label class="review-choice review-press">
              <input type="checkbox" name="press" checked={press} onChange={(e) => setPress(e.target.checked)} />
              <span>{t('review.press')}</span>
            </label>
            <p class="review-summary" aria-live="polite">{t('review.summary', { text: describeAudience(audience(), unitNames) })}</p>
            {problems.audience && <p id="review-audience-err" class="review-field-error">{problems.audience}</p>}
          </fieldset>
          <fieldset class="review-window">
            <legend>{t('review.window')}</legend>
            <div class="row">
              <label>
                {t('review.from')}
                <input type="date" name="valid_from" value={from} onInput={(e) => setFrom(e.target.value)} />
              </label>
              <label>
                {t('review.until')}
                <input
                  ref={untilRef}
                  type="date"
                  name="valid_until"
                  value={until}
                  min={from || undefined}
                  aria-invalid={problems.window ? 'true' : undefined}
                  aria-describedby={problems.window ? 'review-window-err' : 'review-window-hint'}
                  onInput={(e) => setUntil(e.target.value)}
                />
              </label>
            </div>
            <p id="review-window-hint" class="muted">{t('review.window.hint')}</p>
            <p class="review-summary" aria-live="polite">{t('review.window.chosen', { text: windowText(dmy(from), dmy(until)) })}</p>
            {problems.window && <p id="review-window-err" class="review-field-error">{problems.window}</p>}
          </fieldset>
        </>
      )}
      <label for="review-comment">{t(approve ? 'review.comment.approve' : 'review.comment.reject')}</label>
      <textarea
        id="review-comment"
        ref={commentRef}
        name="comment"
        value={comment}
        aria-required={approve ? undefined : 'true'}
        aria-invalid={problems.comment ? 'true' : undefined}
        aria-describedby={problems.comment ? 'review-comment-err' : approve ? undefined : 'review-comment-hint'}
        onInput={(e) => setComment(e.target.value)}
      />
      {!approve && !problems.comment && <p id="review-comment-hint" class="muted">{t('review.comment.hint')}</p>}
      {problems.comment && <p id="review-comment-err" class="review-field-error">{problems.comment}</p>}
      <ErrorBox error={error} />
      <div class="row review-actions">
        <button type="submit" class={approve ? 'primary' : 'primary review-reject'} disabled={busy}>
          {t(approve ? 'review.approve' : 'review.reject')}
        </button>
      </div>
    </form>
  );
}

function ArchiveForm({ asset, version, onDone }) {
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post(`/api/v1/assets/${asset.id}/versions/${version.number}/archive`, comment.trim() ? { comment: comment.trim() } : {});
      onDone('archived', version.number);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  if (!open) {
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>{t('review.archive', { n: version.number })}</button>
      </p>
    );
  }
  return (
    <form class="review-form" onSubmit={submit}>
      <p>{t('review.archive.intro', { n: version.number })}</p>
      <label>
        {t('review.archive.comment')}
        <textarea name="comment" value={comment} onInput={(e) => setComment(e.target.value)} />
      </label>
      <ErrorBox error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>{t('review.archive.confirm')}</button>
        <button type="button" onClick={() => setOpen(false)}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

// A comment for the designer, without a decision.
function CommentForm({ asset, version, onSent }) {
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    setSent(false);
    try {
      await post(`/api/v1/assets/${asset.id}/versions/${version.number}/comments`, { text: text.trim() });
      setText('');
      setSent(true);
      onSent();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="review-talk" onSubmit={submit}>
      <h3>{t('review.talk')}</h3>
      <label for="review-talk-text">{t('review.talk.label', { n: version.number })}</label>
      <textarea id="review-talk-text" name="text" value={text} onInput={(e) => { setText(e.target.value); setSent(false); }} />
      <ErrorBox error={error} />
      <div class="row">
        <button type="submit" disabled={busy || !text.trim()}>{t('review.talk.send')}</button>
        <span role="status" class="muted">{sent ? t('review.talk.sent') : ''}</span>
      </div>
    </form>
  );
}

// ---- the history ------------------------------------------------------------

function History({ asset, user, refresh }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [all, setAll] = useState(false);
  const load = async () => {
    setError(null);
    try {
      setItems((await get(`/api/v1/assets/${asset.id}/history`)).items);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [asset.id, asset.revision, asset.updated_at, refresh]);
  const who = usePeople((items || []).map((e) => e.actor), user);
  const shown = items ? (all ? items : items.slice(0, HISTORY_SHOWN)) : [];
  return (
    <section class="review-history" aria-labelledby="review-history-h">
      <h3 id="review-history-h">{t('review.history')}</h3>
      <ErrorBox error={error} onRetry={load} />
      {!items && !error && <Spinner />}
      {items && !items.length && <p class="muted">{t('review.history.empty')}</p>}
      <ol>
        {shown.map((e) => {
          const v = /\/v(\d+)$/.exec(e.target || '');
          const label = t(`review.action.${e.action}`);
          return (
            <li key={e.id} data-action={e.action}>
              <div>
                <strong>{label === `review.action.${e.action}` ? e.action : label}</strong>
                {v && <> · {t('review.history.version', { n: v[1] })}</>}
              </div>
              <div class="muted">
                <time datetime={e.at}>{formatDateTime(e.at)}</time> · <span class="review-actor">{who(e.actor, asset.created_by)}</span>
              </div>
              {e.action === 'version.approved' && e.detail?.audience && (
                <div class="review-history-detail">
                  {describeAudience(e.detail.audience)} · {describeWindow(e.detail.valid_from, e.detail.valid_until)}
                </div>
              )}
              {e.comment && <blockquote class="review-comment">{e.comment}</blockquote>}
            </li>
          );
        })}
      </ol>
      {items && !all && items.length > HISTORY_SHOWN && (
        <button type="button" class="link" onClick={() => setAll(true)}>{t('review.history.all', { n: items.length })}</button>
      )}
    </section>
  );
}

// ---- the panel ---------------------------------------------------------------

export function ReviewPanel({ asset, versions, user, reload, shown }) {
  const [done, setDone] = useState(null);
  const [refresh, setRefresh] = useState(0);
  const doneRef = useRef(null);
  const inReview = versions.filter((v) => v.state === 'in_review');
  const target = shown?.state === 'in_review' ? shown : inReview[inReview.length - 1];
  const current = shown || versions[versions.length - 1];
  const own = target && (asset.created_by === user.id || target.uploaded_by === user.id);
  const who = usePeople(target?.submitted ? [target.submitted.by] : [], user);

  useEffect(() => {
    setDone(null);
  }, [asset.id]);
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  const onDone = async (what, n) => {
    setDone({ what, n });
    await reload();
  };

  return (
    <section class="card review-panel" aria-labelledby="review-h">
      <h2 id="review-h">{t('review.title')}</h2>
      {done && (
        <div class="success" role="status" tabIndex={-1} ref={doneRef}>
          {t(`review.done.${done.what}`, { n: done.n })} <Link href="/reviews">{t('review.back')}</Link>
        </div>
      )}
      {target && shown && target.number !== shown.number && (
        <p class="notice">
          {t('review.other', { shown: shown.number, n: target.number })}{' '}
          <Link href={`/assets/${asset.id}?v=${target.number}`}>{t('review.other.link', { n: target.number })}</Link>
        </p>
      )}
      {target && own && <p class="notice">{t('review.own')}</p>}
      {target && !own && <DecisionForm key={`${asset.id}/${target.number}`} asset={asset} version={target} onDone={onDone} who={who} />}
      {!target && !done && <p class="muted">{t('review.nothing')}</p>}
      {!target && current?.state === 'approved' && (
        <ArchiveForm key={`${asset.id}/${current.number}`} asset={asset} version={current} onDone={onDone} />
      )}
      {current && !asset.deleted_at && (
        <CommentForm key={`${asset.id}/${(target || current).number}`} asset={asset} version={target || current} onSent={() => setRefresh((n) => n + 1)} />
      )}
      <History asset={asset} user={user} refresh={refresh} />
    </section>
  );
}
