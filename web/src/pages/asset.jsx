// One material: its preview (an image to zoom, a video, a podcast with its
// waveform), metadata, the files to download with their sizes and, for
// staff and designers, its versions. Designers and reviewers get their
// panels (pages/designer_panel.jsx, pages/review_panel.jsx).
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.js';
import { register, t } from '../i18n.js';
import { Link, useLocation } from '../router.js';
import { formatDate, formatDateTime, formatDuration, formatSize } from '../format.js';
import { ErrorBox, Spinner, StateBadge, useTitle } from '../components.jsx';
import { canUpload, isStaff } from '../session.js';
import { DesignerPanel } from './designer_panel.jsx';
import { ReviewPanel, describeAudience, describeWindow } from './review_panel.jsx';

register({
  vi: {
    'asset.back': 'Thư viện',
    'asset.versions': 'Phiên bản',
    'asset.notfound': 'Không tìm thấy tài liệu này, hoặc bạn không có quyền xem.',
    'asset.trashed': 'Tài liệu này đang ở thùng rác.',
    'asset.preview': 'Xem trước',
    'asset.preview.pending': 'Đang tạo bản xem trước…',
    'asset.preview.failed': 'Không tạo được bản xem trước: {error}',
    'asset.preview.none': 'Không có bản xem trước cho loại tệp này. Hãy tải bản gốc xuống để xem.',
    'asset.zoom.fit': 'Vừa khung',
    'asset.zoom.full': 'Kích thước thật (100%)',
    'asset.zoom.group': 'Cỡ ảnh',
    'asset.zoom.hint.fit': 'Nhấn vào ảnh để xem kích thước thật.',
    'asset.zoom.hint.full': 'Đang xem ở 100% ({w}×{h} điểm ảnh). Nhấn vào ảnh hoặc phím Esc để thu vừa khung.',
    'asset.zoom.scroll': 'Ảnh ở kích thước thật, cuộn để xem',
    'asset.video.unsupported': 'Trình duyệt không phát được video này; hãy tải xuống để xem.',
    'asset.video.pending': 'Video 720p đang được tạo; hãy quay lại sau ít phút.',
    'asset.audio.unsupported': 'Trình duyệt không phát được âm thanh này; hãy tải xuống để nghe.',
    'asset.audio.player': 'Trình phát podcast',
    'asset.waveform': 'Dạng sóng âm thanh, dài {d}. Nhấn vào để tua.',
    'asset.details': 'Thông tin',
    'asset.kind': 'Loại',
    'asset.campaign': 'Chiến dịch',
    'asset.tags': 'Thẻ',
    'asset.created': 'Ngày tạo',
    'asset.version': 'Phiên bản đang xem',
    'asset.version.n': 'Phiên bản {n}',
    'asset.uploaded': 'Ngày tải lên',
    'asset.approved': 'Ngày phê duyệt',
    'asset.window': 'Thời hạn sử dụng',
    'asset.audience': 'Đối tượng nhận',
    'asset.filename': 'Tệp gốc',
    'asset.dimensions': 'Độ phân giải',
    'asset.duration': 'Thời lượng',
    'asset.pages': 'Số trang',
    'asset.files': 'Tải xuống',
    'asset.files.none': 'Chưa có tệp để tải xuống.',
    'asset.file.print': 'Bản in gốc',
    'asset.file.original': 'Bản gốc',
    'asset.file.web': 'Ảnh cho web',
    'asset.file.video_720p': 'Video 720p',
    'asset.file.audio_mp3': 'Podcast MP3',
    'asset.file.audio_m4a': 'Podcast M4A',
    'asset.v.number': 'Số',
    'asset.v.state': 'Trạng thái',
    'asset.v.uploaded': 'Tải lên',
    'asset.v.size': 'Dung lượng',
    'asset.v.file': 'Tệp',
    'asset.v.view': 'Xem phiên bản {n}',
    'asset.v.current': 'đang xem',
  },
  en: {
    'asset.back': 'Library',
    'asset.versions': 'Versions',
    'asset.notfound': 'This material does not exist, or you may not see it.',
    'asset.trashed': 'This material is in the trash.',
    'asset.preview': 'Preview',
    'asset.preview.pending': 'Making the preview…',
    'asset.preview.failed': 'The preview could not be made: {error}',
    'asset.preview.none': 'There is no preview for this type of file. Download the original to see it.',
    'asset.zoom.fit': 'Fit',
    'asset.zoom.full': 'Actual size (100%)',
    'asset.zoom.group': 'Image size',
    'asset.zoom.hint.fit': 'Click the image to see it at actual size.',
    'asset.zoom.hint.full': 'Showing 100% ({w}×{h} pixels). Click the image or press Esc to fit it.',
    'asset.zoom.scroll': 'The image at actual size; scroll to see it all',
    'asset.video.unsupported': 'Your browser cannot play this video; download it instead.',
    'asset.video.pending': 'The 720p video is being made; come back in a few minutes.',
    'asset.audio.unsupported': 'Your browser cannot play this audio; download it instead.',
    'asset.audio.player': 'Podcast player',
    'asset.waveform': 'Audio waveform, {d} long. Click to seek.',
    'asset.details': 'Details',
    'asset.kind': 'Kind',
    'asset.campaign': 'Campaign',
    'asset.tags': 'Tags',
    'asset.created': 'Created',
    'asset.version': 'Version shown',
    'asset.version.n': 'Version {n}',
    'asset.uploaded': 'Uploaded',
    'asset.approved': 'Approved',
    'asset.window': 'Valid',
    'asset.audience': 'Audience',
    'asset.filename': 'Original file',
    'asset.dimensions': 'Resolution',
    'asset.duration': 'Duration',
    'asset.pages': 'Pages',
    'asset.files': 'Download',
    'asset.files.none': 'No file to download yet.',
    'asset.file.print': 'Print original',
    'asset.file.original': 'Original',
    'asset.file.web': 'Web image',
    'asset.file.video_720p': '720p video',
    'asset.file.audio_mp3': 'Podcast MP3',
    'asset.file.audio_m4a': 'Podcast M4A',
    'asset.v.number': 'No.',
    'asset.v.state': 'State',
    'asset.v.uploaded': 'Uploaded',
    'asset.v.size': 'Size',
    'asset.v.file': 'File',
    'asset.v.view': 'View version {n}',
    'asset.v.current': 'shown',
  },
});

// The renditions a person downloads, in the catalog's order (thumbnails and
// previews are for the screen).
const OFFERED = ['web', 'video_720p', 'audio_mp3', 'audio_m4a'];
const EXT = { 'image/jpeg': 'jpg', 'image/webp': 'webp', 'video/mp4': 'mp4', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a' };

const base = (asset, version) => `/api/v1/assets/${asset.id}/versions/${version.number}`;
const renditionUrl = (asset, version, name) => `${base(asset, version)}/renditions/${name}`;

function rendition(version, name) {
  return version?.renditions?.find((r) => r.name === name);
}
function made(version, name) {
  const r = rendition(version, name);
  return r && r.state === 'done' ? r : null;
}

function isPrintable(type) {
  return type?.startsWith('image/') || type === 'application/pdf';
}

// What a person downloads: the original and the offered renditions, with
// the catalog's labels and sizes.
export function filesOf(asset, version) {
  if (!version) return [];
  const files = [{
    name: 'original',
    label: t(isPrintable(version.content_type) ? 'asset.file.print' : 'asset.file.original'),
    size: version.size,
    type: version.content_type,
    url: `${base(asset, version)}/original`,
    download: '', // the server's Content-Disposition names it
  }];
  for (const name of OFFERED) {
    const r = made(version, name);
    if (!r) continue;
    const ext = EXT[r.content_type] || 'bin';
    files.push({
      name,
      label: t(`asset.file.${name}`),
      size: r.size,
      type: r.content_type,
      width: r.width,
      height: r.height,
      duration: r.duration,
      url: renditionUrl(asset, version, name),
      download: `${asset.title} (${t(`asset.file.${name}`)}).${ext}`,
    });
  }
  return files;
}

function mediaKind(version) {
  const type = version?.content_type || '';
  if (type.startsWith('video/') || rendition(version, 'video_720p')) return 'video';
  if (type.startsWith('audio/') || rendition(version, 'audio_m4a') || rendition(version, 'audio_mp3')) return 'audio';
  if (isPrintable(type) || rendition(version, 'preview')) return 'image';
  return 'none';
}

// ---- image: fit, or 100 % in a scrolling frame --------------------------

function ImagePreview({ asset, version }) {
  const [full, setFull] = useState(false);
  const frame = useRef(null);
  const small = made(version, 'preview') || made(version, 'preview_jpeg') || made(version, 'web');
  const big = made(version, 'web') || small;
  useEffect(() => setFull(false), [version.number]);
  useEffect(() => {
    if (full && frame.current) frame.current.focus();
  }, [full]);
  if (!small) return <PendingPreview version={version} names={['preview', 'preview_jpeg', 'web']} />;
  const shown = full ? big : small;
  const onKey = (e) => {
    if (e.key === 'Escape' && full) {
      e.preventDefault();
      setFull(false);
    }
  };
  return (
    <figure class="asset-figure">
      <div class="row asset-zoom-tools" role="group" aria-label={t('asset.zoom.group')}>
        <button type="button" class="chip" aria-pressed={!full} onClick={() => setFull(false)}>
          {t('asset.zoom.fit')}
        </button>
        <button type="button" class="chip" aria-pressed={full} onClick={() => setFull(true)}>
          {t('asset.zoom.full')}
        </button>
      </div>
      <div
        ref={frame}
        class={full ? 'asset-image asset-image-full' : 'asset-image'}
        tabIndex={full ? 0 : undefined}
        role={full ? 'region' : undefined}
        aria-label={full ? t('asset.zoom.scroll') : undefined}
        onKeyDown={onKey}
      >
        <img
          src={renditionUrl(asset, version, full ? big.name : small.name)}
          alt={asset.title}
          width={shown.width}
          height={shown.height}
          data-rendition={shown.name}
          onClick={() => setFull(!full)}
        />
      </div>
      <figcaption class="muted">
        {full ? t('asset.zoom.hint.full', { w: big.width, h: big.height }) : t('asset.zoom.hint.fit')}
      </figcaption>
    </figure>
  );
}

// ---- video ---------------------------------------------------------------

function VideoPreview({ asset, version }) {
  const video = made(version, 'video_720p');
  const poster = made(version, 'preview_jpeg') || made(version, 'preview');
  if (!video) {
    if (poster) {
      return (
        <figure class="asset-figure">
          <img class="asset-poster" src={renditionUrl(asset, version, poster.name)} alt={asset.title} width={poster.width} height={poster.height} />
          <figcaption class="muted"><PendingPreview version={version} names={['video_720p']} /></figcaption>
        </figure>
      );
    }
    return <PendingPreview version={version} names={['video_720p']} />;
  }
  return (
    <figure class="asset-figure">
      <video
        class="asset-video"
        controls
        preload="metadata"
        playsInline
        src={renditionUrl(asset, version, 'video_720p')}
        poster={poster ? renditionUrl(asset, version, poster.name) : undefined}
        width={video.width}
        height={video.height}
        aria-label={asset.title}
      >
        {t('asset.video.unsupported')}
      </video>
    </figure>
  );
}

// ---- audio: a player and its waveform -----------------------------------

function Waveform({ asset, version, audio, time }) {
  const [wave, setWave] = useState(null);
  const [failed, setFailed] = useState(false);
  const ready = made(version, 'waveform');
  useEffect(() => {
    setWave(null);
    setFailed(false);
    if (!ready) return;
    let live = true;
    get(renditionUrl(asset, version, 'waveform'))
      .then((w) => live && setWave(w))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [asset.id, version.number, ready?.sha256]);
  const picture = made(version, 'thumb');
  if (!wave || !Array.isArray(wave.points) || !wave.points.length) {
    // The picture of the waveform while the numbers load (or if they fail).
    if (picture && (failed || !ready)) {
      return <img class="asset-wave-img" src={renditionUrl(asset, version, 'thumb')} alt="" width={picture.width} height={picture.height} />;
    }
    return null;
  }
  const n = wave.points.length;
  const peak = (p) => Math.max(0.01, Math.min(1, Number(p) || 0)) * 48;
  let top = 'M0 50';
  let bottom = '';
  wave.points.forEach((p, i) => {
    top += `L${i + 0.5} ${(50 - peak(p)).toFixed(2)}`;
    bottom = `L${i + 0.5} ${(50 + peak(p)).toFixed(2)}` + bottom;
  });
  const d = `${top}L${n} 50${bottom}Z`;
  const duration = wave.duration || audio.current?.duration || 0;
  const played = duration ? Math.min(1, time / duration) * n : 0;
  const clip = `asset-wave-${asset.id}-${version.number}`;
  const seek = (e) => {
    const el = audio.current;
    if (!el || !duration) return;
    const box = e.currentTarget.getBoundingClientRect();
    el.currentTime = Math.max(0, Math.min(1, (e.clientX - box.left) / box.width)) * duration;
  };
  return (
    <svg
      class="asset-wave"
      viewBox={`0 0 ${n} 100`}
      preserveAspectRatio="none"
      role="img"
      aria-label={t('asset.waveform', { d: formatDuration(duration) })}
      data-points={n}
      onClick={seek}
    >
      <defs>
        <clipPath id={clip}>
          <rect x="0" y="0" width={played} height="100" />
        </clipPath>
      </defs>
      <line class="asset-wave-axis" x1="0" y1="50" x2={n} y2="50" />
      <path class="asset-wave-base" d={d} />
      <path class="asset-wave-played" d={d} clip-path={`url(#${clip})`} />
    </svg>
  );
}

function AudioPreview({ asset, version }) {
  const audio = useRef(null);
  const [time, setTime] = useState(0);
  const m4a = made(version, 'audio_m4a');
  const mp3 = made(version, 'audio_mp3');
  useEffect(() => {
    const el = audio.current;
    if (!el) return;
    const tick = () => setTime(el.currentTime);
    el.addEventListener('timeupdate', tick);
    el.addEventListener('seeked', tick);
    return () => {
      el.removeEventListener('timeupdate', tick);
      el.removeEventListener('seeked', tick);
    };
  }, [m4a?.sha256, mp3?.sha256]);
  if (!m4a && !mp3) return <PendingPreview version={version} names={['audio_m4a', 'audio_mp3']} />;
  return (
    <figure class="asset-figure asset-audio">
      <Waveform asset={asset} version={version} audio={audio} time={time} />
      <audio ref={audio} controls preload="metadata" aria-label={t('asset.audio.player')}>
        {m4a && <source src={renditionUrl(asset, version, 'audio_m4a')} type="audio/mp4" />}
        {mp3 && <source src={renditionUrl(asset, version, 'audio_mp3')} type="audio/mpeg" />}
        {t('asset.audio.unsupported')}
      </audio>
    </figure>
  );
}

function PendingPreview({ version, names }) {
  const rs = (version.renditions || []).filter((r) => names.includes(r.name));
  const failed = rs.find((r) => r.state === 'failed');
  if (failed) return <p class="notice">{t('asset.preview.failed', { error: failed.error || '' })}</p>;
  if (rs.length || (version.renditions || []).some((r) => r.state !== 'done' && r.state !== 'failed')) {
    return <p class="muted" role="status">{t('asset.preview.pending')}</p>;
  }
  return <p class="muted">{t('asset.preview.none')}</p>;
}

function Preview({ asset, version }) {
  const kind = mediaKind(version);
  if (kind === 'video') return <VideoPreview asset={asset} version={version} />;
  if (kind === 'audio') return <AudioPreview asset={asset} version={version} />;
  if (kind === 'image') return <ImagePreview asset={asset} version={version} />;
  return <PendingPreview version={version} names={[]} />;
}

// ---- files, details, versions --------------------------------------------

function Files({ asset, version }) {
  const files = filesOf(asset, version);
  return (
    <section class="card asset-files" aria-labelledby="asset-files-h">
      <h2 id="asset-files-h">{t('asset.files')}</h2>
      {!files.length && <p class="muted">{t('asset.files.none')}</p>}
      <ul>
        {files.map((f) => (
          <li key={f.name} data-file={f.name}>
            <a href={f.url} download={f.download}>
              <span class="asset-file-label">{f.label}</span>{' '}
              <span class="asset-file-size">{formatSize(f.size)}</span>
            </a>
            <span class="muted asset-file-info">
              {[
                (EXT[f.type] || f.type?.split('/')[1] || '').toUpperCase(),
                f.width && f.height ? `${f.width}×${f.height}` : '',
                f.duration ? formatDuration(f.duration) : '',
              ].filter(Boolean).join(' · ')}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Details({ asset, version, staffish }) {
  const media = version?.media || {};
  const rows = [
    ['asset.kind', t(`kind.${asset.kind}`)],
    ['asset.campaign', asset.campaign],
    ['asset.tags', asset.tags?.length ? (
      <ul class="asset-tags">{asset.tags.map((tag) => <li key={tag}><Link href={`/catalog?tag=${encodeURIComponent(tag)}`} class="chip">{tag}</Link></li>)}</ul>
    ) : null],
    ['asset.created', formatDate(asset.created_at)],
    ['asset.version', version && (staffish || version.number > 1) ? t('asset.version.n', { n: version.number }) : null],
    ['asset.uploaded', version && formatDate(version.created_at)],
    ['asset.approved', version?.state === 'approved' || version?.state === 'archived' ? formatDate(version.reviewed?.at) : null],
    ['asset.window', version?.audience ? describeWindow(version.valid_from, version.valid_until) : null],
    ['asset.audience', staffish && version?.audience ? describeAudience(version.audience) : null],
    ['asset.filename', version?.file_name],
    ['asset.dimensions', media.width && media.height ? `${media.width}×${media.height}` : null],
    ['asset.duration', media.duration ? formatDuration(media.duration) : null],
    ['asset.pages', media.pages > 1 ? String(media.pages) : null],
  ].filter(([, v]) => v);
  return (
    <section class="card asset-details" aria-labelledby="asset-details-h">
      <h2 id="asset-details-h">{t('asset.details')}</h2>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k} class="asset-dl-row">
            <dt>{t(k)}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Versions({ asset, versions, shown }) {
  return (
    <section class="asset-versions" aria-labelledby="asset-versions-h">
      <h2 id="asset-versions-h">{t('asset.versions')}</h2>
      <div class="asset-table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('asset.v.number')}</th>
              <th scope="col">{t('asset.v.state')}</th>
              <th scope="col">{t('asset.v.uploaded')}</th>
              <th scope="col">{t('asset.v.size')}</th>
              <th scope="col" class="asset-v-file">{t('asset.v.file')}</th>
            </tr>
          </thead>
          <tbody>
            {[...versions].reverse().map((v) => (
              <tr key={v.number} class={v.number === shown?.number ? 'asset-v-current' : undefined}>
                <td>
                  <Link
                    href={`/assets/${asset.id}?v=${v.number}`}
                    aria-current={v.number === shown?.number ? 'true' : undefined}
                    aria-label={t('asset.v.view', { n: v.number })}
                  >
                    {v.number}
                  </Link>
                  {v.number === shown?.number && <span class="muted"> ({t('asset.v.current')})</span>}
                </td>
                <td><StateBadge state={v.state} /></td>
                <td>{formatDateTime(v.created_at)}</td>
                <td>{formatSize(v.size)}</td>
                <td class="asset-wrap asset-v-file">{v.file_name}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function AssetPage({ params, user }) {
  const { query } = useLocation();
  const [asset, setAsset] = useState(null);
  const [versions, setVersions] = useState(null);
  const [error, setError] = useState(null);
  const seq = useRef(0);
  const load = async () => {
    const mine = ++seq.current;
    setError(null);
    try {
      const [a, v] = await Promise.all([
        get(`/api/v1/assets/${params.id}`),
        get(`/api/v1/assets/${params.id}/versions`),
      ]);
      if (mine !== seq.current) return;
      setAsset(a);
      setVersions(v.items);
    } catch (e) {
      if (mine === seq.current) setError(e);
    }
  };
  useEffect(() => {
    setAsset(null);
    setVersions(null);
    load();
  }, [params.id]);

  const wanted = Number(query.get('v')) || 0;
  const shown = versions && (versions.find((v) => v.number === wanted) || versions[versions.length - 1]);

  // While renditions are being made, look again every few seconds.
  const making = shown?.renditions?.some((r) => r.state === 'pending' || r.state === 'running');
  useEffect(() => {
    if (!making) return;
    const id = setTimeout(load, 2500);
    return () => clearTimeout(id);
  }, [making, asset?.updated_at, shown?.renditions]);

  useTitle(error ? t(error.status === 404 ? 'asset.notfound' : 'common.error') : asset?.title);
  if (error) {
    if (error.status === 404) return <p class="notice">{t('asset.notfound')}</p>;
    if (error.status === 410) return <p class="notice">{t('asset.trashed')}</p>;
    return <ErrorBox error={error} onRetry={load} />;
  }
  if (!asset || !versions) return <Spinner />;
  const staffish = canUpload(user) || isStaff(user);
  return (
    <article class="stack asset-page">
      <p class="asset-back">
        <Link href="/catalog">← {t('asset.back')}</Link>
      </p>
      <header>
        <h1>{asset.title}</h1>
        <p class="muted">
          {t(`kind.${asset.kind}`)}
          {asset.campaign && <> · {asset.campaign}</>}
          {staffish && shown && <> · {t('asset.version.n', { n: shown.number })} <StateBadge state={shown.state} /></>}
        </p>
      </header>
      {asset.deleted_at && <p class="notice">{t('asset.trashed')}</p>}
      <div class="asset-layout">
        <section class="asset-preview" aria-label={t('asset.preview')}>
          {shown ? <Preview key={shown.number} asset={asset} version={shown} /> : <p class="muted">{t('asset.preview.none')}</p>}
          {asset.description && <p class="asset-description">{asset.description}</p>}
        </section>
        <div class="stack asset-side">
          <Files asset={asset} version={shown} />
          <Details asset={asset} version={shown} staffish={staffish} />
        </div>
      </div>
      {staffish && versions.length > 0 && <Versions asset={asset} versions={versions} shown={shown} />}
      {canUpload(user) && <DesignerPanel asset={asset} versions={versions} user={user} reload={load} />}
      {isStaff(user) && <ReviewPanel asset={asset} versions={versions} user={user} reload={load} shown={shown} />}
    </article>
  );
}
