/** Landing page: name, Create room (optionally server-hosted), Join by code. */
import { h } from './ui/dom';
import { normalizeCode } from './api';

export interface LobbyActions {
  create(name: string, serverHosted: boolean): void;
  join(name: string, code: string): void;
}

export const NAME_KEY = 'wla.name';

export function savedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    /* storage may be disabled */
  }
}

export function cleanName(raw: string): string {
  const n = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 24);
  return n || `Guest ${Math.floor(100 + Math.random() * 900)}`;
}

export class Lobby {
  readonly el: HTMLElement;
  private errorBox = h('div', { class: 'error', testid: 'error-message', role: 'alert' });
  private buttons: HTMLButtonElement[] = [];

  constructor(root: HTMLElement, actions: LobbyActions, initialError = '') {
    const name = h('input', { id: 'player-name', testid: 'player-name', maxlength: '24', placeholder: 'Your name', autocomplete: 'nickname', value: savedName() });
    const serverHosted = h('input', { type: 'checkbox', testid: 'server-hosted', id: 'server-hosted' });
    const create = h('button', { class: 'create', testid: 'create-room', type: 'button' }, 'Create room');
    const code = h('input', { id: 'join-code', testid: 'join-code', maxlength: '12', placeholder: 'CODE', autocomplete: 'off', spellcheck: 'false' });
    const join = h('button', { testid: 'join-room', type: 'button' }, 'Join');
    this.buttons = [create, join];
    const getName = () => {
      const n = cleanName(name.value);
      saveName(n);
      return n;
    };
    create.addEventListener('click', () => actions.create(getName(), serverHosted.checked));
    const doJoin = () => {
      const c = normalizeCode(code.value);
      if (!c) {
        this.showError('Enter the room code you were given, e.g. K7P2Q.');
        code.focus();
        return;
      }
      actions.join(getName(), c);
    };
    join.addEventListener('click', doJoin);
    code.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') doJoin();
    });
    this.el = h(
      'section',
      { class: 'lobby', testid: 'lobby' },
      h('h1', {}, 'WASM Lua Arena'),
      h('p', { class: 'sub' }, 'Create a room and share the code, or join a friend.'),
      h('label', { for: 'player-name' }, 'Name'),
      name,
      h('label', { class: 'check' }, serverHosted, 'Server-hosted (the server runs the game instead of your browser)'),
      create,
      h('hr'),
      h('label', { for: 'join-code' }, 'Join with a code'),
      h('div', { class: 'row' }, code, join),
      this.errorBox,
    );
    root.replaceChildren(this.el);
    if (initialError) this.showError(initialError);
  }

  showError(msg: string): void {
    this.errorBox.textContent = msg;
    this.setBusy(false);
  }

  setBusy(busy: boolean): void {
    for (const b of this.buttons) b.disabled = busy;
  }
}
