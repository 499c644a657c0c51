/** Share card: the room code large, a copy-link button and a QR code of the join link. */
import QRCode from 'qrcode';
import { h } from './dom';

export class ShareCard {
  readonly el: HTMLElement;

  constructor(parent: HTMLElement, code: string) {
    const link = `${location.origin}/r/${code}`;
    const canvas = h('canvas', { testid: 'qr-code', width: '150', height: '150', 'aria-label': `QR code of ${link}` });
    QRCode.toCanvas(canvas, link, { width: 150, margin: 1, errorCorrectionLevel: 'M' }).catch((e: unknown) => console.warn('QR failed', e));
    const copy = h('button', { type: 'button', testid: 'copy-link' }, 'Copy link');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(link);
        copy.textContent = 'Copied!';
      } catch {
        // Clipboard blocked (insecure context or permissions): select the text instead.
        const range = document.createRange();
        range.selectNodeContents(linkEl);
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
        copy.textContent = 'Press Ctrl+C';
      }
      setTimeout(() => (copy.textContent = 'Copy link'), 1500);
    });
    const hide = h('button', { type: 'button', class: 'secondary', testid: 'hide-share' }, 'Hide');
    hide.addEventListener('click', () => this.el.remove());
    const linkEl = h('div', { class: 'link', testid: 'join-link' }, link);
    this.el = h('div', { class: 'share', testid: 'share-card' }, h('div', {}, 'Room code'), h('div', { class: 'big-code', testid: 'share-code' }, code), canvas, linkEl, h('div', { class: 'actions' }, copy, hide));
    parent.appendChild(this.el);
  }
}
