// The editor page's safety net (loaded before app.js, whose globals it uses when called): a copy of the
// session's last settled state (session.json), and what the page does when the server no longer has the
// session (deleted, expired, server restarted): say so and offer that copy instead of silently starting over.
'use strict';

// Every settled change (not the live steps of a drag) refreshes the page's copy of session.json, so that a
// session the server has lost (restarted, deleted) can be restored from it.
function scheduleSave() {
  clearTimeout(ui.saveTimer);
  ui.saveTimer = setTimeout(keepSavedState, 700);
}

async function keepSavedState() {
  if (!ui.session || ui.lost || ui.session.running) return;
  const id = ui.session.id;
  try {
    const response = await fetch(sessionPath('/session.json'));
    if (response.status === 404) { sessionLost(); return; }
    if (!response.ok || !ui.session || ui.session.id !== id) return;
    const doc = await response.json();
    ui.lastSaved = { doc, at: new Date(), points: (doc.points || []).length };
    document.body.dataset.savedAt = ui.lastSaved.at.getTime();
  } catch (e) {
    // The server is unreachable: the previous copy stays.
  }
}

function sessionLost() {
  if (ui.lost) return;
  ui.lost = true;
  clearTimeout(ui.saveTimer);
  if (ui.events) { ui.events.close(); ui.events = null; }
  $('connection').textContent = 'session lost';
  const saved = ui.lastSaved;
  $('session-lost-text').textContent = 'The server no longer has this editing session (it was closed, expired ' +
    'or the server restarted). ' + (saved
    ? `The page kept its state from ${saved.at.toLocaleTimeString()} (${saved.points} point${saved.points === 1 ? '' : 's'}).`
    : 'The page has no saved state of it.');
  $('restore-session').hidden = !saved;
  $('session-lost').hidden = false;
}

async function restoreSaved() {
  const saved = ui.lastSaved;
  if (!saved) return;
  const model = saved.doc.model && saved.doc.model.id;
  try {
    const created = await api('POST', '/api/sessions', model ? { model } : {});
    const state = await api('POST', `/api/sessions/${created.id}/load`, saved.doc);
    startSession(state);
  } catch (e) {
    return;  // the error bar says why; the dialog stays
  }
  $('session-lost').hidden = true;
}
function bindSessionKeeper() {
  $('restore-session').onclick = () => restoreSaved();
  $('new-session').onclick = async () => {
    try { await newSession($('model').value || undefined); } catch (e) { return; }
    $('session-lost').hidden = true;
  };
}