// The desk's browser softphone: SIP over WebSocket to Asterisk (SIP.js), WebRTC media.
// It registers as the official's desk, rings when the hotline calls the desk, and
// answers, mutes and hangs up.  The caller card beside it comes from the live desk
// state (desk.js), not from here.  Asterisk records the conversation (MixMonitor).
import {
  Registerer, RegistererState, SessionState, UserAgent,
} from "/vendor/sip.js/api/index.js";

const panel = document.getElementById("softphone");
const stateEl = document.getElementById("phone-state");
const answerBtn = document.getElementById("phone-answer");
const muteBtn = document.getElementById("phone-mute");
const hangupBtn = document.getElementById("phone-hangup");
const audio = document.getElementById("phone-audio");

const TEXT = {
  starting: "در حال راه‌اندازی…",
  connecting: "در حال اتصال به مرکز تلفن…",
  registered: "آماده — منتظر تماس",
  ringing: "تماس ورودی — زنگ می‌خورد",
  talking: "در حال گفتگو",
  reconnecting: "اتصال قطع شد؛ تلاش دوباره…",
  failed: "تلفن ثبت نشد",
  unavailable: "تلفن مرورگر در دسترس نیست",
};

let ua = null;
let registerer = null;
let session = null; // the one call this desk handles at a time
let retryMs = 1000;
let ringer = null;

function show(state, detail) {
  stateEl.dataset.state = state;
  stateEl.className = "phone-state " + state;
  stateEl.textContent = detail ? TEXT[state] + " (" + detail + ")" : TEXT[state];
  answerBtn.hidden = state !== "ringing";
  hangupBtn.hidden = state !== "ringing" && state !== "talking";
  muteBtn.hidden = state !== "talking";
}

// A ring the official can hear even with the page in the background: 425 Hz, the
// Iranian ringback cadence (1 s on, 4 s off).  Browsers may refuse audio before the
// first click on the page; then the screen alone shows the call.
function startRinging() {
  try {
    const ctx = new AudioContext();
    const gain = ctx.createGain();
    gain.gain.value = 0;
    gain.connect(ctx.destination);
    const tone = ctx.createOscillator();
    tone.frequency.value = 425;
    tone.connect(gain);
    tone.start();
    const beat = () => {
      gain.gain.setValueAtTime(0.2, ctx.currentTime);
      gain.gain.setValueAtTime(0, ctx.currentTime + 1);
    };
    beat();
    const timer = setInterval(beat, 5000);
    ringer = () => { clearInterval(timer); ctx.close(); };
  } catch (err) {
    ringer = null;
  }
}

function stopRinging() {
  if (ringer) { ringer(); ringer = null; }
}

function attachMedia(current) {
  const pc = current.sessionDescriptionHandler.peerConnection;
  const stream = new MediaStream();
  pc.getReceivers().forEach((r) => { if (r.track) { stream.addTrack(r.track); } });
  audio.srcObject = stream;
  audio.play().catch(() => {});
}

function setMuted(muted) {
  if (!session || !session.sessionDescriptionHandler) { return; }
  session.sessionDescriptionHandler.peerConnection.getSenders().forEach((s) => {
    if (s.track) { s.track.enabled = !muted; }
  });
  muteBtn.setAttribute("aria-pressed", String(muted));
  muteBtn.textContent = muted ? "وصل میکروفون" : "قطع میکروفون";
}

function onInvite(invitation) {
  if (session) {
    // One conversation at a time; Asterisk's queue tries again or another desk.
    invitation.reject({ statusCode: 486 });
    return;
  }
  session = invitation;
  show("ringing");
  startRinging();
  invitation.stateChange.addListener((state) => {
    if (state === SessionState.Established) {
      stopRinging();
      attachMedia(invitation);
      setMuted(false);
      show("talking");
    } else if (state === SessionState.Terminated) {
      stopRinging();
      audio.srcObject = null;
      session = null;
      show(registerer && registerer.state === RegistererState.Registered ? "registered" : "connecting");
    }
  });
}

answerBtn.addEventListener("click", () => {
  if (!session || session.state !== SessionState.Initial) { return; }
  stopRinging();
  session.accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } })
    .catch((err) => { show("failed", "میکروفون: " + err.message); });
});

hangupBtn.addEventListener("click", () => {
  if (!session) { return; }
  if (session.state === SessionState.Initial) {
    session.reject({ statusCode: 603 });
  } else if (session.state === SessionState.Established) {
    session.bye();
  }
});

muteBtn.addEventListener("click", () => {
  setMuted(muteBtn.getAttribute("aria-pressed") !== "true");
});

async function register() {
  registerer.register({
    requestDelegate: {
      // After a reconnect the registerer may already count itself registered, so its
      // state does not change: Asterisk's answer is what says the desk can ring.
      onAccept() { if (!session) { show("registered"); } },
      onReject(response) { show("failed", String(response.message.statusCode)); },
    },
  }).catch((err) => show("failed", err.message));
}

function reconnectLater() {
  show("reconnecting");
  setTimeout(async () => {
    try {
      await ua.reconnect();
      retryMs = 1000;
    } catch (err) {
      retryMs = Math.min(retryMs * 2, 30000);
      reconnectLater();
    }
  }, retryMs);
}

async function start() {
  show("starting");
  let config;
  try {
    const response = await fetch(panel.dataset.config, { credentials: "same-origin", cache: "no-store" });
    config = await response.json();
  } catch (err) {
    show("unavailable", err.message);
    return;
  }
  if (!config.enabled) { show("unavailable"); return; }
  ua = new UserAgent({
    uri: UserAgent.makeURI(config.uri),
    displayName: config.display_name,
    authorizationUsername: config.username,
    // The desk's random credential as Asterisk stores it (md5_cred); no password exists.
    authorizationHa1: config.ha1,
    transportOptions: { server: config.ws_url },
    logLevel: "warn",
    sessionDescriptionHandlerFactoryOptions: {
      peerConnectionConfiguration: { iceServers: config.ice_servers.map((u) => ({ urls: u })) },
    },
    delegate: {
      onInvite,
      onConnect: () => { retryMs = 1000; register(); },
      onDisconnect: (err) => { if (err) { reconnectLater(); } },
    },
  });
  registerer = new Registerer(ua, { expires: 300 });
  registerer.stateChange.addListener((state) => {
    if (session) { return; }
    if (state === RegistererState.Registered) { show("registered"); }
    else if (state === RegistererState.Unregistered) { show("connecting"); }
  });
  show("connecting");
  try {
    await ua.start();
  } catch (err) {
    reconnectLater();
  }
}

window.addEventListener("beforeunload", () => {
  if (registerer) { registerer.unregister().catch(() => {}); }
});

start();
