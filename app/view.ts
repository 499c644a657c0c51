/** The in-game screen: Pixi stage, HUD, share card, host panel, touch controls, messages. */
import { Hud } from './ui/hud';
import { HostPanel } from './ui/host-panel';
import { ShareCard } from './ui/share';
import { Banner } from './ui/banner';
import { h } from './ui/dom';
import { InputController } from './input';
import { Renderer, type RendererChoice } from './render/renderer';
import type { Session } from './session';

export class GameView {
  readonly el = h('div', { class: 'game', testid: 'game' });
  private stage = h('div', { class: 'stage' });
  private messages = h('div', { class: 'messages', testid: 'messages' });
  /** Right-hand column: share card, host panel (scrolls when the screen is short). */
  private side = h('div', { class: 'side' });
  readonly banner: Banner;
  private hud: Hud;
  private panel: HostPanel | null = null;
  private input: InputController;
  renderer: Renderer | null = null;
  private names = new Map<string, string>();
  private lastBytes = 0;
  private lastSampleAt = performance.now();
  private timers: ReturnType<typeof setInterval>[] = [];
  firstFrameWithPlayerAt: number | null = null;
  /** Set by main: back to the lobby. */
  onLeave: (() => void) | null = null;
  /** A problem that no reconnect can fix (shown instead of transient ones). */
  fatal = '';

  constructor(
    root: HTMLElement,
    private readonly session: Session,
    private readonly fps: number,
    showShare: boolean,
    private readonly rendererChoice: RendererChoice = 'auto',
  ) {
    this.el.append(this.stage, this.messages, this.side);
    root.replaceChildren(this.el);
    this.hud = new Hud(this.el);
    const leave = h('button', { type: 'button', class: 'secondary leave', testid: 'leave-room' }, session.role.kind === 'host' ? 'End room' : 'Leave');
    leave.addEventListener('click', () => this.onLeave?.());
    this.hud.el.appendChild(leave);
    this.banner = new Banner(this.el);
    if (showShare) new ShareCard(this.side, session.code);
    this.input = new InputController(this.el);
    this.input.onChange(() => {
      const d = this.input.direction();
      session.setInput(d.dx, d.dy);
    });
    this.timers.push(setInterval(() => this.updateHud(), 250));
    this.timers.push(setInterval(() => this.sampleGraph(), 500));
  }

  async init(): Promise<void> {
    try {
      this.renderer = await Renderer.create(this.stage, this.fps, this.rendererChoice);
    } catch (e) {
      this.fatal = `Your browser cannot draw the game: ${(e as Error).message}`;
      this.banner.show(this.fatal);
      return;
    }
    this.renderer.onFrame(() => this.drawFrame());
  }

  private drawFrame(): void {
    const r = this.renderer!;
    const s = this.session;
    if (s.arena.width) r.setArena(s.arena.width, s.arena.height);
    const ents = s.frame(performance.now());
    r.draw(ents, { ownPlayerId: s.playerId ?? undefined, names: this.names });
    if (this.firstFrameWithPlayerAt === null && s.playerId && ents.some((e) => e.kind === 'player' && e.owner === s.playerId)) {
      this.firstFrameWithPlayerAt = performance.now();
      this.el.dataset.ready = '1';
    }
  }

  /** Roster/mode/connection changed. */
  refresh(): void {
    const s = this.session;
    this.names = new Map(s.players.map((p) => [p.id, p.name]));
    if (s.isHost && !this.panel) {
      this.panel = new HostPanel(this.side, {
        setMode: (m) => s.setMode(m),
        loadMod: (n, c) => s.loadMod(n, c),
        kick: (id) => s.kick(id),
      });
    }
    this.panel?.setModes(s.modes, s.mode);
    this.panel?.setPlayers(s.players, s.playerId ?? undefined);
    this.updateHud();
  }

  private updateHud(): void {
    const s = this.session;
    this.hud.update({
      roomCode: s.code,
      mode: s.mode,
      connectionMode: s.connectionMode,
      ownId: s.playerId ?? undefined,
      players: s.players,
      fps: this.renderer?.fps ?? 0,
      renderer: this.renderer?.kind,
      ping: s.ping,
      tick: s.tick,
    });
    this.el.dataset.connectionMode = s.connectionMode;
  }

  private sampleGraph(): void {
    const s = this.session;
    const now = performance.now();
    const dt = Math.max(0.001, (now - this.lastSampleAt) / 1000);
    const cur = s.bytes;
    const t = s.telemetry();
    // A player: its own connection. The host: what its simulation sends to everyone (snapshots)
    // plus the server host link, over the worker's last telemetry window.
    const kbps = t ? (t.snapshotBytes + t.hostLinkBytes) / 1024 / (t.windowMs / 1000) : Math.max(0, cur - this.lastBytes) / 1024 / dt;
    this.lastBytes = cur;
    this.lastSampleAt = now;
    this.hud.sample({ tickMs: t ? t.tickMs : null, luaMs: t ? t.luaMs : null, kbps });
  }

  message(text: string): void {
    const line = h('div', {}, text);
    this.messages.appendChild(line);
    while (this.messages.childElementCount > 4) this.messages.firstElementChild?.remove();
    setTimeout(() => line.remove(), 6000);
  }

  commandError(code: string, message: string): void {
    if (this.panel) this.panel.showCommandError(`${message} (${code})`);
    this.message(`Refused: ${message}`);
  }

  modResult(r: Parameters<HostPanel['showResult']>[0]): void {
    this.panel?.showResult(r);
  }

  dispose(): void {
    for (const t of this.timers) clearInterval(t);
    this.input.dispose();
    this.hud.dispose();
    this.renderer?.destroyAll();
  }
}
