// Sign in, and the first sign-in's password change.
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { register, t } from '../i18n.js';
import { navigate, useLocation } from '../router.js';
import { loadMe, me, signIn } from '../session.js';
import { useSignal } from '../state.js';
import { ErrorBox, useTitle } from '../components.jsx';

register({
  vi: {
    'login.title': 'Đăng nhập',
    'login.username': 'Tên đăng nhập',
    'login.password': 'Mật khẩu',
    'login.submit': 'Đăng nhập',
    'login.change.title': 'Đặt mật khẩu mới',
    'login.change.intro': 'Đây là lần đăng nhập đầu tiên: hãy đặt mật khẩu của riêng bạn (ít nhất 10 ký tự).',
    'login.change.current': 'Mật khẩu hiện tại',
    'login.change.new': 'Mật khẩu mới',
    'login.change.submit': 'Lưu mật khẩu mới',
  },
  en: {
    'login.title': 'Sign in',
    'login.username': 'User name',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.change.title': 'Set a new password',
    'login.change.intro': 'This is your first sign-in: choose your own password (at least 10 characters).',
    'login.change.current': 'Current password',
    'login.change.new': 'New password',
    'login.change.submit': 'Save the new password',
  },
});

function next(query) {
  const n = query.get('next');
  return n && n.startsWith('/') && !n.startsWith('//') ? n : '/';
}

export function LoginPage() {
  const user = useSignal(me);
  const { query } = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [fresh, setFresh] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const changing = user && user.must_change_password;
  useTitle(changing ? t('login.change.title') : t('login.title'));

  if (user && !changing) {
    navigate(next(query), { replace: true });
    return null;
  }

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (changing) {
        await post('/api/v1/me/password', { current_password: password, new_password: fresh });
        await loadMe();
      } else {
        await signIn(username.trim(), password);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow">
      <h1>{changing ? t('login.change.title') : t('login.title')}</h1>
      {changing && <p>{t('login.change.intro')}</p>}
      <form onSubmit={submit}>
        {!changing && (
          <label>
            {t('login.username')}
            <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.target.value)} />
          </label>
        )}
        <label>
          {changing ? t('login.change.current') : t('login.password')}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.target.value)}
          />
        </label>
        {changing && (
          <label>
            {t('login.change.new')}
            <input
              name="new-password"
              type="password"
              autocomplete="new-password"
              minLength={10}
              required
              value={fresh}
              onInput={(e) => setFresh(e.target.value)}
            />
          </label>
        )}
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {changing ? t('login.change.submit') : t('login.submit')}
        </button>
      </form>
    </section>
  );
}
