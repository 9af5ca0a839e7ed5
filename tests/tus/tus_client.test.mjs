// End-to-end tests of kho's tus 1.0 endpoint (/api/v1/uploads) with the real
// tus-js-client, as Uppy and other JavaScript uploaders use it.
//
// Every test starts its own kho-server (path in KHO_SERVER_PATH) on an
// ephemeral loopback port in a fresh temporary directory, and removes both
// afterwards. The data is random; the server runs with --allowed-types '*'
// unless a test is about refused types.
//
//   cd tests/tus && npm ci && KHO_SERVER_PATH=/path/to/kho-server node --test tus_client.test.mjs
//
// Set KHO_TUS_KEEP=1 to keep the temporary directories (server log, access
// log, data) for inspection.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';

import * as tus from 'tus-js-client';

const SERVER_PATH = process.env.KHO_SERVER_PATH;
const MiB = 1024 * 1024;
// 40 characters; KHO_ADMIN_TOKEN makes the server accept it as the admin.
const TOKEN = `kho_tus_e2e_${randomBytes(14).toString('hex')}`;
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const TEST_TIMEOUT = 180_000;

if (!SERVER_PATH || !existsSync(SERVER_PATH)) {
  throw new Error(`KHO_SERVER_PATH must name the kho-server binary (got ${SERVER_PATH ?? 'nothing'})`);
}

// ---------------------------------------------------------------------------
// kho-server processes

const liveServers = new Set();
process.on('exit', () => {
  for (const s of liveServers) {
    try {
      s.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

class KhoServer {
  constructor(root, { allowAllTypes = true, extraArgs = [] } = {}) {
    this.root = root;
    this.dataDir = path.join(root, 'data');
    this.portFile = path.join(root, 'port');
    this.accessLogPath = path.join(this.dataDir, '..', 'access.log');
    this.serverLogPath = path.join(root, 'server.log');
    this.allowAllTypes = allowAllTypes;
    this.extraArgs = extraArgs;
    this.child = null;
    this.port = 0;
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  get endpoint() {
    return `${this.base}/api/v1/uploads`;
  }

  // Starts (or restarts, on the same data directory) and waits for /readyz.
  async start() {
    assert.equal(this.child, null, 'server already running');
    await mkdir(this.root, { recursive: true });
    await rm(this.portFile, { force: true });
    const args = [
      '--data-dir', this.dataDir,
      '--listen', '127.0.0.1:0',
      '--port-file', this.portFile,
      '--access-log', this.accessLogPath,
      '--threads', '2',
    ];
    if (this.allowAllTypes) args.push('--allowed-types', '*');
    args.push(...this.extraArgs);
    // kho-server reads KHO_* variables as option defaults: none from the
    // caller's shell may change the server under test.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KHO_')));
    env.KHO_ADMIN_TOKEN = TOKEN;
    // Leaks are the unit tests' business; here a leak report must not turn a
    // graceful shutdown into a failure exit status (sanitizer builds).
    env.ASAN_OPTIONS = [process.env.ASAN_OPTIONS, 'detect_leaks=0'].filter(Boolean).join(':');
    const log = openSync(this.serverLogPath, 'a');
    const child = spawn(SERVER_PATH, args, { env, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    liveServers.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        liveServers.delete(this);
        resolve({ code, signal });
      });
    });
    let exitedEarly = null;
    this.exited.then((e) => {
      exitedEarly = e;
    });

    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (exitedEarly) {
        throw new Error(`kho-server exited at start (${JSON.stringify(exitedEarly)}):\n${this.log()}`);
      }
      let port = 0;
      try {
        port = Number.parseInt(readFileSync(this.portFile, 'utf8'), 10);
      } catch {
        // not written yet
      }
      if (port > 0) {
        this.port = port;
        try {
          const r = await fetch(`${this.base}/readyz`);
          await r.arrayBuffer();
          if (r.status === 200) return this;
        } catch {
          // not accepting yet
        }
      }
      await sleep(25);
    }
    throw new Error(`kho-server did not become ready:\n${this.log()}`);
  }

  // SIGTERM; resolves to {code, signal}.
  async stop() {
    if (!this.child) return null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 30_000);
    const e = await this.exited;
    clearTimeout(timer);
    this.child = null;
    return e;
  }

  // SIGKILL: a crash, as far as the server can tell.
  async crash() {
    if (!this.child) return null;
    this.child.kill('SIGKILL');
    const e = await this.exited;
    this.child = null;
    return e;
  }

  log() {
    try {
      return readFileSync(this.serverLogPath, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  // The access log as parsed JSON lines.
  accessLog() {
    let text = '';
    try {
      text = readFileSync(this.accessLogPath, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
  }

  // Waits until `predicate(lines)` holds for the access log.
  async waitForLog(predicate, what, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.accessLog();
      if (predicate(lines)) return lines;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what} in the access log:\n${JSON.stringify(lines.slice(-10), null, 1)}`);
      }
      await sleep(25);
    }
  }

  async request(method, pathAndQuery, { headers = {}, body } = {}) {
    return fetch(`${this.base}${pathAndQuery}`, {
      method,
      headers: { ...AUTH, ...headers },
      body,
    });
  }

  async getJson(pathAndQuery) {
    const r = await this.request('GET', pathAndQuery);
    const text = await r.text();
    assert.equal(r.status, 200, `GET ${pathAndQuery} → ${r.status}: ${text}`);
    return JSON.parse(text);
  }

  // HEAD of a tus upload: {status, offset, length}.
  async tusHead(uploadPath) {
    const r = await this.request('HEAD', uploadPath, { headers: { 'Tus-Resumable': '1.0.0' } });
    await r.arrayBuffer();
    return {
      status: r.status,
      offset: r.headers.has('upload-offset') ? Number(r.headers.get('upload-offset')) : null,
      length: r.headers.has('upload-length') ? Number(r.headers.get('upload-length')) : null,
      headers: r.headers,
    };
  }

  async originalSha256(assetId) {
    const r = await this.request('GET', `/api/v1/assets/${assetId}/original`);
    assert.equal(r.status, 200, `GET original → ${r.status}`);
    const h = createHash('sha256');
    for await (const chunk of r.body) h.update(chunk);
    return h.digest('hex');
  }
}

// ---------------------------------------------------------------------------
// A TCP proxy between client and server that, once, cuts or stalls the
// connection that carries client→server byte number `cutAfter` (headers
// included, counted over every connection). Connections opened later pass
// through untouched.
//   mode 'drop':  the client gets a reset, the server the end of its stream
//                 in the middle of a body;
//   mode 'stall': bytes after the cut are swallowed and nothing more goes
//                 either way on that connection, until one side closes it
//                 (the proxy then closes the other side);
//   mode 'blackhole': as 'stall', but the server's side is left open when
//                 the client goes away: a network path that died silently.
// onCut(state) runs once the bytes before the cut have been handed to the
// server's socket.

function startProxy(targetPort, { cutAfter = Infinity, mode = 'drop', onCut = () => {} } = {}) {
  const state = { forwarded: 0, cut: false, connections: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    state.connections += 1;
    let dead = false;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', () => (dead && mode === 'blackhole' ? client.destroy() : closeBoth()));
    upstream.on('error', closeBoth);
    client.on('close', () => {
      sockets.delete(client);
      if (!(dead && mode === 'blackhole')) upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('data', (d) => {
      if (dead) return;
      if (!client.write(d)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
    client.on('data', (d) => {
      if (dead) return;
      const room = state.cut ? Infinity : cutAfter - state.forwarded;
      if (d.length < room) {
        state.forwarded += d.length;
        if (!upstream.write(d)) client.pause();
        return;
      }
      const part = d.subarray(0, room);
      state.forwarded += part.length;
      state.cut = true;
      dead = true;
      // In 'stall' mode the client side keeps being read (and the bytes
      // dropped) so that its close is noticed and passed on.
      if (mode === 'drop') client.pause();
      upstream.write(part, () => {
        if (mode === 'drop') {
          client.resetAndDestroy();
          upstream.end();
        }
        onCut(state);
      });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        state,
        close: () =>
          new Promise((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------
// Helpers

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

async function writeRandomFile(dir, name, size) {
  const data = randomBytes(size);
  const file = path.join(dir, name);
  await writeFile(file, data);
  return { file, size, data, sha256: sha256(data) };
}

function uploadPathOf(url) {
  const u = new URL(url);
  assert.match(u.pathname, /^\/api\/v1\/uploads\/[0-9A-HJKMNP-TV-Z]{26}$/, `upload URL ${url}`);
  return u.pathname;
}

function uploadIdOf(url) {
  return uploadPathOf(url).split('/').pop();
}

// Runs a tus.Upload to its end. Resolves {upload, lastResponse, requests};
// rejects with the client's error (err.upload is the Upload). `requests`
// records every request the client made: {method, url, headers}.
// `hooks.beforeStart(upload)` runs just before start().
function runUpload(input, options, hooks = {}) {
  const requests = [];
  let upload;
  const done = new Promise((resolve, reject) => {
    upload = new tus.Upload(input, {
      retryDelays: null,
      ...options,
      headers: { ...AUTH, ...(options.headers ?? {}) },
      onBeforeRequest: (req) => {
        const headers = {};
        for (const name of ['Upload-Offset', 'Upload-Length', 'Upload-Concat', 'Upload-Metadata', 'Content-Type']) {
          const v = req.getHeader(name);
          if (v !== undefined) headers[name] = v;
        }
        requests.push({ method: req.getMethod(), url: req.getURL(), headers });
        return options.onBeforeRequest?.(req);
      },
      onSuccess: (payload) => resolve({ upload, lastResponse: payload.lastResponse, requests }),
      onError: (err) => {
        err.upload = upload;
        err.requests = requests;
        reject(err);
      },
    });
  });
  hooks.beforeStart?.(upload);
  upload.start();
  return { upload, done, requests };
}

function statusOf(err) {
  return err?.originalResponse ? err.originalResponse.getStatus() : null;
}

function describeError(err) {
  if (!err) return String(err);
  const res = err.originalResponse;
  const req = err.originalRequest;
  return [
    err.message,
    req ? `request: ${req.getMethod()} ${req.getURL()}` : '',
    res ? `response: ${res.getStatus()} ${res.getBody()}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

async function expectSuccess(promise) {
  try {
    return await promise;
  } catch (err) {
    assert.fail(`the upload failed: ${describeError(err)}`);
  }
}

// Checks the finished upload, the asset and the stored bytes; returns the
// asset JSON.
async function checkFinished(server, uploadUrl, expected) {
  const status = await server.getJson(uploadPathOf(uploadUrl));
  assert.equal(status.id, uploadIdOf(uploadUrl));
  assert.equal(status.complete, true, `upload status ${JSON.stringify(status)}`);
  assert.equal(status.offset, expected.size);
  assert.equal(status.length, expected.size);
  assert.match(String(status.asset_id), /^[0-9A-HJKMNP-TV-Z]{26}$/, `upload status ${JSON.stringify(status)}`);
  if (expected.assetId) assert.equal(status.asset_id, expected.assetId);
  if (expected.version) assert.equal(status.version, expected.version);

  const asset = await server.getJson(`/api/v1/assets/${status.asset_id}`);
  const latest = asset.versions.at(-1);
  assert.equal(latest.sha256, expected.sha256, 'the latest version has the source SHA-256');
  assert.equal(latest.size, expected.size);
  assert.equal(await server.originalSha256(status.asset_id), expected.sha256, 'the original bytes hash equal');
  return { status, asset };
}

function patchLines(lines, uploadPath) {
  return lines.filter((l) => l.method === 'PATCH' && l.path === uploadPath);
}

function patchCount(...requestLists) {
  return requestLists.flat().filter((r) => r.method === 'PATCH').length;
}

// The access-log lines of an upload's PATCH requests, once there are
// `count` of them: the server writes a line after its response, so the
// client may see the response first.
async function settledPatchLines(server, uploadPath, count) {
  const lines = await server.waitForLog(
    (all) => patchLines(all, uploadPath).length >= count,
    `${count} PATCH lines for ${uploadPath}`,
  );
  return patchLines(lines, uploadPath);
}

// Fixture: a temporary directory with its servers, removed afterwards. On
// failure the servers' logs are printed.
function tusTest(name, fn) {
  test(name, { timeout: TEST_TIMEOUT }, async (t) => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'kho-tus-'));
    const servers = [];
    const ctx = {
      root,
      t,
      async server(opts) {
        const s = new KhoServer(servers.length ? path.join(root, `server${servers.length}`) : root, opts);
        servers.push(s);
        return s.start();
      },
    };
    try {
      await fn(ctx);
    } catch (err) {
      for (const s of servers) {
        t.diagnostic(`server log (${s.serverLogPath}):`);
        for (const line of s.log().split('\n')) t.diagnostic(`  ${line}`);
        t.diagnostic('access log tail:');
        for (const line of s.accessLog().slice(-12)) t.diagnostic(`  ${JSON.stringify(line)}`);
      }
      throw err;
    } finally {
      for (const s of servers) await s.crash();
      if (process.env.KHO_TUS_KEEP) t.diagnostic(`kept ${root}`);
      else await rm(root, { recursive: true, force: true });
    }
  });
}

async function stopCleanly(server) {
  const e = await server.stop();
  assert.deepEqual(e, { code: 0, signal: null }, `graceful shutdown exit status\n${server.log()}`);
}

// ---------------------------------------------------------------------------
// a. A ~40 MB file in 8 MiB chunks with Vietnamese metadata.

tusTest('a. chunked 40 MB upload with Vietnamese metadata becomes an asset', async ({ root, server: newServer }) => {
  const server = await newServer();
  const src = await writeRandomFile(root, 'source.mp4', 40 * 1000 * 1000 + 12_345);
  const chunkSize = 8 * MiB;
  const metadata = {
    filename: 'Phóng sự Nghị quyết 71.mp4',
    filetype: 'video/mp4',
    title: 'Phóng sự: chuyển đổi số',
    tags: 'nq71,chuyển đổi số',
    campaign: 'Nghị quyết 71-NQ/TW',
  };
  let lastProgress = 0;
  const accepted = [];
  const { done } = runUpload(createReadStream(src.file), {
    endpoint: server.endpoint,
    chunkSize,
    metadata,
    onProgress: (sent, total) => {
      if (total === src.size) lastProgress = sent;
    },
    onChunkComplete: (chunk, bytesAccepted) => accepted.push(bytesAccepted),
  });
  const { upload, lastResponse, requests } = await expectSuccess(done);

  const chunks = Math.ceil(src.size / chunkSize);
  assert.equal(lastProgress, src.size);
  assert.deepEqual(accepted, Array.from({ length: chunks }, (_, i) => Math.min((i + 1) * chunkSize, src.size)));
  assert.deepEqual(
    requests.map((r) => r.method),
    ['POST', ...Array(chunks).fill('PATCH')],
  );
  assert.equal(lastResponse.getStatus(), 204);
  assert.equal(lastResponse.getHeader('Upload-Offset'), String(src.size));
  assert.equal(lastResponse.getHeader('Tus-Resumable'), '1.0.0');

  const { status, asset } = await checkFinished(server, upload.url, { size: src.size, sha256: src.sha256, version: 1 });
  assert.equal(lastResponse.getHeader('Kho-Asset-Id'), status.asset_id);
  assert.equal(asset.title, metadata.title);
  assert.equal(asset.campaign, metadata.campaign);
  assert.deepEqual([...asset.tags].sort(), ['chuyển đổi số', 'nq71']);
  assert.equal(asset.version_count, 1);
  assert.equal(asset.versions[0].file_name, metadata.filename);

  const patches = await settledPatchLines(server, uploadPathOf(upload.url), chunks);
  assert.equal(patches.length, chunks);
  assert.ok(patches.every((l) => l.status === 204), JSON.stringify(patches));
  assert.equal(patches.reduce((n, l) => n + l.bytes_in, 0), src.size);
  await stopCleanly(server);
});

// ---------------------------------------------------------------------------
// b. The connection goes away mid-way; a new tus.Upload resumes.

tusTest('b1. upload.abort() mid-way, then a new tus.Upload resumes through the URL storage', async ({ root, t, server: newServer }) => {
  const server = await newServer();
  const src = await writeRandomFile(root, 'interview.mp4', 24 * MiB + 777);
  const chunkSize = 8 * MiB;
  const urlStorage = new tus.FileUrlStorage(path.join(root, 'tus-url-storage.json'));
  // The client talks to the server through a proxy that stalls the second
  // PATCH 2 MiB into its body, so that the abort surely lands mid-body.
  // Later connections pass through.
  let first;
  let abortDone;
  const proxy = await startProxy(server.port, {
    cutAfter: chunkSize + 2 * MiB,
    mode: 'stall',
    onCut: () => {
      abortDone = first.upload.abort();
    },
  });
  t.after(() => proxy.close());
  const options = {
    endpoint: `http://127.0.0.1:${proxy.port}/api/v1/uploads`,
    chunkSize,
    urlStorage,
    metadata: { filename: 'Phỏng vấn.mp4', title: 'Phỏng vấn' },
  };

  // First attempt: upload.abort() mid-way.
  first = runUpload(createReadStream(src.file), options);
  first.done.then(
    () => assert.fail('the upload finished before it could be aborted'),
    (err) => assert.fail(`onError after abort(): ${describeError(err)}`),
  );
  while (!abortDone) await sleep(10);
  await abortDone;
  const uploadPath = uploadPathOf(first.upload.url);
  // The server answers (and logs) the cut PATCH once it has kept its bytes.
  await server.waitForLog((lines) => patchLines(lines, uploadPath).length >= 2, 'the aborted PATCH');

  const head = await server.tusHead(uploadPath);
  assert.equal(head.status, 200);
  assert.equal(head.length, src.size);
  assert.ok(head.offset > chunkSize && head.offset <= chunkSize + 2 * MiB, `HEAD offset ${head.offset}`);

  // Second attempt: same file, same fingerprint, found in the URL storage.
  const second = new tus.Upload(createReadStream(src.file), { ...options, headers: AUTH });
  const previous = await second.findPreviousUploads();
  assert.equal(previous.length, 1, JSON.stringify(previous));
  assert.equal(previous[0].uploadUrl, first.upload.url);
  const resumed = runUpload(createReadStream(src.file), options, {
    beforeStart: (u) => u.resumeFromPreviousUpload(previous[0]),
  });
  const { upload, requests } = await expectSuccess(resumed.done);
  assert.equal(upload.url, first.upload.url);
  assert.equal(requests[0].method, 'HEAD', 'the resumed upload asks for the offset first');
  assert.equal(requests[1].method, 'PATCH');
  assert.equal(requests[1].headers['Upload-Offset'], String(head.offset), 'it resumes at the HEAD offset');
  assert.ok(!requests.some((r) => r.method === 'POST'), 'no new upload is created');

  const patches = await settledPatchLines(server, uploadPath, patchCount(first.requests, requests));
  const received = patches.reduce((n, l) => n + l.bytes_in, 0);
  assert.ok(received < 2 * src.size, `the server received ${received} bytes by PATCH for ${src.size}`);
  const afterResume = patches.slice(-(requests.length - 1)).reduce((n, l) => n + l.bytes_in, 0);
  assert.equal(afterResume, src.size - head.offset, 'only the missing bytes are sent again');

  await checkFinished(server, upload.url, { size: src.size, sha256: src.sha256 });
  await stopCleanly(server);
});

tusTest('b2. a TCP proxy drops the connection mid-PATCH, then a new tus.Upload with uploadUrl resumes', async ({ root, server: newServer }) => {
  const server = await newServer();
  const src = await writeRandomFile(root, 'podcast.m4a', 20 * MiB + 4321);
  const chunkSize = 8 * MiB;
  // The POST and the first PATCH go through; the second PATCH is cut 3 MiB in.
  const proxy = await startProxy(server.port, { cutAfter: chunkSize + 3 * MiB, mode: 'drop' });
  try {
    const endpoint = `http://127.0.0.1:${proxy.port}/api/v1/uploads`;
    const first = runUpload(createReadStream(src.file), { endpoint, chunkSize, metadata: { filename: 'podcast.m4a' } });
    const err = await first.done.then(
      () => assert.fail('the upload went through a dropped connection'),
      (e) => e,
    );
    assert.equal(statusOf(err), null, `a network error, not an HTTP one: ${describeError(err)}`);
    assert.ok(proxy.state.cut);
    const uploadPath = uploadPathOf(first.upload.url);
    await server.waitForLog((lines) => patchLines(lines, uploadPath).length >= 2, 'the cut PATCH');

    const head = await server.tusHead(uploadPath);
    assert.equal(head.status, 200);
    assert.ok(head.offset > chunkSize, `HEAD offset ${head.offset}: the bytes before the cut are kept`);
    assert.ok(head.offset <= chunkSize + 3 * MiB, `HEAD offset ${head.offset}`);

    const resumed = runUpload(createReadStream(src.file), {
      endpoint: server.endpoint,
      uploadUrl: `${server.base}${uploadPath}`,
      chunkSize,
    });
    const { upload, requests } = await expectSuccess(resumed.done);
    assert.deepEqual(requests.map((r) => r.method), ['HEAD', 'PATCH', 'PATCH']);
    assert.equal(requests[1].headers['Upload-Offset'], String(head.offset));

    const patches = await settledPatchLines(server, uploadPath, patchCount(first.requests, requests));
    const received = patches.reduce((n, l) => n + l.bytes_in, 0);
    assert.ok(received < 2 * src.size, `the server received ${received} bytes by PATCH for ${src.size}`);
    assert.equal(received, src.size, 'every byte the server received was kept; none was sent twice');
    await checkFinished(server, upload.url, { size: src.size, sha256: src.sha256 });
  } finally {
    await proxy.close();
  }
  await stopCleanly(server);
});

tusTest('b3. a dropped connection is resumed by the client itself (retryDelays)', async ({ root, server: newServer }) => {
  const server = await newServer();
  const src = await writeRandomFile(root, 'clip.mp4', 12 * MiB + 99);
  const chunkSize = 4 * MiB;
  const proxy = await startProxy(server.port, { cutAfter: 6 * MiB, mode: 'drop' });
  try {
    const endpoint = `http://127.0.0.1:${proxy.port}/api/v1/uploads`;
    const run = runUpload(Buffer.from(src.data), { endpoint, chunkSize, retryDelays: [200, 1000, 2000] });
    const { upload, requests } = await expectSuccess(run.done);
    assert.ok(proxy.state.cut);
    const methods = requests.map((r) => r.method);
    assert.equal(methods.filter((m) => m === 'POST').length, 1, methods.join(' '));
    const head = methods.indexOf('HEAD');
    assert.ok(head > 0, `the client asked for the offset after the drop: ${methods.join(' ')}`);
    const resumedAt = Number(requests[head + 1].headers['Upload-Offset']);
    assert.ok(resumedAt > chunkSize, `resumed at ${resumedAt}`);
    const patches = await settledPatchLines(server, uploadPathOf(upload.url), patchCount(requests));
    assert.ok(patches.reduce((n, l) => n + l.bytes_in, 0) < 2 * src.size);
    await checkFinished(server, upload.url, { size: src.size, sha256: src.sha256 });
  } finally {
    await proxy.close();
  }
  await stopCleanly(server);
});

// ---------------------------------------------------------------------------
// c. The server is killed mid-upload and restarted on the same data.

tusTest('c. server SIGKILLed mid-PATCH, restarted on the same data dir; the upload resumes', async ({ root, server: newServer }) => {
  const server = await newServer();
  const src = await writeRandomFile(root, 'big.mov', 32 * MiB + 5);
  const chunkSize = 8 * MiB;
  let cutReached;
  const cut = new Promise((resolve) => {
    cutReached = resolve;
  });
  // Two chunks are acknowledged; the third PATCH stalls 5 MiB in, while the
  // server holds a partly written, uncommitted chunk.
  const proxy = await startProxy(server.port, { cutAfter: 2 * chunkSize + 5 * MiB, mode: 'stall', onCut: cutReached });
  let acknowledged = 0;
  try {
    const endpoint = `http://127.0.0.1:${proxy.port}/api/v1/uploads`;
    const first = runUpload(createReadStream(src.file), {
      endpoint,
      chunkSize,
      metadata: { filename: 'big.mov', title: 'Sau sự cố' },
      onChunkComplete: (_, bytesAccepted) => {
        acknowledged = bytesAccepted;
      },
    });
    const failed = first.done.then(
      () => assert.fail('the upload finished although the server was killed'),
      (e) => e,
    );
    await cut;
    await sleep(300); // let the server write what it got of the third chunk
    const e = await server.crash();
    assert.equal(e.signal, 'SIGKILL');
    const err = await failed;
    assert.equal(statusOf(err), null, describeError(err));
    assert.equal(acknowledged, 2 * chunkSize);
    const uploadPath = uploadPathOf(first.upload.url);

    await server.start(); // same data directory, a new port
    const head = await server.tusHead(uploadPath);
    assert.equal(head.status, 200, `HEAD after restart: ${head.status}`);
    assert.equal(head.length, src.size);
    assert.ok(head.offset >= acknowledged, `HEAD offset ${head.offset} lost acknowledged bytes (${acknowledged})`);
    assert.ok(head.offset < src.size, `HEAD offset ${head.offset}`);

    const resumed = runUpload(createReadStream(src.file), {
      endpoint: server.endpoint,
      uploadUrl: `${server.base}${uploadPath}`,
      chunkSize,
    });
    const { upload, requests } = await expectSuccess(resumed.done);
    assert.equal(requests[0].method, 'HEAD');
    assert.equal(requests[1].headers['Upload-Offset'], String(head.offset));
    assert.equal(new URL(upload.url).port, String(server.port));
    const { asset } = await checkFinished(server, upload.url, { size: src.size, sha256: src.sha256, version: 1 });
    assert.equal(asset.title, 'Sau sự cố');
  } finally {
    await proxy.close();
  }
  await stopCleanly(server);
});

// ---------------------------------------------------------------------------
// d. parallelUploads: partial uploads joined by the concatenation extension.

tusTest('d. parallelUploads: 3 (concatenation) completes with the right SHA-256', async ({ root, server: newServer }) => {
  const server = await newServer();
  const src = await writeRandomFile(root, 'infographic.tiff', 15 * MiB + 2);
  const metadata = { filename: 'Đồ họa thông tin.tiff', title: 'Đồ họa thông tin', kind: 'infographic' };
  const run = runUpload(createReadStream(src.file), {
    endpoint: server.endpoint,
    chunkSize: 2 * MiB,
    parallelUploads: 3,
    metadata,
  });
  const { upload, requests, lastResponse } = await expectSuccess(run.done);

  const posts = requests.filter((r) => r.method === 'POST');
  const partials = posts.filter((r) => r.headers['Upload-Concat'] === 'partial');
  const finals = posts.filter((r) => String(r.headers['Upload-Concat']).startsWith('final;'));
  assert.equal(partials.length, 3);
  assert.equal(finals.length, 1);
  assert.equal(posts.length, 4);
  assert.equal(lastResponse.getStatus(), 201);

  const { status, asset } = await checkFinished(server, upload.url, { size: src.size, sha256: src.sha256, version: 1 });
  assert.equal(lastResponse.getHeader('Kho-Asset-Id'), status.asset_id);
  assert.equal(asset.title, metadata.title);
  assert.equal(asset.kind, 'infographic');
  assert.equal(asset.versions[0].file_name, metadata.filename);

  // The final upload reports the concatenation, in order.
  const head = await server.tusHead(uploadPathOf(upload.url));
  assert.equal(head.status, 200);
  assert.equal(head.offset, src.size);
  const concat = head.headers.get('upload-concat') ?? '';
  const partIds = finals[0].headers['Upload-Concat'].slice('final;'.length).split(' ').map(uploadIdOf);
  assert.equal(concat, `final;${partIds.map((id) => `/api/v1/uploads/${id}`).join(' ')}`);
  await stopCleanly(server);
});

// ---------------------------------------------------------------------------
// e. A new version of an existing asset through metadata asset_id.

tusTest('e. metadata asset_id adds a version to an existing asset', async ({ server: newServer }) => {
  const server = await newServer();
  const v1 = randomBytes(3 * MiB + 17);
  const v2 = randomBytes(5 * MiB + 3);
  const first = await expectSuccess(
    runUpload(v1, {
      endpoint: server.endpoint,
      chunkSize: 2 * MiB,
      metadata: { filename: 'Áp phích v1.png', title: 'Áp phích Nghị quyết 71' },
    }).done,
  );
  const one = await checkFinished(server, first.upload.url, { size: v1.length, sha256: sha256(v1), version: 1 });
  const assetId = one.status.asset_id;

  const second = await expectSuccess(
    runUpload(v2, {
      endpoint: server.endpoint,
      chunkSize: 2 * MiB,
      metadata: { asset_id: assetId, filename: 'Áp phích v2.png' },
    }).done,
  );
  assert.notEqual(second.upload.url, first.upload.url);
  const two = await checkFinished(server, second.upload.url, {
    size: v2.length,
    sha256: sha256(v2),
    assetId,
    version: 2,
  });
  assert.equal(two.asset.id, assetId);
  assert.equal(two.asset.version_count, 2);
  assert.equal(two.asset.versions.length, 2);
  assert.equal(two.asset.title, 'Áp phích Nghị quyết 71', 'a version leaves the metadata alone');
  const byNumber = Object.fromEntries(two.asset.versions.map((v) => [v.number, v]));
  assert.equal(byNumber[1].sha256, sha256(v1));
  assert.equal(byNumber[2].sha256, sha256(v2));
  assert.equal(byNumber[2].file_name, 'Áp phích v2.png');
  const list = await server.getJson('/api/v1/assets');
  assert.equal(list.items.length, 1, 'a version is not a new asset');
  await stopCleanly(server);
});

// ---------------------------------------------------------------------------
// f. Refusals, as the client sees them.

tusTest('f1. HTML named x.png on a server with the default types: onError with 415, nothing kept', async ({ server: newServer }) => {
  const server = await newServer({ allowAllTypes: false });
  const html = Buffer.from(
    `<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script>${'<p>chuyển đổi số</p>\n'.repeat(2000)}</body></html>\n`,
  );
  for (const uploadDataDuringCreation of [false, true]) {
    const run = runUpload(html, {
      endpoint: server.endpoint,
      chunkSize: 16 * 1024,
      uploadDataDuringCreation,
      retryDelays: [0, 100],
      metadata: { filename: 'x.png', filetype: 'image/png' },
    });
    const err = await run.done.then(
      () => assert.fail('HTML was accepted as a PNG'),
      (e) => e,
    );
    assert.equal(statusOf(err), 415, describeError(err));
    const body = JSON.parse(err.originalResponse.getBody());
    assert.equal(body.code, 'unsupported_media_type');
    assert.equal(err.originalResponse.getHeader('Tus-Resumable'), '1.0.0');
    // The refused upload is removed whole.
    if (run.upload.url) {
      const r = await server.request('GET', uploadPathOf(run.upload.url));
      await r.arrayBuffer();
      assert.equal(r.status, 404, 'the refused upload is gone');
    }
  }
  const list = await server.getJson('/api/v1/assets');
  assert.deepEqual(list.items, []);
  await stopCleanly(server);
});

tusTest('f2. a wrong token: onError with 401, nothing kept', async ({ server: newServer }) => {
  const server = await newServer();
  const run = runUpload(randomBytes(100_000), {
    endpoint: server.endpoint,
    chunkSize: 64 * 1024,
    retryDelays: [0, 100],
    headers: { Authorization: `Bearer kho_wrong_${'x'.repeat(30)}` },
    metadata: { filename: 'x.bin' },
  });
  const err = await run.done.then(
    () => assert.fail('a wrong token was accepted'),
    (e) => e,
  );
  assert.equal(statusOf(err), 401, describeError(err));
  assert.equal(run.requests.length, 1, 'a 401 is not retried');
  assert.equal(run.upload.url, null);
  const list = await server.getJson('/api/v1/assets');
  assert.deepEqual(list.items, []);
  await stopCleanly(server);
});

// ---------------------------------------------------------------------------
// g. The other extensions the server announces, as tus-js-client uses them.

tusTest('g1. creation-defer-length: a plain stream of unknown length (uploadLengthDeferred)', async ({ server: newServer }) => {
  const server = await newServer();
  const parts = [randomBytes(3 * MiB), randomBytes(2 * MiB + 1), randomBytes(100)];
  const whole = Buffer.concat(parts);
  const run = runUpload(Readable.from(parts), {
    endpoint: server.endpoint,
    chunkSize: 2 * MiB,
    uploadLengthDeferred: true,
    metadata: { filename: 'Trực tiếp.webm' },
  });
  const { upload, requests } = await expectSuccess(run.done);
  assert.equal(requests[0].headers['Upload-Length'], undefined);
  const last = requests.at(-1);
  assert.equal(last.method, 'PATCH');
  assert.equal(last.headers['Upload-Length'], String(whole.length), 'the length is sent with the last chunk');
  await checkFinished(server, upload.url, { size: whole.length, sha256: sha256(whole) });
  await stopCleanly(server);
});

tusTest('g2. creation-with-upload (uploadDataDuringCreation), whole and chunked', async ({ server: newServer }) => {
  const server = await newServer();
  for (const [size, chunkSize] of [[200_000, Infinity], [5 * MiB + 1, 2 * MiB]]) {
    const data = randomBytes(size);
    const run = runUpload(data, {
      endpoint: server.endpoint,
      chunkSize,
      uploadDataDuringCreation: true,
      metadata: { filename: `with-upload-${size}.bin` },
    });
    const { upload, requests } = await expectSuccess(run.done);
    assert.equal(requests[0].method, 'POST');
    assert.equal(requests[0].headers['Content-Type'], 'application/offset+octet-stream');
    assert.equal(requests.length, Math.ceil(size / Math.min(chunkSize, size)));
    await checkFinished(server, upload.url, { size, sha256: sha256(data) });
  }
  await stopCleanly(server);
});

tusTest('g3. termination (abort(true) mid-PATCH) and expiration (Upload-Expires)', async ({ t, server: newServer }) => {
  const server = await newServer();
  const responses = [];
  let upload;
  let terminated;
  await new Promise((resolve, reject) => {
    upload = new tus.Upload(randomBytes(4 * MiB), {
      endpoint: server.endpoint,
      headers: AUTH,
      chunkSize: MiB,
      // abort(true) sends DELETE right away, while the server may still be
      // winding up the PATCH that was cut (409); the client's retries cover it.
      retryDelays: [100, 500, 1000, 2000],
      onAfterResponse: (req, res) => {
        responses.push({ method: req.getMethod(), status: res.getStatus(), expires: res.getHeader('Upload-Expires') });
      },
      onChunkComplete: () => {
        // Cancel as a user would, while the next PATCH is on its way.
        if (!terminated) setImmediate(() => resolve((terminated = upload.abort(true))));
      },
      onError: reject,
      onSuccess: () => reject(new Error('finished although it was cancelled')),
    });
    upload.start();
  });
  await terminated;
  const uploadPath = uploadPathOf(upload.url);
  assert.equal((await server.tusHead(uploadPath)).status, 404, 'the terminated upload is gone');
  const deletes = responses.filter((r) => r.method === 'DELETE');
  assert.equal(deletes.at(-1).status, 204, JSON.stringify(deletes));
  t.diagnostic(`DELETE statuses: ${deletes.map((r) => r.status).join(' ')}`);

  const patch = responses.find((r) => r.method === 'PATCH' && r.status === 204);
  const expires = Date.parse(patch.expires);
  assert.ok(expires > Date.now() + 23 * 3600_000, `Upload-Expires ${patch.expires}`);
  await stopCleanly(server);
});

// tus 1.0: a server treats X-HTTP-Method-Override as the request's method
// (for clients behind proxies that only pass GET and POST).
tusTest('h. overridePatchMethod: POST with X-HTTP-Method-Override: PATCH', async ({ server: newServer }) => {
  const server = await newServer();
  const data = randomBytes(300_000);
  const run = runUpload(data, {
    endpoint: server.endpoint,
    chunkSize: 100_000,
    overridePatchMethod: true,
    metadata: { filename: 'override.bin' },
  });
  const { upload } = await expectSuccess(run.done);
  await checkFinished(server, upload.url, { size: data.length, sha256: sha256(data) });
  await stopCleanly(server);
});

// When the network path of a PATCH dies silently (no FIN, no RST: a phone
// changing networks), the stale request still holds the upload. The resumed
// upload's PATCH takes it over (the stale connection is closed, what it
// received is kept), so tus-js-client's default retryDelays (0, 1, 3, 5 s)
// are enough, long before --io-timeout would free it.
tusTest('i. resume right after a silent network loss, with the default retryDelays', async ({ root, server: newServer }) => {
  // KHO_TUS_IO_TIMEOUT lets one check the behaviour with another timeout.
  const extraArgs = process.env.KHO_TUS_IO_TIMEOUT ? ['--io-timeout', process.env.KHO_TUS_IO_TIMEOUT] : [];
  const server = await newServer({ extraArgs });
  const src = await writeRandomFile(root, 'mobile.mp4', 4 * MiB);
  const chunkSize = MiB;
  let cut;
  const cutReached = new Promise((resolve) => {
    cut = resolve;
  });
  const proxy = await startProxy(server.port, { cutAfter: chunkSize + MiB / 2, mode: 'blackhole', onCut: cut });
  try {
    const first = runUpload(createReadStream(src.file), {
      endpoint: `http://127.0.0.1:${proxy.port}/api/v1/uploads`,
      chunkSize,
    });
    first.done.catch(() => {});
    await cutReached;
    await sleep(200);
    // The client notices nothing is moving and starts over on a new path.
    await first.upload.abort();
    const resumed = runUpload(createReadStream(src.file), {
      endpoint: server.endpoint,
      uploadUrl: `${server.base}${uploadPathOf(first.upload.url)}`,
      chunkSize,
      retryDelays: [0, 1000, 3000, 5000],
    });
    const { upload } = await expectSuccess(resumed.done);
    await checkFinished(server, upload.url, { size: src.size, sha256: src.sha256 });
  } finally {
    await proxy.close();
  }
  await stopCleanly(server);
});
