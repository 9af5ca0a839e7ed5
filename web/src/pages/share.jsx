// Placeholder until this page is built.
import { t } from '../i18n.js';
import { useTitle } from '../components.jsx';

export function ShareLandingPage() {
  useTitle('ShareLandingPage');
  return <p>{t('common.notfound')}</p>;
}
