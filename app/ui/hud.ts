/**
 * HUD: room code, players (score, ping), connection mode, FPS, and a live uPlot graph of tick
 * time, Lua time and bandwidth.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';
import { cssColor, playerColor } from '../render/colors';

export type ConnectionMode = 'connecting' | 'host' | 'webrtc' | 'relay' | 'server' | 'offline';

export interface HudPlayer {
  id: string;
  name: string;
  score: number;
  ping: number;
  connected: boolean;
}

export interface HudState {
  roomCode: string;
  mode: string;
  connectionMode: ConnectionMode;
  ownId?: string;
  players: HudPlayer[];
  fps: number;
  renderer?: string;
  ping: number;
  tick: number;
}

export interface HudSample {
  tickMs: number | null;
  luaMs: number | null;
  kbps: number;
}

const MODE_TEXT: Record<ConnectionMode, string> = {
  connecting: 'connecting…',
  host: 'host',
  webrtc: 'WebRTC',
  relay: 'relay',
  server: 'server',
  offline: 'offline',
};

const POINTS = 60;

export class Hud {
  readonly el: HTMLElement;
  private code = h('span', { class: 'hud-code', testid: 'room-code' });
  private mode = h('span', { class: 'hud-mode', testid: 'game-mode' });
  private conn = h('span', { class: 'hud-conn', testid: 'connection-mode' });
  private fps = h('span', { class: 'hud-fps', testid: 'fps' });
  private ping = h('span', { class: 'hud-ping', testid: 'ping' });
  private list = h('ol', { class: 'hud-players', testid: 'player-list' });
  private graphBox = h('div', { class: 'hud-graph', testid: 'hud-graph' });
  private plot: uPlot | null = null;
  private data: [number[], (number | null)[], (number | null)[], number[]] = [[], [], [], []];
  private lastList = '';
  private t0 = performance.now();

  constructor(parent: HTMLElement) {
    this.el = h(
      'div',
      { class: 'hud' },
      h('div', { class: 'hud-row' }, h('span', { class: 'hud-label' }, 'Room '), this.code),
      h('div', { class: 'hud-row' }, h('span', { class: 'hud-label' }, 'Mode '), this.mode),
      h('div', { class: 'hud-row' }, h('span', { class: 'hud-label' }, 'Link '), this.conn, ' · ', this.ping, ' · ', this.fps),
      this.list,
      this.graphBox,
    );
    parent.appendChild(this.el);
    this.initPlot();
  }

  private initPlot(): void {
    try {
      this.plot = new uPlot(
        {
          width: 240,
          height: 110,
          legend: { show: true, live: false },
          cursor: { show: false },
          scales: { x: { time: false }, ms: { auto: true, range: (_u, _min, max) => [0, Math.max(2, max)] }, kb: { auto: true, range: (_u, _min, max) => [0, Math.max(4, max)] } },
          axes: [
            { show: false },
            { scale: 'ms', stroke: '#9aa4b8', size: 30, grid: { stroke: '#2a3142', width: 1 }, ticks: { show: false }, font: '10px sans-serif' },
            { scale: 'kb', side: 1, stroke: '#9aa4b8', size: 30, grid: { show: false }, ticks: { show: false }, font: '10px sans-serif' },
          ],
          series: [
            {},
            { label: 'tick ms', scale: 'ms', stroke: '#4cc9f0', width: 1.5, spanGaps: true },
            { label: 'Lua ms', scale: 'ms', stroke: '#f9c74f', width: 1.5, spanGaps: true },
            { label: 'KB/s', scale: 'kb', stroke: '#f72585', width: 1.5 },
          ],
        },
        this.data as unknown as uPlot.AlignedData,
        this.graphBox,
      );
    } catch (e) {
      console.warn('uPlot init failed', e);
    }
  }

  /** One graph sample (~2 Hz). tick/Lua times are only known where the simulation runs. */
  sample(s: HudSample): void {
    const t = (performance.now() - this.t0) / 1000;
    const d = this.data;
    d[0].push(t);
    d[1].push(s.tickMs);
    d[2].push(s.luaMs);
    d[3].push(s.kbps);
    if (d[0].length > POINTS) for (const a of d) a.shift();
    this.plot?.setData(d as unknown as uPlot.AlignedData);
  }

  update(s: HudState): void {
    this.code.textContent = s.roomCode;
    this.mode.textContent = s.mode;
    this.conn.textContent = MODE_TEXT[s.connectionMode];
    this.conn.dataset.mode = s.connectionMode;
    this.fps.textContent = `${Math.round(s.fps)} fps${s.renderer ? ` (${s.renderer})` : ''}`;
    this.ping.textContent = s.connectionMode === 'host' ? 'local' : `${Math.round(s.ping)} ms`;
    const sorted = [...s.players].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const key = JSON.stringify(sorted.map((p) => [p.id, p.name, p.score, Math.round(p.ping), p.connected])) + s.ownId;
    if (key === this.lastList) return;
    this.lastList = key;
    this.list.replaceChildren(
      ...sorted.map((p) =>
        h(
          'li',
          { class: `hud-player${p.id === s.ownId ? ' own' : ''}${p.connected ? '' : ' away'}`, 'data-player-id': p.id, testid: `player-${p.id}` },
          h('span', { class: 'swatch', style: `background:${cssColor(playerColor(p.id))}` }),
          h('span', { class: 'name' }, p.name),
          h('span', { class: 'score', testid: `score-${p.id}` }, String(p.score)),
          h('span', { class: 'pping' }, p.connected ? `${Math.round(p.ping)} ms` : 'away'),
        ),
      ),
    );
  }

  dispose(): void {
    this.plot?.destroy();
    this.el.remove();
  }
}
