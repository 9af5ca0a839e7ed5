// kho's web UI: the shell (header, navigation, language) and the route
// table. Each page lives in pages/ and registers its own messages.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, match, navigate, useLocation } from './router.js';
import { language, setLang, t } from './i18n.js';
import { useSignal } from './state.js';
import { canUpload, isStaff, loadMe, me, signOut } from './session.js';
import { ErrorBox, Spinner } from './components.jsx';
import { LoginPage } from './pages/login.jsx';
import { CatalogPage } from './pages/catalog.jsx';
import { AssetPage } from './pages/asset.jsx';
import { UploadPage } from './pages/upload.jsx';
import { MyMaterialsPage } from './pages/my.jsx';
import { ReviewsPage } from './pages/reviews.jsx';
import { PressKitsPage, PressKitPage } from './pages/press.jsx';
import { ShareLandingPage } from './pages/share.jsx';
import { UsersPage, UnitsPage } from './pages/admin.jsx';
import { ReportsPage } from './pages/reports.jsx';
import { AccountPage } from './pages/account.jsx';

// pattern, page, who may open it (null: anyone, even signed out)
const routes = [
  ['/s/{token}', ShareLandingPage, null],
  ['/login', LoginPage, null],
  ['/', CatalogPage, () => true],
  ['/catalog', CatalogPage, () => true],
  ['/assets/{id}', AssetPage, () => true],
  ['/upload', UploadPage, canUpload],
  ['/my', MyMaterialsPage, canUpload],
  ['/reviews', ReviewsPage, isStaff],
  ['/press-kits', PressKitsPage, () => true],
  ['/press-kits/{id}', PressKitPage, () => true],
  ['/admin/users', UsersPage, (u) => u.role === 'admin'],
  ['/admin/units', UnitsPage, (u) => u.role === 'admin'],
  ['/admin/reports', ReportsPage, isStaff],
  ['/account', AccountPage, () => true],
];

function Nav({ user }) {
  const [open, setOpen] = useState(false);
  const { path } = useLocation();
  const items = [
    ['/catalog', 'nav.catalog', true],
    ['/upload', 'nav.upload', canUpload(user)],
    ['/my', 'nav.my', canUpload(user)],
    ['/reviews', 'nav.reviews', isStaff(user)],
    ['/press-kits', 'nav.press', isStaff(user) || user.role === 'journalist'],
    ['/admin/reports', 'nav.reports', isStaff(user)],
    ['/admin/users', 'nav.users', user.role === 'admin'],
    ['/admin/units', 'nav.units', user.role === 'admin'],
  ].filter((i) => i[2]);
  return (
    <nav aria-label={t('nav.menu')}>
      <button type="button" class="menu-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('nav.menu')}
      </button>
      <ul class={open ? 'open' : ''}>
        {items.map(([href, key]) => (
          <li key={href}>
            <Link href={href} aria-current={path.startsWith(href) ? 'page' : undefined} onClick={() => setOpen(false)}>
              {t(key)}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Header({ user }) {
  const l = useSignal(language);
  return (
    <header class="top">
      <a class="skip" href="#main">{t('nav.skip')}</a>
      <Link href="/" class="brand">
        <span class="logo" aria-hidden="true" />
        <span>
          <strong>{t('app.name')}</strong>
          <small>{t('app.owner')}</small>
        </span>
      </Link>
      {user && <Nav user={user} />}
      <div class="tools">
        <button type="button" class="link" lang={l === 'vi' ? 'en' : 'vi'} onClick={() => setLang(l === 'vi' ? 'en' : 'vi')}>
          {t('lang.switch')}
        </button>
        {user && (
          <>
            <Link href="/account" class="user">{user.display_name}</Link>
            <button
              type="button"
              class="link"
              onClick={async () => {
                await signOut();
                navigate('/login');
              }}
            >
              {t('nav.signout')}
            </button>
          </>
        )}
      </div>
    </header>
  );
}

function App() {
  const user = useSignal(me);
  useSignal(language);
  const { path } = useLocation();
  const [error, setError] = useState(null);
  useEffect(() => {
    if (user === undefined) loadMe().catch(setError);
  }, [user]);

  let page = null;
  let params = {};
  let allowed = null;
  for (const [pattern, component, who] of routes) {
    const m = match(pattern, path);
    if (m) {
      page = component;
      params = m;
      allowed = who;
      break;
    }
  }

  let body;
  if (error) body = <ErrorBox error={error} onRetry={() => location.reload()} />;
  else if (!page) body = <p>{t('common.notfound')}</p>;
  else if (allowed === null) body = h(page, { params });
  else if (user === undefined) body = <Spinner />;
  else if (user === null || user.must_change_password) {
    if (path !== '/login') {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      body = <Spinner />;
    }
  } else if (!allowed(user)) body = <p>{t('common.notfound')}</p>;
  else body = h(page, { params, user });

  return (
    <>
      <Header user={user && !user.must_change_password ? user : null} />
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

import { h } from 'preact';

document.documentElement.lang = language.value;
render(<App />, document.getElementById('app'));
