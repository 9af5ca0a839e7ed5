// Placeholder until these pages are built.
import { t } from '../i18n.js';

export function PressKitsPage() {
  return <p>{t('common.notfound')}</p>;
}
export function PressKitPage() {
  return <p>{t('common.notfound')}</p>;
}
