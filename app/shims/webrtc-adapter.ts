/**
 * Stand-in for `webrtc-adapter` (imported by peerjs; ~46 KB of shims for browsers that predate
 * the standard RTCPeerConnection API). peerjs only reads `browserDetails` from it; every
 * browser this app supports (Chrome/Edge >= 72, Firefox >= 59, Safari >= 12) has the standard
 * API. Detection follows webrtc-adapter's detectBrowser().
 */
function detect(): { browser: string; version: number | null } {
  if (typeof navigator === 'undefined' || typeof window === 'undefined') return { browser: 'Not a browser.', version: null };
  const ua = navigator.userAgent;
  let m = /Firefox\/(\d+)\./.exec(ua);
  if (m) return { browser: 'firefox', version: Number(m[1]) };
  m = /Chrom(?:e|ium)\/(\d+)\./.exec(ua);
  if (m && !/iPhone|iPad|iPod/.test(ua)) return { browser: 'chrome', version: Number(m[1]) };
  m = /AppleWebKit\/(\d+)\./.exec(ua);
  if (m && typeof RTCPeerConnection !== 'undefined') return { browser: 'safari', version: Number(m[1]) };
  return { browser: 'Not a supported browser.', version: null };
}

const adapter = { browserDetails: detect() };
export default adapter;
