// Vietnamese first, English second. Each module registers its own
// messages (so pages stay self-contained); t() looks a key up in the
// current language, then in Vietnamese, then shows the key.
import { signal } from './state.js';

const messages = { vi: {}, en: {} };
const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('kho.lang') : null;
export const language = signal(stored === 'en' ? 'en' : 'vi');

export function lang() {
  return language.value;
}

export function setLang(l) {
  language.value = l === 'en' ? 'en' : 'vi';
  localStorage.setItem('kho.lang', language.value);
  document.documentElement.lang = language.value;
}

export function register(table) {
  for (const l of ['vi', 'en']) Object.assign(messages[l], table[l] || {});
}

// t('catalog.results', { n: 3 }) with "{n} kết quả".
export function t(key, vars) {
  let s = messages[language.value][key] ?? messages.vi[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

register({
  vi: {
    'app.name': 'Kho tài liệu truyền thông',
    'app.owner': 'Bộ Giáo dục và Đào tạo',
    'nav.catalog': 'Thư viện',
    'nav.upload': 'Tải lên',
    'nav.my': 'Tài liệu của tôi',
    'nav.reviews': 'Duyệt',
    'nav.press': 'Báo chí',
    'nav.users': 'Người dùng',
    'nav.units': 'Đơn vị',
    'nav.reports': 'Báo cáo',
    'nav.account': 'Tài khoản',
    'nav.signout': 'Đăng xuất',
    'nav.menu': 'Trình đơn',
    'nav.skip': 'Bỏ qua đến nội dung chính',
    'lang.switch': 'English',
    'lang.label': 'Ngôn ngữ',
    'common.loading': 'Đang tải…',
    'common.error': 'Có lỗi xảy ra',
    'common.retry': 'Thử lại',
    'common.save': 'Lưu',
    'common.cancel': 'Huỷ',
    'common.close': 'Đóng',
    'common.download': 'Tải xuống',
    'common.more': 'Xem thêm',
    'common.none': 'Không có',
    'common.search': 'Tìm kiếm',
    'common.all': 'Tất cả',
    'common.yes': 'Có',
    'common.no': 'Không',
    'common.notfound': 'Không tìm thấy trang này.',
    'state.draft': 'Bản nháp',
    'state.in_review': 'Chờ duyệt',
    'state.approved': 'Đã duyệt',
    'state.rejected': 'Bị từ chối',
    'state.archived': 'Lưu trữ',
    'kind.poster': 'Áp phích',
    'kind.infographic': 'Infographic',
    'kind.video': 'Video',
    'kind.podcast': 'Podcast',
    'kind.document': 'Tài liệu',
    'kind.other': 'Khác',
    'level.preschool': 'Mầm non',
    'level.primary': 'Tiểu học',
    'level.lower_secondary': 'THCS',
    'level.upper_secondary': 'THPT',
    'level.continuing': 'GDTX',
    'level.vocational': 'GDNN',
    'level.higher': 'GDĐH',
    'role.admin': 'Quản trị',
    'role.reviewer': 'Người duyệt',
    'role.designer': 'Thiết kế',
    'role.unit_member': 'Thành viên đơn vị',
    'role.journalist': 'Nhà báo',
    'role.worker': 'Máy xử lý media',
  },
  en: {
    'app.name': 'Communication materials repository',
    'app.owner': 'Ministry of Education and Training',
    'nav.catalog': 'Library',
    'nav.upload': 'Upload',
    'nav.my': 'My materials',
    'nav.reviews': 'Review',
    'nav.press': 'Press',
    'nav.users': 'Users',
    'nav.units': 'Units',
    'nav.reports': 'Reports',
    'nav.account': 'Account',
    'nav.signout': 'Sign out',
    'nav.menu': 'Menu',
    'nav.skip': 'Skip to main content',
    'lang.switch': 'Tiếng Việt',
    'lang.label': 'Language',
    'common.loading': 'Loading…',
    'common.error': 'Something went wrong',
    'common.retry': 'Try again',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.close': 'Close',
    'common.download': 'Download',
    'common.more': 'Show more',
    'common.none': 'None',
    'common.search': 'Search',
    'common.all': 'All',
    'common.yes': 'Yes',
    'common.no': 'No',
    'common.notfound': 'This page does not exist.',
    'state.draft': 'Draft',
    'state.in_review': 'In review',
    'state.approved': 'Approved',
    'state.rejected': 'Rejected',
    'state.archived': 'Archived',
    'kind.poster': 'Poster',
    'kind.infographic': 'Infographic',
    'kind.video': 'Video',
    'kind.podcast': 'Podcast',
    'kind.document': 'Document',
    'kind.other': 'Other',
    'level.preschool': 'Preschool',
    'level.primary': 'Primary',
    'level.lower_secondary': 'Lower secondary',
    'level.upper_secondary': 'Upper secondary',
    'level.continuing': 'Continuing education',
    'level.vocational': 'Vocational',
    'level.higher': 'Higher education',
    'role.admin': 'Administrator',
    'role.reviewer': 'Reviewer',
    'role.designer': 'Designer',
    'role.unit_member': 'Unit member',
    'role.journalist': 'Journalist',
    'role.worker': 'Media worker',
  },
});
