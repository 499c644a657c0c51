/** Host panel: switch game mode, edit/load a Lua mod (errors shown by line), kick a player. */
import { h } from './dom';

export interface HostPanelActions {
  setMode(mode: string): void;
  loadMod(name: string, code: string): void;
  kick(playerId: string): void;
}

export interface ModResult {
  name: string;
  ok: boolean;
  error?: { script: string; line?: number; message: string };
}

const EXAMPLE_MOD = `-- A Lua mod: runs next to the rules. See docs/LUA_API.md.
-- Example: announce every coin.
`;

export class HostPanel {
  readonly el: HTMLElement;
  private select = h('select', { testid: 'mode-select', 'aria-label': 'game mode' });
  private modName = h('input', { testid: 'mod-name', value: 'my_mod.lua', 'aria-label': 'mod name', spellcheck: 'false' });
  private editor = h('textarea', { testid: 'mod-editor', rows: '7', spellcheck: 'false', 'aria-label': 'Lua mod source' });
  private result = h('div', { class: 'mod-result', testid: 'mod-error', role: 'status' });
  private kicks = h('ul', { class: 'kick-list', testid: 'kick-list' });
  private modes: readonly string[] = [];

  constructor(parent: HTMLElement, private readonly actions: HostPanelActions) {
    this.editor.value = EXAMPLE_MOD;
    this.select.addEventListener('change', () => actions.setMode(this.select.value));
    const load = h('button', { testid: 'load-mod', type: 'button' }, 'Load mod');
    load.addEventListener('click', () => {
      const name = this.modName.value.trim() || 'mod.lua';
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
        this.showResult({ name, ok: false, error: { script: name, message: 'a mod name is 1-64 letters, digits, _ . - (e.g. my_mod.lua)' } });
        return;
      }
      if (new Blob([this.editor.value]).size > 256 * 1024) {
        this.showResult({ name, ok: false, error: { script: name, message: 'the mod is larger than 256 KiB' } });
        return;
      }
      this.result.textContent = 'loading…';
      this.result.className = 'mod-result pending';
      actions.loadMod(name, this.editor.value);
    });
    const file = h('input', { type: 'file', accept: '.lua,text/plain', testid: 'mod-file', 'aria-label': 'load a .lua file' });
    file.addEventListener('change', async () => {
      const f = file.files?.[0];
      if (!f) return;
      if (f.size > 64 * 1024) {
        this.showResult({ name: f.name, ok: false, error: { script: f.name, message: 'file too large (max 64 KiB)' } });
        return;
      }
      this.editor.value = await f.text();
      this.modName.value = f.name;
    });
    const toggle = h('button', { class: 'panel-toggle', type: 'button', testid: 'host-panel-toggle' }, 'Host panel');
    const body = h(
      'div',
      { class: 'panel-body' },
      h('label', {}, 'Game mode ', this.select),
      h('div', { class: 'mod-head' }, this.modName, file),
      this.editor,
      h('div', { class: 'mod-actions' }, load),
      this.result,
      h('div', { class: 'panel-sub' }, 'Players'),
      this.kicks,
    );
    toggle.addEventListener('click', () => body.classList.toggle('collapsed'));
    this.el = h('div', { class: 'host-panel', testid: 'host-panel' }, toggle, body);
    parent.appendChild(this.el);
  }

  setModes(modes: readonly string[], current: string): void {
    if (modes.join() !== this.modes.join()) {
      this.modes = modes;
      this.select.replaceChildren(...modes.map((m) => h('option', { value: m }, m)));
    }
    if (document.activeElement !== this.select) this.select.value = current;
  }

  /** A host command was refused (e.g. not_host, bad request): show it where the host looks. */
  showCommandError(message: string): void {
    this.result.className = 'mod-result error';
    this.result.textContent = message;
  }

  showResult(r: ModResult): void {
    if (r.ok) {
      this.result.className = 'mod-result ok';
      this.result.textContent = `${r.name} loaded`;
    } else {
      const e = r.error;
      this.result.className = 'mod-result error';
      this.result.textContent = e ? `${e.script}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}` : `${r.name} failed to load`;
      if (e?.line !== undefined) this.highlightLine(e.line);
    }
  }

  private highlightLine(line: number): void {
    const lines = this.editor.value.split('\n');
    if (line < 1 || line > lines.length) return;
    let start = 0;
    for (let i = 0; i < line - 1; i++) start += lines[i].length + 1;
    this.editor.setSelectionRange(start, start + lines[line - 1].length);
  }

  setPlayers(players: { id: string; name: string }[], ownId?: string): void {
    this.kicks.replaceChildren(
      ...players
        .filter((p) => p.id !== ownId)
        .map((p) => {
          const b = h('button', { type: 'button', testid: `kick-${p.id}` }, 'Kick');
          b.addEventListener('click', () => this.actions.kick(p.id));
          return h('li', {}, h('span', {}, `${p.name} (${p.id})`), b);
        }),
    );
  }

  dispose(): void {
    this.el.remove();
  }
}
