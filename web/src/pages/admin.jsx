// Placeholder until these pages are built.
import { t } from '../i18n.js';

export function UsersPage() {
  return <p>{t('common.notfound')}</p>;
}
export function UnitsPage() {
  return <p>{t('common.notfound')}</p>;
}
