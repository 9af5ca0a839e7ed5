// The ministry's administration: people (create with a one-time password,
// change role and unit, disable, reset the password) and units (a list to
// search by name, province and level; create, edit; CSV import with every
// bad row shown, CSV export).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, get, patch, post, query } from '../api.js';
import { register, t } from '../i18n.js';
import { formatNumber } from '../format.js';
import { MoreButton, Spinner, usePagedList, useTitle } from '../components.jsx';

register({
  vi: {
    'admin.users.title': 'Người dùng',
    'admin.users.create': 'Tạo người dùng',
    'admin.users.username': 'Tên đăng nhập',
    'admin.users.username.hint': '3–64 ký tự: chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang hoặc @.',
    'admin.users.display': 'Họ và tên',
    'admin.users.role': 'Vai trò',
    'admin.users.unit': 'Đơn vị',
    'admin.users.unit.hint': 'Gõ mã hoặc tên đơn vị rồi chọn trong danh sách. Bắt buộc với thành viên đơn vị.',
    'admin.users.unit.unknown': 'Chưa có đơn vị nào mang mã này.',
    'admin.users.state': 'Trạng thái',
    'admin.users.actions': 'Thao tác',
    'admin.users.active': 'Đang hoạt động',
    'admin.users.disabled': 'Đã vô hiệu hoá',
    'admin.users.mustchange': 'Chờ đổi mật khẩu',
    'admin.users.search': 'Tìm người dùng',
    'admin.users.search.placeholder': 'Tên đăng nhập hoặc họ tên, có dấu hay không dấu',
    'admin.users.filter.role': 'Lọc theo vai trò',
    'admin.users.count': '{n} người dùng',
    'admin.users.empty': 'Không có người dùng nào khớp.',
    'admin.users.edit': 'Sửa',
    'admin.users.edit.title': 'Sửa người dùng {username}',
    'admin.users.disable': 'Vô hiệu hoá',
    'admin.users.enable': 'Kích hoạt lại',
    'admin.users.reset': 'Đặt lại mật khẩu',
    'admin.users.confirm.disable': 'Vô hiệu hoá {username}? Mọi phiên đăng nhập và khoá API của người này kết thúc ngay.',
    'admin.users.confirm.reset': 'Đặt lại mật khẩu của {username}? Các phiên đăng nhập của người này kết thúc; một mật khẩu mới được tạo.',
    'admin.users.confirm.yes': 'Đồng ý',
    'admin.users.you': '(bạn)',
    'admin.users.saved': 'Đã lưu thay đổi của {username}.',
    'admin.users.nowdisabled': 'Đã vô hiệu hoá {username}.',
    'admin.users.nowenabled': 'Đã kích hoạt lại {username}.',
    'admin.users.created': 'Đã tạo người dùng {username}.',
    'admin.secret.title': 'Mật khẩu đầu tiên của {username}',
    'admin.secret.reset': 'Mật khẩu mới của {username}',
    'admin.secret.hint': 'Mật khẩu này chỉ hiện một lần. Hãy sao chép và gửi riêng cho người dùng; họ phải đặt mật khẩu của mình khi đăng nhập lần đầu.',
    'admin.secret.copy': 'Sao chép',
    'admin.secret.copied': 'Đã sao chép',
    'admin.secret.selected': 'Đã chọn sẵn: nhấn Ctrl+C để sao chép',
    'admin.secret.done': 'Đã ghi lại, ẩn mật khẩu',
    'admin.units.title': 'Đơn vị',
    'admin.units.code': 'Mã',
    'admin.units.name': 'Tên đơn vị',
    'admin.units.parent': 'Đơn vị cấp trên',
    'admin.units.parent.hint': 'Mã đơn vị cấp trên; để trống chỉ với Bộ GDĐT (gốc).',
    'admin.units.province': 'Tỉnh, thành phố',
    'admin.units.level': 'Cấp học',
    'admin.units.nolevel': 'Không phải trường học',
    'admin.units.search': 'Tìm đơn vị',
    'admin.units.search.placeholder': 'Tên hoặc mã, có dấu hay không dấu',
    'admin.units.count': '{n} đơn vị',
    'admin.units.countmore': 'Đang hiện {n} đơn vị đầu tiên',
    'admin.units.empty': 'Không có đơn vị nào khớp.',
    'admin.units.create': 'Thêm đơn vị',
    'admin.units.created': 'Đã thêm đơn vị {code}.',
    'admin.units.saved': 'Đã lưu đơn vị {code}.',
    'admin.units.edit': 'Sửa',
    'admin.units.edit.title': 'Sửa đơn vị {code}',
    'admin.units.export': 'Xuất CSV (Excel)',
    'admin.units.import': 'Nhập danh sách đơn vị từ CSV',
    'admin.units.import.intro': 'Dòng đầu ghi tên cột: code, name (bắt buộc), parent_code, province, level. Đơn vị trùng mã được cập nhật; nếu có dòng lỗi thì không nhập dòng nào.',
    'admin.units.import.file': 'Chọn tệp CSV',
    'admin.units.import.paste': 'Hoặc dán nội dung CSV',
    'admin.units.import.submit': 'Nhập',
    'admin.units.import.fileused': 'Sẽ nhập tệp {name}; ô dán bên dưới được bỏ qua.',
    'admin.units.import.clearfile': 'Bỏ chọn tệp',
    'admin.units.import.empty': 'Hãy chọn tệp hoặc dán nội dung CSV.',
    'admin.units.import.ok': 'Đã nhập xong: {created} đơn vị mới, {updated} cập nhật, {unchanged} không đổi.',
    'admin.units.import.failed': 'Không nhập dòng nào: tệp có {n} lỗi. Sửa các dòng dưới đây rồi nhập lại.',
    'admin.units.import.line': 'Dòng',
    'admin.units.import.reason': 'Lỗi',
    'admin.more': 'Xem thêm',
    'admin.err.conflict.user': 'Tên đăng nhập này đã có người dùng.',
    'admin.err.conflict.unit': 'Mã đơn vị này đã có.',
    'admin.err.conflict': 'Không thực hiện được với trạng thái hiện tại.',
    'admin.err.unprocessable': 'Dữ liệu không hợp lệ.',
    'admin.err.invalid_parameter': 'Dữ liệu chưa hợp lệ.',
    'admin.err.bad_request': 'Yêu cầu không hợp lệ.',
    'admin.err.forbidden': 'Bạn không có quyền làm việc này.',
    'admin.err.not_found': 'Không tìm thấy.',
    'admin.err.unsupported_media_type': 'Tệp phải là CSV.',
    'admin.err.payload_too_large': 'Tệp quá lớn (tối đa 32 MiB).',
    'admin.err.other': 'Có lỗi xảy ra.',
    'admin.err.server': 'Máy chủ cho biết',
  },
  en: {
    'admin.users.title': 'Users',
    'admin.users.create': 'Create a user',
    'admin.users.username': 'User name',
    'admin.users.username.hint': '3–64 characters: unaccented letters, digits, dot, underscore, hyphen or @.',
    'admin.users.display': 'Full name',
    'admin.users.role': 'Role',
    'admin.users.unit': 'Unit',
    'admin.users.unit.hint': 'Type a unit code or name and pick from the list. Required for unit members.',
    'admin.users.unit.unknown': 'No unit has this code yet.',
    'admin.users.state': 'Status',
    'admin.users.actions': 'Actions',
    'admin.users.active': 'Active',
    'admin.users.disabled': 'Disabled',
    'admin.users.mustchange': 'Must change password',
    'admin.users.search': 'Search users',
    'admin.users.search.placeholder': 'User name or full name, with or without accents',
    'admin.users.filter.role': 'Filter by role',
    'admin.users.count': '{n} users',
    'admin.users.empty': 'No user matches.',
    'admin.users.edit': 'Edit',
    'admin.users.edit.title': 'Edit user {username}',
    'admin.users.disable': 'Disable',
    'admin.users.enable': 'Enable',
    'admin.users.reset': 'Reset password',
    'admin.users.confirm.disable': 'Disable {username}? All their sessions and API tokens end at once.',
    'admin.users.confirm.reset': "Reset {username}'s password? Their sessions end and a new password is generated.",
    'admin.users.confirm.yes': 'Confirm',
    'admin.users.you': '(you)',
    'admin.users.saved': "Saved {username}'s changes.",
    'admin.users.nowdisabled': '{username} is disabled.',
    'admin.users.nowenabled': '{username} is enabled again.',
    'admin.users.created': 'Created user {username}.',
    'admin.secret.title': "{username}'s first password",
    'admin.secret.reset': "{username}'s new password",
    'admin.secret.hint': 'This password is shown only once. Copy it and give it to the user privately; they must choose their own at first sign-in.',
    'admin.secret.copy': 'Copy',
    'admin.secret.copied': 'Copied',
    'admin.secret.selected': 'Selected: press Ctrl+C to copy',
    'admin.secret.done': 'Noted, hide the password',
    'admin.units.title': 'Units',
    'admin.units.code': 'Code',
    'admin.units.name': 'Unit name',
    'admin.units.parent': 'Parent unit',
    'admin.units.parent.hint': 'Code of the parent unit; empty only for the Ministry (the root).',
    'admin.units.province': 'Province or city',
    'admin.units.level': 'Education level',
    'admin.units.nolevel': 'Not a school',
    'admin.units.search': 'Search units',
    'admin.units.search.placeholder': 'Name or code, with or without accents',
    'admin.units.count': '{n} units',
    'admin.units.countmore': 'Showing the first {n} units',
    'admin.units.empty': 'No unit matches.',
    'admin.units.create': 'Add a unit',
    'admin.units.created': 'Added unit {code}.',
    'admin.units.saved': 'Saved unit {code}.',
    'admin.units.edit': 'Edit',
    'admin.units.edit.title': 'Edit unit {code}',
    'admin.units.export': 'Export CSV (Excel)',
    'admin.units.import': 'Import units from CSV',
    'admin.units.import.intro': 'The first row names the columns: code, name (required), parent_code, province, level. Units with an existing code are updated; if any row has an error, nothing is imported.',
    'admin.units.import.file': 'Choose a CSV file',
    'admin.units.import.paste': 'Or paste CSV text',
    'admin.units.import.submit': 'Import',
    'admin.units.import.fileused': 'The file {name} will be imported; the text box below is ignored.',
    'admin.units.import.clearfile': 'Clear the file',
    'admin.units.import.empty': 'Choose a file or paste CSV text.',
    'admin.units.import.ok': 'Imported: {created} new units, {updated} updated, {unchanged} unchanged.',
    'admin.units.import.failed': 'Nothing was imported: the file has {n} errors. Fix the rows below and import again.',
    'admin.units.import.line': 'Line',
    'admin.units.import.reason': 'Error',
    'admin.more': 'Show more',
    'admin.err.conflict.user': 'This user name is taken.',
    'admin.err.conflict.unit': 'A unit with this code exists.',
    'admin.err.conflict': 'Not possible in the current state.',
    'admin.err.unprocessable': 'The data is not valid.',
    'admin.err.invalid_parameter': 'Some data is not valid.',
    'admin.err.bad_request': 'The request is not valid.',
    'admin.err.forbidden': 'You may not do this.',
    'admin.err.not_found': 'Not found.',
    'admin.err.unsupported_media_type': 'The file must be CSV.',
    'admin.err.payload_too_large': 'The file is too large (at most 32 MiB).',
    'admin.err.other': 'Something went wrong.',
    'admin.err.server': 'The server says',
  },
});

const ROLES = ['admin', 'reviewer', 'designer', 'unit_member', 'journalist', 'worker'];
const LEVELS = ['preschool', 'primary', 'lower_secondary', 'upper_secondary', 'continuing', 'vocational', 'higher'];
// The 34 provincial-level units since 1 July 2025 (6 cities, then 28 provinces).
const PROVINCES = [
  'Hà Nội', 'Huế', 'Hải Phòng', 'Đà Nẵng', 'Thành phố Hồ Chí Minh', 'Cần Thơ',
  'Tuyên Quang', 'Cao Bằng', 'Lai Châu', 'Lào Cai', 'Thái Nguyên', 'Điện Biên', 'Lạng Sơn', 'Sơn La',
  'Phú Thọ', 'Bắc Ninh', 'Quảng Ninh', 'Hưng Yên', 'Ninh Bình', 'Thanh Hóa', 'Nghệ An', 'Hà Tĩnh',
  'Quảng Trị', 'Quảng Ngãi', 'Gia Lai', 'Khánh Hòa', 'Lâm Đồng', 'Đắk Lắk', 'Đồng Nai', 'Tây Ninh',
  'Vĩnh Long', 'Đồng Tháp', 'Cà Mau', 'An Giang',
];

// A value that follows `value` after `ms` without change (search as you type).
function useDebounced(value, ms = 250) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

// An API error as a sentence in the UI's language, with the server's own
// words (which say exactly which field) underneath.
function Problem({ error, context, id }) {
  if (!error) return null;
  const code = error.code || 'other';
  const key = code === 'conflict' && context ? `admin.err.conflict.${context}` : `admin.err.${code}`;
  const head = t(key) === key ? t('admin.err.other') : t(key);
  const detail = error.message && error.message !== `HTTP ${error.status}` ? error.message : '';
  return (
    <div class="error" role="alert" id={id}>
      <strong>{head}</strong>
      {detail && (
        <span class="admin-detail">
          {' '}
          {t('admin.err.server')}: <q>{detail}</q>
        </span>
      )}
    </div>
  );
}

function Success({ children }) {
  if (!children) return null;
  return (
    <p class="success" role="status">
      {children}
    </p>
  );
}

// A password shown once, with a way to copy it.
function OneTimePassword({ username, password, reset, onDone }) {
  const [copied, setCopied] = useState('');
  const box = useRef(null);
  const code = useRef(null);
  useLayoutEffect(() => {
    box.current?.focus();
  }, [password]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(password);
      setCopied('copied');
    } catch {
      // No clipboard permission: select the text so Ctrl+C copies it.
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.selectAllChildren(code.current);
      setCopied('selected');
    }
  };
  return (
    <div class="notice admin-secret" tabIndex={-1} ref={box} role="region" aria-label={t(reset ? 'admin.secret.reset' : 'admin.secret.title', { username })}>
      <p>
        <strong>{t(reset ? 'admin.secret.reset' : 'admin.secret.title', { username })}</strong>
      </p>
      <p class="row">
        <code class="admin-password" ref={code} data-password>
          {password}
        </code>
        <button type="button" onClick={copy}>
          {t('admin.secret.copy')}
        </button>
        <span role="status" class="muted">
          {copied === 'copied' ? t('admin.secret.copied') : copied === 'selected' ? t('admin.secret.selected') : ''}
        </span>
      </p>
      <p>{t('admin.secret.hint')}</p>
      <button type="button" onClick={onDone}>
        {t('admin.secret.done')}
      </button>
    </div>
  );
}

// A text box for a unit code with suggestions from GET /api/v1/units (by
// code or name, accents optional) and the chosen unit's name under it.
function UnitPicker({ id, label, hint, value, onInput, required }) {
  const [options, setOptions] = useState([]);
  const typed = useDebounced(value.trim(), 200);
  useEffect(() => {
    let live = true;
    get(`/api/v1/units${query({ q: typed, limit: 20 })}`)
      .then((r) => live && setOptions(r.items))
      .catch(() => live && setOptions([]));
    return () => {
      live = false;
    };
  }, [typed]);
  const chosen = options.find((u) => u.code === value.trim());
  const place = (u) => [u.province, u.level ? t(`level.${u.level}`) : ''].filter(Boolean).join(' · ');
  return (
    <div class="admin-field">
      <label for={id}>{label}</label>
      <input
        id={id}
        list={`${id}-list`}
        autocomplete="off"
        spellcheck={false}
        required={required}
        value={value}
        aria-describedby={`${id}-hint`}
        onInput={(e) => onInput(e.target.value)}
      />
      <datalist id={`${id}-list`}>
        {options.map((u) => (
          <option key={u.code} value={u.code}>
            {u.name}
            {place(u) ? ` — ${place(u)}` : ''}
          </option>
        ))}
      </datalist>
      <small id={`${id}-hint`} class="muted admin-hint" aria-live="polite">
        {chosen
          ? `${chosen.name}${place(chosen) ? ` — ${place(chosen)}` : ''}`
          : value.trim() && typed === value.trim()
            ? t('admin.users.unit.unknown')
            : hint}
      </small>
    </div>
  );
}

// ---------------------------------------------------------------- users

function CreateUser({ onCreated }) {
  const [form, setForm] = useState({ username: '', display_name: '', role: 'unit_member', unit: '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { username: form.username.trim(), display_name: form.display_name.trim(), role: form.role };
      if (form.unit.trim()) body.unit = form.unit.trim();
      const u = await post('/api/v1/users', body);
      setForm({ username: '', display_name: '', role: form.role, unit: '' });
      onCreated(u);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card admin-form" onSubmit={submit} aria-labelledby="admin-create-user">
      <h2 id="admin-create-user">{t('admin.users.create')}</h2>
      <div class="admin-fields">
        <div class="admin-field">
          <label for="admin-new-username">{t('admin.users.username')}</label>
          <input
            id="admin-new-username"
            name="username"
            required
            minLength={3}
            maxLength={64}
            pattern="[A-Za-z0-9][A-Za-z0-9._@\-]{2,63}"
            autocomplete="off"
            spellcheck={false}
            aria-describedby="admin-username-hint"
            value={form.username}
            onInput={set('username')}
          />
          <small id="admin-username-hint" class="muted admin-hint">{t('admin.users.username.hint')}</small>
        </div>
        <label>
          {t('admin.users.display')}
          <input name="display_name" required maxLength={200} autocomplete="off" value={form.display_name} onInput={set('display_name')} />
        </label>
        <label>
          {t('admin.users.role')}
          <select name="role" value={form.role} onChange={set('role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <UnitPicker
          id="admin-new-unit"
          label={t('admin.users.unit')}
          hint={t('admin.users.unit.hint')}
          value={form.unit}
          required={form.role === 'unit_member'}
          onInput={(v) => setForm({ ...form, unit: v })}
        />
      </div>
      <Problem error={error} context="user" />
      <button type="submit" class="primary" disabled={busy}>
        {t('admin.users.create')}
      </button>
    </form>
  );
}

function EditUser({ user, onSaved, onCancel }) {
  const [form, setForm] = useState({ display_name: user.display_name, role: user.role, unit: user.unit || '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const first = useRef(null);
  useLayoutEffect(() => first.current?.focus(), []);
  const submit = async (e) => {
    e.preventDefault();
    const body = {};
    if (form.display_name.trim() !== user.display_name) body.display_name = form.display_name.trim();
    if (form.role !== user.role) body.role = form.role;
    if (form.unit.trim() !== (user.unit || '')) body.unit = form.unit.trim() || null;
    if (!Object.keys(body).length) return onCancel();
    setBusy(true);
    setError(null);
    try {
      onSaved(await patch(`/api/v1/users/${user.id}`, body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const id = `admin-edit-${user.id}`;
  return (
    <form class="admin-form admin-inline" onSubmit={submit} aria-label={t('admin.users.edit.title', { username: user.username })}>
      <div class="admin-fields">
        <label>
          {t('admin.users.display')}
          <input ref={first} required maxLength={200} value={form.display_name} onInput={(e) => setForm({ ...form, display_name: e.target.value })} />
        </label>
        <label>
          {t('admin.users.role')}
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <UnitPicker
          id={`${id}-unit`}
          label={t('admin.users.unit')}
          hint={t('admin.users.unit.hint')}
          value={form.unit}
          required={form.role === 'unit_member'}
          onInput={(v) => setForm({ ...form, unit: v })}
        />
      </div>
      <Problem error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function UserRow({ u, self, onChange, onSecret }) {
  const [mode, setMode] = useState(''); // '', 'edit', 'disable', 'reset'
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const run = async (fn) => {
    setBusy(true);
    setError(null);
    setDone('');
    try {
      await fn();
      setMode('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const toggle = () =>
    run(async () => {
      const next = await patch(`/api/v1/users/${u.id}`, { disabled: !u.disabled });
      onChange(next);
      setDone(t(next.disabled ? 'admin.users.nowdisabled' : 'admin.users.nowenabled', { username: u.username }));
    });
  const reset = () =>
    run(async () => {
      const r = await post(`/api/v1/users/${u.id}/password`, {});
      const { password, ...next } = r;
      onChange(next);
      onSecret({ username: u.username, password, reset: true });
    });
  const state = u.disabled ? 'disabled' : u.must_change_password ? 'mustchange' : 'active';
  return (
    <>
      <tr data-username={u.username} class={u.disabled ? 'admin-off' : ''}>
        <th scope="row">
          <code>{u.username}</code> {self && <span class="muted">{t('admin.users.you')}</span>}
        </th>
        <td data-label={t('admin.users.display')}>{u.display_name}</td>
        <td data-label={t('admin.users.role')}>{t(`role.${u.role}`)}</td>
        <td data-label={t('admin.users.unit')}>
          {u.unit_detail ? (
            <>
              {u.unit_detail.name} <span class="muted">({u.unit})</span>
            </>
          ) : (
            u.unit || <span class="muted">—</span>
          )}
        </td>
        <td data-label={t('admin.users.state')}>
          <span class={`badge admin-state-${state}`}>{t(`admin.users.${state}`)}</span>
        </td>
        <td class="admin-actcell">
          <div class="row admin-actions">
            <button type="button" class="link" aria-expanded={mode === 'edit'} aria-label={`${t('admin.users.edit')} ${u.username}`} onClick={() => setMode(mode === 'edit' ? '' : 'edit')}>
              {t('admin.users.edit')}
            </button>
            {!self &&
              (u.disabled ? (
                <button type="button" class="link" disabled={busy} aria-label={`${t('admin.users.enable')} ${u.username}`} onClick={toggle}>
                  {t('admin.users.enable')}
                </button>
              ) : (
                <button type="button" class="link" aria-label={`${t('admin.users.disable')} ${u.username}`} onClick={() => setMode('disable')}>
                  {t('admin.users.disable')}
                </button>
              ))}
            <button type="button" class="link" aria-label={`${t('admin.users.reset')} ${u.username}`} onClick={() => setMode('reset')}>
              {t('admin.users.reset')}
            </button>
          </div>
        </td>
      </tr>
      {(mode || error || done) && (
        <tr class="admin-detailrow">
          <td colSpan={6}>
            {mode === 'edit' && (
              <EditUser
                user={u}
                onCancel={() => setMode('')}
                onSaved={(next) => {
                  onChange(next);
                  setMode('');
                  setDone(t('admin.users.saved', { username: u.username }));
                }}
              />
            )}
            {(mode === 'disable' || mode === 'reset') && (
              <div class="notice row" role="alertdialog" aria-label={t(mode === 'reset' ? 'admin.users.reset' : 'admin.users.disable')}>
                <span>{t(`admin.users.confirm.${mode}`, { username: u.username })}</span>
                <button type="button" class="primary" disabled={busy} onClick={mode === 'reset' ? reset : toggle}>
                  {t('admin.users.confirm.yes')}
                </button>
                <button type="button" onClick={() => setMode('')}>
                  {t('common.cancel')}
                </button>
              </div>
            )}
            <Problem error={error} />
            <Success>{done}</Success>
          </td>
        </tr>
      )}
    </>
  );
}

export function UsersPage({ user }) {
  useTitle(t('admin.users.title'));
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const search = useDebounced(q.trim(), 250);
  const [secret, setSecret] = useState(null);
  const [created, setCreated] = useState('');
  const list = usePagedList(
    (cursor) => get(`/api/v1/users${query({ q: search, role, limit: 100, cursor })}`),
    [search, role],
  );
  const { items, setItems, next, loading, error, load } = list;

  const replace = (u) => setItems((prev) => prev.map((x) => (x.id === u.id ? { ...x, ...u } : x)));

  return (
    <section class="stack admin">
      <h1>{t('admin.users.title')}</h1>
      <CreateUser
        onCreated={(u) => {
          setCreated(t('admin.users.created', { username: u.username }));
          if (u.initial_password) setSecret({ username: u.username, password: u.initial_password });
          load();
        }}
      />
      {created && !secret && <Success>{created}</Success>}
      {secret && (
        <OneTimePassword
          {...secret}
          onDone={() => {
            setSecret(null);
            setCreated('');
          }}
        />
      )}
      <div class="admin-toolbar" role="search">
        <label>
          {t('admin.users.search')}
          <input type="search" value={q} placeholder={t('admin.users.search.placeholder')} autocomplete="off" onInput={(e) => setQ(e.target.value)} />
        </label>
        <label>
          {t('admin.users.filter.role')}
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="">{t('common.all')}</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Problem error={error} />
      <p class="muted" aria-live="polite">
        {!loading && t('admin.users.count', { n: formatNumber(items.length) + (next ? '+' : '') })}
      </p>
      <div class="admin-scroll">
        <table class="admin-table admin-stack">
          <caption class="visually-hidden">{t('admin.users.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('admin.users.username')}</th>
              <th scope="col">{t('admin.users.display')}</th>
              <th scope="col">{t('admin.users.role')}</th>
              <th scope="col">{t('admin.users.unit')}</th>
              <th scope="col">{t('admin.users.state')}</th>
              <th scope="col">{t('admin.users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((u) => (
              <UserRow key={u.id} u={u} self={u.id === user.id} onChange={replace} onSecret={setSecret} />
            ))}
          </tbody>
        </table>
      </div>
      {!loading && !items.length && !error && <p>{t('admin.users.empty')}</p>}
      {loading && <Spinner />}
      {next && !loading && (
        <button type="button" onClick={() => load(next)}>
          {t('admin.more')}
        </button>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- units

function ProvinceInput({ id, value, onInput, provinces }) {
  return (
    <label for={id}>
      {t('admin.units.province')}
      <input id={id} list={`${id}-list`} autocomplete="off" maxLength={100} value={value} onInput={(e) => onInput(e.target.value)} />
      <datalist id={`${id}-list`}>
        {provinces.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
    </label>
  );
}

function LevelSelect({ value, onChange, empty }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{empty}</option>
      {LEVELS.map((l) => (
        <option key={l} value={l}>
          {t(`level.${l}`)}
        </option>
      ))}
    </select>
  );
}

// Create (unit absent) or edit a unit.
function UnitForm({ unit, provinces, onSaved, onCancel }) {
  const editing = !!unit;
  const [form, setForm] = useState({
    code: unit?.code || '',
    name: unit?.name || '',
    parent_code: unit?.parent_code || '',
    province: unit?.province || '',
    level: unit?.level || '',
  });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const first = useRef(null);
  useLayoutEffect(() => {
    if (editing) first.current?.focus();
  }, []);
  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const clean = {
        name: form.name.trim(),
        parent_code: form.parent_code.trim(),
        province: form.province.trim(),
        level: form.level,
      };
      let saved;
      if (editing) {
        const body = {};
        if (clean.name !== unit.name) body.name = clean.name;
        if (clean.parent_code !== (unit.parent_code || '')) body.parent_code = clean.parent_code;
        if (clean.province !== (unit.province || '')) body.province = clean.province;
        if (clean.level !== (unit.level || '')) body.level = clean.level;
        if (!Object.keys(body).length) return onCancel?.();
        saved = await patch(`/api/v1/units/${encodeURIComponent(unit.code)}`, body);
      } else {
        saved = await post('/api/v1/units', { code: form.code.trim(), ...clean });
        setForm({ code: '', name: '', parent_code: form.parent_code, province: form.province, level: form.level });
      }
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const id = editing ? `admin-unit-${unit.code.replace(/[^A-Za-z0-9_-]/g, '_')}` : 'admin-unit-new';
  return (
    <form
      class={editing ? 'admin-form admin-inline' : 'card admin-form'}
      onSubmit={submit}
      aria-label={editing ? t('admin.units.edit.title', { code: unit.code }) : undefined}
      aria-labelledby={editing ? undefined : 'admin-create-unit'}
    >
      {!editing && <h2 id="admin-create-unit">{t('admin.units.create')}</h2>}
      <div class="admin-fields">
        {!editing && (
          <label>
            {t('admin.units.code')}
            <input required maxLength={64} pattern="[A-Za-z0-9._\-]{1,64}" spellcheck={false} autocomplete="off" value={form.code} onInput={(e) => set('code')(e.target.value)} />
          </label>
        )}
        <label>
          {t('admin.units.name')}
          <input ref={first} required maxLength={300} autocomplete="off" value={form.name} onInput={(e) => set('name')(e.target.value)} />
        </label>
        <UnitPicker id={`${id}-parent`} label={t('admin.units.parent')} hint={t('admin.units.parent.hint')} value={form.parent_code} onInput={set('parent_code')} />
        <ProvinceInput id={`${id}-province`} value={form.province} onInput={set('province')} provinces={provinces} />
        <label>
          {t('admin.units.level')}
          <LevelSelect value={form.level} onChange={set('level')} empty={t('admin.units.nolevel')} />
        </label>
      </div>
      <Problem error={error} context="unit" />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {editing ? t('common.save') : t('admin.units.create')}
        </button>
        {editing && (
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

function ImportUnits({ onImported }) {
  const [text, setText] = useState('');
  const [file, setFile] = useState(null);
  const [fileKey, setFileKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const errorsRef = useRef(null);
  const submit = async (e) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    const body = file || text;
    if (!file && !text.trim()) {
      setError({ code: 'empty', message: t('admin.units.import.empty') });
      return;
    }
    setBusy(true);
    try {
      const r = await api('POST', '/api/v1/units/import', body, { headers: { 'Content-Type': 'text/csv' } });
      setResult(r);
      setFile(null);
      setFileKey((k) => k + 1);
      onImported(r);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  useLayoutEffect(() => {
    if (error?.problem?.errors) errorsRef.current?.focus();
  }, [error]);
  const rows = error?.problem?.errors;
  return (
    <form class="card admin-form" onSubmit={submit} aria-labelledby="admin-import">
      <h2 id="admin-import">{t('admin.units.import')}</h2>
      <p class="muted">{t('admin.units.import.intro')}</p>
      <label>
        {t('admin.units.import.file')}
        <input key={fileKey} type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files[0] || null)} />
      </label>
      {file && (
        <p class="row">
          <span>{t('admin.units.import.fileused', { name: file.name })}</span>
          <button
            type="button"
            class="link"
            onClick={() => {
              setFile(null);
              setFileKey((k) => k + 1);
            }}
          >
            {t('admin.units.import.clearfile')}
          </button>
        </p>
      )}
      <label>
        {t('admin.units.import.paste')}
        <textarea class="admin-csv" spellcheck={false} placeholder="code,name,parent_code,province,level" value={text} onInput={(e) => setText(e.target.value)} />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {t('admin.units.import.submit')}
      </button>
      {busy && <Spinner />}
      {result && <Success>{t('admin.units.import.ok', { created: formatNumber(result.created), updated: formatNumber(result.updated), unchanged: formatNumber(result.unchanged) })}</Success>}
      {error && error.code === 'empty' && (
        <p class="error" role="alert">
          {error.message}
        </p>
      )}
      {error && error.code !== 'empty' && !rows && <Problem error={error} />}
      {rows && (
        <div class="admin-import-errors" tabIndex={-1} ref={errorsRef}>
          <p class="error" role="alert">
            {t('admin.units.import.failed', { n: formatNumber(rows.length) })}
          </p>
          <table class="admin-table">
            <caption class="visually-hidden">{t('admin.units.import.failed', { n: rows.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.units.import.line')}</th>
                <th scope="col">{t('admin.units.import.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  <td class="admin-num">{r.line ?? '—'}</td>
                  <td>{r.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </form>
  );
}

function UnitRow({ u, names, provinces, onSaved }) {
  const [editing, setEditing] = useState(false);
  const [done, setDone] = useState('');
  return (
    <>
      <tr data-code={u.code}>
        <th scope="row">
          <code>{u.code}</code>
        </th>
        <td data-label={t('admin.units.name')}>{u.name}</td>
        <td data-label={t('admin.units.parent')}>
          {u.parent_code ? (
            <>
              {names.get(u.parent_code) || ''} <span class="muted">({u.parent_code})</span>
            </>
          ) : (
            <span class="muted">—</span>
          )}
        </td>
        <td data-label={t('admin.units.province')}>{u.province || <span class="muted">—</span>}</td>
        <td data-label={t('admin.units.level')}>{u.level ? t(`level.${u.level}`) : <span class="muted">—</span>}</td>
        <td class="admin-actcell">
          <button type="button" class="link" aria-expanded={editing} aria-label={`${t('admin.units.edit')} ${u.code}`} onClick={() => setEditing(!editing)}>
            {t('admin.units.edit')}
          </button>
        </td>
      </tr>
      {(editing || done) && (
        <tr class="admin-detailrow">
          <td colSpan={6}>
            {editing && (
              <UnitForm
                unit={u}
                provinces={provinces}
                onCancel={() => setEditing(false)}
                onSaved={(saved) => {
                  setEditing(false);
                  setDone(t('admin.units.saved', { code: u.code }));
                  onSaved(saved);
                }}
              />
            )}
            <Success>{done}</Success>
          </td>
        </tr>
      )}
    </>
  );
}

export function UnitsPage() {
  useTitle(t('admin.units.title'));
  const [q, setQ] = useState('');
  const [province, setProvince] = useState('');
  const [level, setLevel] = useState('');
  const search = useDebounced(q.trim(), 250);
  const [created, setCreated] = useState('');
  const [version, setVersion] = useState(0); // reloads after a change
  const seen = useRef(new Set(PROVINCES));
  const names = useRef(new Map());
  const list = usePagedList(async (cursor) => {
    const r = await get(`/api/v1/units${query({ q: search, province, level, limit: 500, cursor })}`);
    for (const u of r.items) {
      if (u.province) seen.current.add(u.province);
      names.current.set(u.code, u.name);
    }
    return r;
  }, [search, province, level, version]);
  const { items, setItems, next, loading, error, load } = list;

  // Parents that are not on this page of the list (another province, or
  // past the first page): their names, asked once each, for the parent column.
  const asked = useRef(new Set());
  const [, setNamesVersion] = useState(0);
  useEffect(() => {
    const missing = [...new Set(items.map((u) => u.parent_code))].filter((c) => c && !names.current.has(c) && !asked.current.has(c)).slice(0, 20);
    if (!missing.length) return;
    missing.forEach((c) => asked.current.add(c));
    Promise.all(missing.map((c) => get(`/api/v1/units${query({ q: c, limit: 10 })}`).catch(() => ({ items: [] })))).then((pages) => {
      for (const p of pages) for (const u of p.items) names.current.set(u.code, u.name);
      setNamesVersion((n) => n + 1);
    });
  }, [items]);

  const provinces = [...seen.current].sort((a, b) => a.localeCompare(b, 'vi'));
  const exportHref = '/api/v1/units/export';

  return (
    <section class="stack admin">
      <div class="row admin-head">
        <h1>{t('admin.units.title')}</h1>
        <a class="admin-button" href={exportHref} download>
          {t('admin.units.export')}
        </a>
      </div>
      <div class="admin-two">
        <UnitForm
          provinces={provinces}
          onSaved={(u) => {
            setCreated(t('admin.units.created', { code: u.code }));
            setVersion((v) => v + 1);
          }}
        />
        <ImportUnits onImported={() => setVersion((v) => v + 1)} />
      </div>
      <Success>{created}</Success>
      <div class="admin-toolbar" role="search">
        <label>
          {t('admin.units.search')}
          <input type="search" value={q} placeholder={t('admin.units.search.placeholder')} autocomplete="off" onInput={(e) => setQ(e.target.value)} />
        </label>
        <label>
          {t('admin.units.province')}
          <select value={province} onChange={(e) => setProvince(e.target.value)}>
            <option value="">{t('common.all')}</option>
            {provinces.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('admin.units.level')}
          <LevelSelect value={level} onChange={setLevel} empty={t('common.all')} />
        </label>
      </div>
      <Problem error={error} />
      <p class="muted" aria-live="polite">
        {!loading && (next ? t('admin.units.countmore', { n: formatNumber(items.length) }) : t('admin.units.count', { n: formatNumber(items.length) }))}
      </p>
      <div class="admin-scroll">
        <table class="admin-table admin-stack" data-table="units">
          <caption class="visually-hidden">{t('admin.units.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('admin.units.code')}</th>
              <th scope="col">{t('admin.units.name')}</th>
              <th scope="col">{t('admin.units.parent')}</th>
              <th scope="col">{t('admin.units.province')}</th>
              <th scope="col">{t('admin.units.level')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('admin.users.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((u) => (
              <UnitRow
                key={u.code}
                u={u}
                names={names.current}
                provinces={provinces}
                onSaved={(saved) => {
                  names.current.set(saved.code, saved.name);
                  setItems((prev) => prev.map((x) => (x.code === saved.code ? saved : x)));
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
      {!loading && !items.length && !error && <p>{t('admin.units.empty')}</p>}
      {loading && <Spinner />}
      {next && !loading && (
        <button type="button" onClick={() => load(next)}>
          {t('admin.more')}
        </button>
      )}
    </section>
  );
}
