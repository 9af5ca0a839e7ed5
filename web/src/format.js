// Dates as dd/mm/yyyy, sizes and durations for people, in the UI's language.
import { lang } from './i18n.js';

const locale = () => (lang() === 'vi' ? 'vi-VN' : 'en-GB');

function pad(n) {
  return String(n).padStart(2, '0');
}

// dd/mm/yyyy in Vietnam time whatever the browser's zone.
export function formatDate(iso) {
  if (!iso) return '';
  const d = new Date(new Date(iso).getTime() + 7 * 3600 * 1000);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

export function formatDateTime(iso) {
  if (!iso) return '';
  const d = new Date(new Date(iso).getTime() + 7 * 3600 * 1000);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} ${formatDate(iso)}`;
}

export function formatSize(bytes) {
  if (bytes === undefined || bytes === null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${v.toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${units[i]}`;
}

export function formatDuration(seconds) {
  if (!seconds && seconds !== 0) return '';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function formatNumber(n) {
  return Number(n || 0).toLocaleString(locale());
}

// "2026-12-01" (Vietnam day) for <input type=date> and report parameters.
export function isoDay(date = new Date()) {
  const d = new Date(date.getTime() + 7 * 3600 * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
