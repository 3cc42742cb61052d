// The DragGAN editor page: one session per tab, server state is the source of truth, live steps arrive as
// server-sent events. Coordinates on the wire are image pixels [x, y] (x = column, y = row).
'use strict';

const $ = (id) => document.getElementById(id);
const imageCanvas = $('image');
const overlay = $('overlay');
const imageCtx = imageCanvas.getContext('2d');
const overlayCtx = overlay.getContext('2d');

const ui = {
  session: null,        // last state from the server
  events: null,         // EventSource
  scale: 1,             // CSS pixels per image pixel
  mode: 'points',       // 'points' | 'mask'
  mask: null,           // Uint8Array [H*W], 1 = movable
  maskDirty: false,
  painting: false,
  dragPoint: null,      // {id, which: 'handle'|'target'}
  livePoints: null,     // handles during a drag, from step events
  imageVersion: -1,     // drawn on the canvas
  requestedVersion: -1, // newest asked for
  lastFrame: 0,
  frameTimer: null,
  lastSaved: null,      // {doc, at, points}: the newest session.json, offered back if the session is lost
  saveTimer: null,
  lost: false,          // the server no longer has this session
};

// ---------------------------------------------------------------- server calls

function showError(message) {
  $('error-text').textContent = message;
  $('error').hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { $('error').hidden = true; }, 10000);
}
$('error-close').onclick = () => { $('error').hidden = true; };

async function api(method, path, body, raw) {
  const init = { method, headers: {} };
  // The server takes bodies only as JSON (or an image on upload/mask): every state change sends one.
  if (body === undefined && ['POST', 'PUT', 'PATCH'].includes(method)) body = {};
  if (body !== undefined) {
    if (raw) { init.body = body; init.headers['Content-Type'] = raw; }
    else { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    showError('Cannot reach the server: ' + e.message);
    throw e;
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json() : await response.blob();
  if (!response.ok) {
    const message = (data && data.error) || response.statusText;
    if (response.status === 404 && /^unknown session/.test(message) && ui.session && path.startsWith(sessionPath())) {
      sessionLost();
    } else {
      showError(message);
    }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return data;
}

function sessionPath(suffix = '') { return `/api/sessions/${ui.session.id}${suffix}`; }

async function call(method, suffix, body, raw) {
  const state = await api(method, sessionPath(suffix), body, raw);
  if (state && state.id) applyState(state);
  return state;
}

// ---------------------------------------------------------------- state -> page

function applyState(state) {
  if (ui.session && state.id !== ui.session.id) return;  // a late answer about a session this page left
  const resized = !ui.session || ui.session.width !== state.width || ui.session.height !== state.height;
  ui.session = state;
  if (!state.running) ui.livePoints = null;
  if (resized) { layoutCanvas(); ui.imageVersion = -1; ui.requestedVersion = -1; }
  if (state.image_version !== ui.imageVersion) loadImage(state.image_version);
  if (!ui.maskDirty) ui.mask = state.mask ? decodeRle(state.mask) : null;

  setValue('seed', state.seed);
  setValue('psi', state.psi);
  setValue('latent-space', state.latent_space);
  const p = state.params || {};
  setValue('lr', p.lr);
  setValue('r1', p.r1);
  setValue('r2', p.r2);
  setValue('lambda-mask', p.lambda_mask);
  setValue('max-steps', p.max_steps);
  setValue('preview-every', p.preview_every);

  $('start').disabled = state.running;
  $('stop').disabled = !state.running;
  $('undo').disabled = state.running || !state.can_undo;
  $('redo').disabled = state.running || !state.can_redo;
  $('reset').disabled = state.running;
  $('upload').disabled = state.running;
  $('export-animation').disabled = !state.has_animation;
  const stateLabel = $('drag-state');
  stateLabel.className = state.running ? 'running' : '';
  if (state.running) stateLabel.textContent = state.upload && state.upload.reason === null ? describeUpload(state.upload) : 'running';
  else if (ui.lastTask === 'upload' && state.upload) stateLabel.textContent = describeUpload(state.upload);
  else if (state.last_drag) stateLabel.textContent = 'done: ' + describeReason(state.last_drag.reason);
  else stateLabel.textContent = 'idle';
  if (state.last_drag && !state.running) showProgress(state.last_drag);
  renderPointList();
  drawOverlay();
  if (!state.running) scheduleSave();
}



function describeReason(reason) {
  return { reached: 'target reached', stopped: 'stopped', max_steps: 'step limit', error: 'error' }[reason] || reason;
}

// "fitting: projection 40/200", then "photo: 23.8 dB" (the reconstruction's PSNR against the photo).
function describeUpload(u) {
  if (u.reason === null || u.reason === undefined) return `fitting: ${u.stage} ${u.step}/${u.total}`;
  if (u.reason === 'error') return 'upload failed';
  const psnr = typeof u.psnr === 'number' ? ` ${u.psnr.toFixed(1)} dB` : '';
  return (u.reason === 'stopped' ? 'upload stopped:' : 'photo:') + psnr;
}

function setValue(id, value) {
  const el = $(id);
  if (value === undefined || value === null || document.activeElement === el) return;
  el.value = value;
}

function showProgress(p) {
  $('step').textContent = p.step ?? p.steps ?? 0;
  $('distance').textContent = p.distance === undefined || p.distance === null ? '–' : p.distance.toFixed(2);
  $('speed').textContent = p.steps_per_second ? p.steps_per_second.toFixed(1) : '–';
}

function layoutCanvas() {
  const { width, height } = ui.session;
  imageCanvas.width = width;
  imageCanvas.height = height;
  // Integer scale that fits the stage: small models become clickable, pixels stay square, and a non-square
  // image (StyleGAN-Human's 2:1) keeps its aspect ratio: one scale for both sides, each side within its room.
  const roomW = Math.max(256, Math.min($('stage').clientWidth || 512, 768));
  const roomH = Math.max(256, Math.min(window.innerHeight - 140, 768));
  ui.scale = Math.max(1, Math.floor(Math.min(roomW / width, roomH / height)));
  const cssW = width * ui.scale;
  const cssH = height * ui.scale;
  imageCanvas.style.width = cssW + 'px';
  imageCanvas.style.height = cssH + 'px';
  const dpr = window.devicePixelRatio || 1;
  overlay.width = Math.round(cssW * dpr);
  overlay.height = Math.round(cssH * dpr);
  overlay.style.width = cssW + 'px';
  overlay.style.height = cssH + 'px';
  overlayCtx.setTransform(dpr, 0, 0, dpr, 0, 0);
}

// The canvas takes the served image's own size, which can be larger than the model's: the server's "AI Generated"
// mark enlarges small images (nearest neighbour) so that it can be read. Its size on the page stays the model's
// times ui.scale, so clicks still map to model pixels.
function drawImageSource(source) {
  if (imageCanvas.width !== source.width || imageCanvas.height !== source.height) {
    imageCanvas.width = source.width;
    imageCanvas.height = source.height;
  }
  imageCtx.imageSmoothingEnabled = false;
  imageCtx.clearRect(0, 0, imageCanvas.width, imageCanvas.height);
  imageCtx.drawImage(source, 0, 0, imageCanvas.width, imageCanvas.height);
}

// Images arrive out of order (live frames, fetched PNGs): only the newest version requested is drawn.
function loadImage(version) {
  ui.requestedVersion = Math.max(ui.requestedVersion, version);
  const img = new Image();
  img.onload = () => {
    if (version < ui.requestedVersion) return;  // an older request finished late
    ui.imageVersion = version;
    drawImageSource(img);
    imageCanvas.dataset.version = version;
  };
  img.onerror = () => showError('Could not load the image');
  img.src = sessionPath(`/image.png?v=${version}`);
}

function showFrame(dataUrl, version) {
  ui.requestedVersion = Math.max(ui.requestedVersion, version);
  const img = new Image();
  img.onload = () => {
    if (version < ui.requestedVersion) return;
    ui.imageVersion = version;
    drawImageSource(img);
    imageCanvas.dataset.version = version;
  };
  img.src = dataUrl;
}

// ---------------------------------------------------------------- overlay: points and mask

const maskCanvas = document.createElement('canvas');

function currentPoints() {
  const points = ui.session ? ui.session.points : [];
  if (!ui.livePoints) return points;
  const live = new Map(ui.livePoints.map((p) => [p.id, p]));
  return points.map((p) => (live.has(p.id) ? { ...p, handle: live.get(p.id).handle } : p));
}

function drawOverlay() {
  if (!ui.session) return;
  const w = overlay.width, h = overlay.height;
  overlayCtx.save();
  overlayCtx.setTransform(1, 0, 0, 1, 0, 0);
  overlayCtx.clearRect(0, 0, w, h);
  overlayCtx.restore();
  if (ui.mask && $('show-mask').checked) drawMask();
  const s = ui.scale;
  for (const p of currentPoints()) {
    const hx = (p.handle[0] + 0.5) * s, hy = (p.handle[1] + 0.5) * s;
    if (p.target) {
      const tx = (p.target[0] + 0.5) * s, ty = (p.target[1] + 0.5) * s;
      drawArrow(hx, hy, tx, ty);
      drawDot(tx, ty, '#2f7bff');
    }
    drawDot(hx, hy, '#ff3b30');
  }
}

function drawMask() {
  const { width, height } = ui.session;
  maskCanvas.width = width;
  maskCanvas.height = height;
  const ctx = maskCanvas.getContext('2d');
  const pixels = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    // Movable region tinted blue, fixed region dimmed: the editable area stands out.
    const o = i * 4;
    if (ui.mask[i]) { pixels.data[o] = 80; pixels.data[o + 1] = 170; pixels.data[o + 2] = 255; pixels.data[o + 3] = 70; }
    else { pixels.data[o + 3] = 110; }
  }
  ctx.putImageData(pixels, 0, 0);
  overlayCtx.imageSmoothingEnabled = false;
  overlayCtx.drawImage(maskCanvas, 0, 0, width * ui.scale, height * ui.scale);
}

function drawDot(x, y, color) {
  overlayCtx.beginPath();
  overlayCtx.arc(x, y, 6, 0, 2 * Math.PI);
  overlayCtx.fillStyle = color;
  overlayCtx.fill();
  overlayCtx.lineWidth = 1.5;
  overlayCtx.strokeStyle = '#fff';
  overlayCtx.stroke();
}

function drawArrow(x0, y0, x1, y1) {
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (len < 1) return;
  const ux = (x1 - x0) / len, uy = (y1 - y0) / len;
  const ex = x1 - ux * 7, ey = y1 - uy * 7;  // stop at the target dot's rim
  overlayCtx.strokeStyle = '#ffffff';
  overlayCtx.lineWidth = 2;
  overlayCtx.beginPath();
  overlayCtx.moveTo(x0, y0);
  overlayCtx.lineTo(ex, ey);
  overlayCtx.stroke();
  overlayCtx.fillStyle = '#ffffff';
  overlayCtx.beginPath();
  overlayCtx.moveTo(ex, ey);
  overlayCtx.lineTo(ex - ux * 9 - uy * 5, ey - uy * 9 + ux * 5);
  overlayCtx.lineTo(ex - ux * 9 + uy * 5, ey - uy * 9 - ux * 5);
  overlayCtx.closePath();
  overlayCtx.fill();
}

function renderPointList() {
  const list = $('points');
  list.textContent = '';
  for (const p of currentPoints()) {
    const li = document.createElement('li');
    li.dataset.id = p.id;
    li.dataset.handle = p.handle.join(',');
    if (p.target) li.dataset.target = p.target.join(',');
    const fmt = (q) => `(${Math.round(q[0])}, ${Math.round(q[1])})`;
    li.innerHTML = `<span class="dot handle"></span>${fmt(p.handle)} → ` +
      (p.target ? `<span class="dot target"></span>${fmt(p.target)}` : '<em class="muted">click a target</em>');
    const remove = document.createElement('button');
    remove.textContent = '×';
    remove.title = 'Remove this point';
    remove.className = 'remove-point';
    remove.onclick = () => call('DELETE', `/points/${p.id}`);
    li.appendChild(remove);
    list.appendChild(li);
  }
}

// ---------------------------------------------------------------- mouse

function eventPixel(e) {
  const rect = overlay.getBoundingClientRect();
  const x = Math.floor((e.clientX - rect.left) / ui.scale);
  const y = Math.floor((e.clientY - rect.top) / ui.scale);
  return [Math.min(Math.max(x, 0), ui.session.width - 1), Math.min(Math.max(y, 0), ui.session.height - 1)];
}

function pointNear(e) {
  const rect = overlay.getBoundingClientRect();
  const cx = e.clientX - rect.left, cy = e.clientY - rect.top;
  let best = null, bestDist = 10;  // CSS pixels
  for (const p of currentPoints()) {
    for (const which of ['target', 'handle']) {
      const q = p[which];
      if (!q) continue;
      const d = Math.hypot((q[0] + 0.5) * ui.scale - cx, (q[1] + 0.5) * ui.scale - cy);
      if (d < bestDist) { best = { id: p.id, which }; bestDist = d; }
    }
  }
  return best;
}

function paintMask(e) {
  const { width, height } = ui.session;
  if (!ui.mask) ui.mask = new Uint8Array(width * height);
  const [x, y] = eventPixel(e);
  const r = Number($('brush-size').value) / 2;
  const value = $('overlay').dataset.erase === '1' || document.querySelector('input[name=brush]:checked').value === 'erase' ? 0 : 1;
  const r2 = r * r;
  for (let yy = Math.max(0, Math.floor(y - r)); yy <= Math.min(height - 1, Math.ceil(y + r)); yy++)
    for (let xx = Math.max(0, Math.floor(x - r)); xx <= Math.min(width - 1, Math.ceil(x + r)); xx++)
      if ((xx - x) * (xx - x) + (yy - y) * (yy - y) <= r2) ui.mask[yy * width + xx] = value;
  ui.maskDirty = true;
  drawOverlay();
}

overlay.addEventListener('contextmenu', (e) => {
  e.preventDefault();
  if (!ui.session || ui.session.running) return;
  const near = pointNear(e);
  if (near) call('DELETE', `/points/${near.id}`).catch(() => {});
});

overlay.addEventListener('pointerdown', (e) => {
  if (!ui.session || e.button !== 0) return;
  if (ui.mode === 'mask') {
    overlay.dataset.erase = e.shiftKey ? '1' : '0';
    ui.painting = true;
    overlay.setPointerCapture(e.pointerId);
    paintMask(e);
    return;
  }
  if (ui.session.running) return;
  const near = pointNear(e);
  if (near) {
    ui.dragPoint = near;
    overlay.classList.add('dragging');
    overlay.setPointerCapture(e.pointerId);
    return;
  }
  const pixel = eventPixel(e);
  const open = ui.session.points.find((p) => !p.target);
  if (open) call('PATCH', `/points/${open.id}`, { target: pixel }).catch(() => {});
  else call('POST', '/points', { handle: pixel }).catch(() => {});
});

overlay.addEventListener('pointermove', (e) => {
  if (ui.painting) { paintMask(e); return; }
  if (!ui.dragPoint) return;
  const p = ui.session.points.find((q) => q.id === ui.dragPoint.id);
  if (!p) return;
  p[ui.dragPoint.which] = eventPixel(e);  // local preview; the server confirms on release
  renderPointList();
  drawOverlay();
});

overlay.addEventListener('pointerup', (e) => {
  if (ui.painting) {
    ui.painting = false;
    sendMask();
    return;
  }
  if (!ui.dragPoint) return;
  const { id, which } = ui.dragPoint;
  ui.dragPoint = null;
  overlay.classList.remove('dragging');
  call('PATCH', `/points/${id}`, { [which]: eventPixel(e) }).catch(() => refresh());
});

async function sendMask() {
  const counts = encodeRle(ui.mask);
  try {
    await call('PUT', '/mask', { format: 'rle', width: ui.session.width, height: ui.session.height, counts });
  } finally {
    ui.maskDirty = false;
  }
}

function encodeRle(mask) {
  const counts = [];
  let current = 0, run = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i] ? 1 : 0;
    if (v === current) run++;
    else { counts.push(run); current = v; run = 1; }
  }
  counts.push(run);
  return counts;
}

function decodeRle(m) {
  const out = new Uint8Array(m.width * m.height);
  let pos = 0;
  m.counts.forEach((n, i) => { if (i % 2) out.fill(1, pos, pos + n); pos += n; });
  return out;
}

// ---------------------------------------------------------------- controls

document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', () => {
  ui.mode = document.querySelector('input[name=mode]:checked').value;
  overlay.classList.toggle('mask-mode', ui.mode === 'mask');
}));
$('brush-size').oninput = () => { $('brush-size-value').textContent = $('brush-size').value; };
$('show-mask').onchange = drawOverlay;
$('clear-mask').onclick = () => { ui.mask = null; call('DELETE', '/mask').catch(() => {}); };
$('clear-points').onclick = () => call('DELETE', '/points').catch(() => {});
$('start').onclick = () => start();
$('stop').onclick = () => call('POST', '/stop').catch(() => {});
$('undo').onclick = () => call('POST', '/undo').catch(() => {});
$('redo').onclick = () => call('POST', '/redo').catch(() => {});
$('reset').onclick = () => call('POST', '/reset').catch(() => {});
$('random-seed').onclick = () => {
  $('seed').value = Math.floor(Math.random() * 2 ** 31);
  settingsChanged({ seed: Number($('seed').value) });
};
$('seed').onchange = () => settingsChanged({ seed: Number($('seed').value) });
$('psi').onchange = () => settingsChanged({ psi: Number($('psi').value) });
$('latent-space').onchange = () => settingsChanged({ latent_space: $('latent-space').value });
const paramInputs = { lr: 'lr', r1: 'r1', r2: 'r2', 'lambda-mask': 'lambda_mask', 'max-steps': 'max_steps',
                      'preview-every': 'preview_every' };
for (const [id, key] of Object.entries(paramInputs))
  $(id).onchange = () => settingsChanged({ params: { [key]: Number($(id).value) } });
$('model').onchange = () => settingsChanged({ model: $('model').value });

function settingsChanged(body) { call('PATCH', '', body).catch(() => refresh()); }

async function start() {
  if (!ui.session || ui.session.running) return;
  ui.livePoints = null;
  ui.lastTask = 'drag';
  $('step').textContent = '0';
  await call('POST', '/start', {}).catch(() => {});
}

function toggleRun() {
  if (!ui.session) return;
  if (ui.session.running) call('POST', '/stop').catch(() => {});
  else start();
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

$('save-png').onclick = async () => {
  const blob = await api('GET', sessionPath('/image.png'));
  download(blob, `draggan-seed${ui.session.seed}.png`);
};
// GIF plays everywhere; /animation.png has the same frames in full colour (APNG).
$('export-animation').onclick = async () => {
  const blob = await api('GET', sessionPath('/animation.gif'));
  download(blob, `draggan-drag-seed${ui.session.seed}.gif`);
};
$('save-session').onclick = async () => {
  const doc = await api('GET', sessionPath('/session.json'));
  download(new Blob([JSON.stringify(doc)], { type: 'application/json' }), `draggan-session-seed${ui.session.seed}.json`);
};
$('load-session').onclick = () => $('session-file').click();
$('session-file').onchange = async () => {
  const file = $('session-file').files[0];
  $('session-file').value = '';
  if (!file) return;
  let doc;
  try { doc = JSON.parse(await file.text()); } catch (e) { showError(`${file.name}: not JSON (${e.message})`); return; }
  ui.maskDirty = false;
  await call('POST', '/load', doc).catch(() => {});
};

// Upload image: the server projects the photo (live "upload" events), then the session drags the result.
$('upload').onclick = () => $('upload-file').click();
$('upload-file').onchange = async () => {
  const file = $('upload-file').files[0];
  $('upload-file').value = '';
  if (!file || !ui.session || ui.session.running) return;
  ui.lastTask = 'upload';
  ui.maskDirty = false;
  const name = encodeURIComponent(file.name);
  // The server reads the format from the bytes; it takes image types or octet-stream (never text/plain, which
  // any web page could send it).
  const type = file.type && file.type.startsWith('image/') ? file.type : 'application/octet-stream';
  await call('POST', `/upload?name=${name}`, file, type).catch(() => {});
};

document.addEventListener('keydown', (e) => {
  const tag = (document.activeElement && document.activeElement.tagName) || '';
  if (['INPUT', 'SELECT', 'TEXTAREA'].includes(tag) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.code === 'Space') { e.preventDefault(); toggleRun(); }
  else if (e.key === 'z' || e.key === 'Z') { e.preventDefault(); call('POST', e.shiftKey ? '/redo' : '/undo').catch(() => {}); }
  else if (e.key === 'y') { e.preventDefault(); call('POST', '/redo').catch(() => {}); }
  else if (e.key === 'Escape') { e.preventDefault(); call('DELETE', '/points').catch(() => {}); }
});

// ---------------------------------------------------------------- live events

function connectEvents() {
  if (ui.events) ui.events.close();
  const events = new EventSource(sessionPath('/events'));
  ui.events = events;
  events.onopen = () => { $('connection').textContent = 'connected'; };
  events.onerror = async () => {
    if (events !== ui.events || ui.lost) return;
    $('connection').textContent = 'reconnecting…';
    // The stream ended or was refused. A session the server no longer has is lost (the page says so and
    // offers the saved state); otherwise reconnect, since EventSource gives up after a refused stream.
    try {
      const response = await fetch(sessionPath());
      if (response.status === 404) { sessionLost(); return; }
    } catch (e) {
      // unreachable for now
    }
    if (events.readyState === EventSource.CLOSED && events === ui.events)
      setTimeout(() => { if (events === ui.events && !ui.lost) connectEvents(); }, 2000);
  };
  events.addEventListener('state', (e) => applyState(JSON.parse(e.data)));
  // The server ends the stream (it fell behind, or the server is stopping): the browser reconnects by itself
  // and the new stream starts with the current state.
  events.addEventListener('end', (e) => { $('connection').textContent = `reconnecting… (${JSON.parse(e.data).reason})`; });
  events.addEventListener('step', (e) => {
    const step = JSON.parse(e.data);
    ui.livePoints = step.points;
    showProgress(step);
    // The image is rendered beside the next step: say so when the engine is already further.
    const behind = step.image_step === undefined ? 0 : (step.engine_step ?? step.image_step) - step.image_step;
    $('image-lag').textContent = behind > 0 ? `· image ${behind} step${behind > 1 ? 's' : ''} behind the engine` : '';
    if (step.image) showFrame(step.image, step.image_version);
    else if (step.image_version > ui.imageVersion) loadImage(step.image_version);  // large images: fetched
    renderPointList();
    drawOverlay();
  });
  events.addEventListener('upload', (e) => {
    const u = JSON.parse(e.data);
    $('drag-state').textContent = describeUpload(u);
    if (u.image) showFrame(u.image, ui.imageVersion);  // a preview, not a new version of the image
  });
  events.addEventListener('done', (e) => {
    const done = JSON.parse(e.data);
    $('image-lag').textContent = '';
    ui.lastTask = done.task || 'drag';
    const what = done.task === 'upload' ? 'Upload failed: ' : 'Drag failed: ';
    if (done.reason === 'error' && done.error) showError(what + done.error);
    if (done.state) applyState(done.state);
  });
}

async function refresh() {
  if (ui.session) applyState(await api('GET', sessionPath()));
}

async function newSession(model) {
  const body = model ? { model } : {};
  startSession(await api('POST', '/api/sessions', body));
}

function startSession(state) {
  ui.session = null;
  ui.lost = false;
  ui.livePoints = null;
  ui.maskDirty = false;
  ui.imageVersion = -1;
  ui.requestedVersion = -1;
  applyState(state);
  connectEvents();
  $('connection').textContent = 'connecting…';
}

async function init() {
  try {
    const models = await api('GET', '/api/models');
    const select = $('model');
    for (const m of models.models) {
      const option = document.createElement('option');
      option.value = m.id;
      option.textContent = m.width ? `${m.id} (${m.width}×${m.height})` : m.id;
      select.appendChild(option);
    }
    select.value = models.default;
    $('model-picker').hidden = models.models.length < 2;
    await newSession(models.default);
  } catch (e) {
    $('connection').textContent = 'error';
  }
}

window.addEventListener('resize', () => {
  if (!ui.session) return;
  const version = ui.imageVersion;
  layoutCanvas();  // resizing the canvas clears it: fetch the image again
  ui.imageVersion = -1;
  ui.requestedVersion = -1;
  loadImage(Math.max(version, ui.session.image_version));
  drawOverlay();
});
window.addEventListener('beforeunload', () => {
  // Free the session now rather than at the idle timeout (best effort).
  if (ui.session && !ui.lost) fetch(sessionPath(), { method: 'DELETE', keepalive: true }).catch(() => {});
});
bindSessionKeeper();
init();
