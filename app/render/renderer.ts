/**
 * Pixi.js v8 renderer. Draws a list of EntityView (interpolated remote entities plus the
 * predicted own player) and nothing else: it reads snapshots only, never the simulation.
 * One Graphics per entity, rebuilt only when its look changes; a camera follows the own player.
 */
// The page's CSP has no 'unsafe-eval': Pixi's eval-free shader/uniform code paths.
import 'pixi.js/unsafe-eval';
import { CanvasRenderer, Container, Graphics, isWebGLSupported, Text, Ticker, WebGLRenderer } from 'pixi.js';
import type { EntityView } from '../../core/sim/types';
import { playerColor } from './colors';

export const BACKGROUND = 0x10131a;

export type RendererChoice = 'auto' | 'webgl' | 'canvas';

/**
 * True when WebGL is implemented in software (SwiftShader, llvmpipe: VMs, blocklisted GPUs,
 * headless test browsers). There every WebGL frame costs the main thread 60-150 ms of readback
 * (measured: 10 fps and long tasks at a 20 fps cap), while Pixi's Canvas 2D renderer draws
 * this scene at 60 fps with no long tasks, so 'auto' picks canvas.
 */
export function softwareWebGL(): boolean {
  try {
    const c = document.createElement('canvas');
    const gl = (c.getContext('webgl2') ?? c.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return true;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|software|softpipe/i.test(name);
  } catch {
    return true;
  }
}

const FLAG_IT = 1;
const FLAG_BOOST = 2;
const FLAG_SHIELD = 4;
const FLAG_MAGNET = 8;

interface Sprite {
  g: Graphics;
  label?: Text;
  look: string;
}

export interface RenderOptions {
  ownPlayerId?: string;
  names: Map<string, string>;
}

const POWERUP_COLORS: Record<string, number> = { speed: 0x00f5d4, shield: 0x4895ef, magnet: 0xe056fd };

export class Renderer {
  private readonly world = new Container();
  private readonly floor = new Graphics();
  private readonly layers = { zone: new Container(), static: new Container(), items: new Container(), actors: new Container(), labels: new Container() };
  private sprites = new Map<number, Sprite>();
  private arena = { width: 0, height: 0 };
  private camX = 0;
  private camY = 0;
  private frames = 0;
  private fpsT0 = performance.now();
  fps = 0;

  private readonly stage = new Container();
  private readonly resizeObserver: ResizeObserver;

  private constructor(
    readonly pixi: WebGLRenderer | CanvasRenderer,
    readonly ticker: Ticker,
    parent: HTMLElement,
  ) {
    this.world.addChild(this.floor, this.layers.zone, this.layers.static, this.layers.items, this.layers.actors, this.layers.labels);
    this.stage.addChild(this.world);
    this.resizeObserver = new ResizeObserver(() => pixi.resize(Math.max(1, parent.clientWidth), Math.max(1, parent.clientHeight)));
    this.resizeObserver.observe(parent);
  }

  /** 'webgl' or 'canvas'. */
  get kind(): string {
    return this.pixi.name;
  }

  /**
   * The renderer is built directly (not via Application/autoDetectRenderer) with
   * manageImports off: no WebGPU chunk, no interaction/accessibility/DOM extensions, which this
   * game does not use (input is keyboard/touch on DOM elements).
   */
  static async create(parent: HTMLElement, maxFps: number, choice: RendererChoice = 'auto'): Promise<Renderer> {
    const wantGl = choice === 'webgl' || (choice === 'auto' && !softwareWebGL());
    const opts = {
      width: Math.max(1, parent.clientWidth),
      height: Math.max(1, parent.clientHeight),
      background: BACKGROUND,
      antialias: false,
      autoDensity: true,
      resolution: Math.min(window.devicePixelRatio || 1, 2),
      manageImports: false,
    };
    let pixi: WebGLRenderer | CanvasRenderer | null = null;
    if (wantGl && isWebGLSupported()) {
      try {
        const gl = new WebGLRenderer();
        await gl.init(opts);
        pixi = gl;
      } catch (e) {
        console.warn('WebGL renderer failed, using Canvas 2D', e);
      }
    }
    if (!pixi) {
      const cv = new CanvasRenderer();
      await cv.init(opts);
      pixi = cv;
    }
    const canvas = pixi.canvas as HTMLCanvasElement;
    canvas.dataset.testid = 'game-canvas';
    canvas.dataset.renderer = pixi.name;
    parent.appendChild(canvas);
    const ticker = new Ticker();
    ticker.maxFPS = maxFps;
    const r = new Renderer(pixi, ticker, parent);
    ticker.start();
    return r;
  }

  /** Called once per frame (capped at maxFps), then the stage is rendered. */
  onFrame(cb: () => void): void {
    this.ticker.add(() => {
      this.frames++;
      const now = performance.now();
      if (now - this.fpsT0 >= 1000) {
        this.fps = (this.frames * 1000) / (now - this.fpsT0);
        this.frames = 0;
        this.fpsT0 = now;
      }
      cb();
      this.pixi.render(this.stage);
    });
  }

  setArena(width: number, height: number): void {
    if (width === this.arena.width && height === this.arena.height) return;
    this.arena = { width, height };
    this.floor.clear();
    this.floor.rect(0, 0, width, height).fill(0x161b26);
    const step = 100;
    for (let x = step; x < width; x += step) this.floor.moveTo(x, 0).lineTo(x, height);
    for (let y = step; y < height; y += step) this.floor.moveTo(0, y).lineTo(width, y);
    this.floor.stroke({ width: 1, color: 0x232a3a });
    this.floor.rect(0, 0, width, height).stroke({ width: 4, color: 0x3a4560 });
  }

  draw(entities: readonly EntityView[], opts: RenderOptions): void {
    const seen = new Set<number>();
    let own: EntityView | undefined;
    for (const e of entities) {
      seen.add(e.id);
      if (e.kind === 'player' && e.owner !== undefined && e.owner === opts.ownPlayerId) own = e;
      const look = this.lookOf(e, opts);
      let s = this.sprites.get(e.id);
      if (!s || s.look !== look) {
        if (s) this.destroy(s);
        s = this.build(e, look, opts);
        this.sprites.set(e.id, s);
      }
      s.g.position.set(e.x, e.y);
      if (s.label) s.label.position.set(e.x, e.y - e.r - 6);
    }
    for (const [id, s] of this.sprites) {
      if (!seen.has(id)) {
        this.destroy(s);
        this.sprites.delete(id);
      }
    }
    this.updateCamera(own);
  }

  private updateCamera(own: EntityView | undefined): void {
    const sw = this.pixi.screen.width;
    const sh = this.pixi.screen.height;
    const { width: aw, height: ah } = this.arena;
    // Zoom out on small screens so at least ~700 world units are visible.
    const scale = Math.min(1, Math.min(sw, sh) / 700);
    this.world.scale.set(scale);
    const vw = sw / scale;
    const vh = sh / scale;
    let tx = own ? own.x : aw / 2;
    let ty = own ? own.y : ah / 2;
    // Clamp so the view stays inside the arena (centered if the arena is smaller).
    tx = aw <= vw ? aw / 2 : Math.max(vw / 2, Math.min(aw - vw / 2, tx));
    ty = ah <= vh ? ah / 2 : Math.max(vh / 2, Math.min(ah - vh / 2, ty));
    // Smooth follow.
    const k = this.camX === 0 && this.camY === 0 ? 1 : 0.25;
    this.camX += (tx - this.camX) * k;
    this.camY += (ty - this.camY) * k;
    this.world.position.set(sw / 2 - this.camX * scale, sh / 2 - this.camY * scale);
  }

  private lookOf(e: EntityView, opts: RenderOptions): string {
    const name = e.kind === 'player' && e.owner ? (opts.names.get(e.owner) ?? e.owner) : '';
    const own = e.kind === 'player' && e.owner === opts.ownPlayerId ? 1 : 0;
    return `${e.kind}|${e.r}|${e.h}|${e.flags}|${e.variant ?? ''}|${e.owner ?? ''}|${name}|${own}`;
  }

  private build(e: EntityView, look: string, opts: RenderOptions): Sprite {
    const g = new Graphics();
    let label: Text | undefined;
    switch (e.kind) {
      case 'player': {
        const color = playerColor(e.owner ?? String(e.id));
        if (e.flags & FLAG_BOOST) g.circle(0, 0, e.r + 5).fill({ color, alpha: 0.25 });
        g.circle(0, 0, e.r).fill(color);
        if (e.flags & FLAG_IT) g.circle(0, 0, e.r + 3).stroke({ width: 4, color: 0xff3b3b });
        if (e.flags & FLAG_SHIELD) g.circle(0, 0, e.r + 7).stroke({ width: 2, color: 0x4895ef });
        if (e.flags & FLAG_MAGNET) g.circle(0, 0, e.r + 10).stroke({ width: 1, color: 0xe056fd, alpha: 0.6 });
        if (e.owner !== undefined && e.owner === opts.ownPlayerId) g.circle(0, 0, e.r).stroke({ width: 3, color: 0xffffff });
        const name = e.owner ? (opts.names.get(e.owner) ?? e.owner) : '';
        label = new Text({ text: name, style: { fontSize: 14, fill: 0xffffff, fontFamily: 'sans-serif' } });
        label.anchor.set(0.5, 1);
        this.layers.labels.addChild(label);
        this.layers.actors.addChild(g);
        break;
      }
      case 'npc': {
        const color = e.flags & 16 ? 0xffb703 : 0xe63946;
        g.poly([0, -e.r, e.r, e.r * 0.8, -e.r, e.r * 0.8]).fill(color);
        this.layers.actors.addChild(g);
        break;
      }
      case 'coin':
        g.circle(0, 0, e.r).fill(0xffd60a).circle(0, 0, e.r * 0.55).stroke({ width: 2, color: 0xc9a000 });
        this.layers.items.addChild(g);
        break;
      case 'powerup': {
        const c = POWERUP_COLORS[e.variant ?? ''] ?? 0x80ffdb;
        g.poly([0, -e.r, e.r, 0, 0, e.r, -e.r, 0]).fill(c).stroke({ width: 2, color: 0xffffff });
        this.layers.items.addChild(g);
        break;
      }
      case 'wall':
        g.rect(-e.r, -e.h, e.r * 2, e.h * 2).fill(0x4a5568).stroke({ width: 2, color: 0x718096 });
        this.layers.static.addChild(g);
        break;
      case 'zone':
        if (e.r === e.h) g.circle(0, 0, e.r).fill({ color: 0x2ec4b6, alpha: 0.18 }).stroke({ width: 2, color: 0x2ec4b6, alpha: 0.6 });
        else g.rect(-e.r, -e.h, e.r * 2, e.h * 2).fill({ color: 0x2ec4b6, alpha: 0.18 }).stroke({ width: 2, color: 0x2ec4b6, alpha: 0.6 });
        this.layers.zone.addChild(g);
        break;
    }
    return { g, label, look };
  }

  private destroy(s: Sprite): void {
    s.g.destroy();
    s.label?.destroy();
  }

  destroyAll(): void {
    this.resizeObserver.disconnect();
    this.ticker.destroy();
    this.stage.destroy({ children: true });
    this.pixi.destroy(true);
  }
}
