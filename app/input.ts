/**
 * Keyboard (WASD + arrows) and on-screen touch controls -> a continuous direction (dx, dy).
 * The legacy "move" actions (up/down/left/right) are exactly these four directions.
 */
export type Direction = 'up' | 'down' | 'left' | 'right';

const KEYS: Record<string, Direction> = {
  KeyW: 'up',
  ArrowUp: 'up',
  KeyS: 'down',
  ArrowDown: 'down',
  KeyA: 'left',
  ArrowLeft: 'left',
  KeyD: 'right',
  ArrowRight: 'right',
};

export class InputController {
  private held = new Set<Direction>();
  private touch = new Set<Direction>();
  private listeners: (() => void)[] = [];
  private cleanup: (() => void)[] = [];

  constructor(touchRoot: HTMLElement) {
    const down = (e: KeyboardEvent) => {
      if (isTyping(e)) return;
      const d = KEYS[e.code];
      if (!d) return;
      e.preventDefault();
      if (!this.held.has(d)) {
        this.held.add(d);
        this.changed();
      }
    };
    const up = (e: KeyboardEvent) => {
      const d = KEYS[e.code];
      if (d && this.held.delete(d)) this.changed();
    };
    const blur = () => {
      if (this.held.size || this.touch.size) {
        this.held.clear();
        this.touch.clear();
        this.changed();
      }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    this.cleanup.push(() => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    });
    this.buildTouch(touchRoot);
  }

  private buildTouch(root: HTMLElement): void {
    const pad = document.createElement('div');
    pad.className = 'touch-pad';
    const arrows: Record<Direction, string> = { up: '▲', left: '◀', right: '▶', down: '▼' };
    for (const d of ['up', 'left', 'right', 'down'] as Direction[]) {
      const b = document.createElement('button');
      b.className = `touch-${d}`;
      b.textContent = arrows[d];
      b.dataset.testid = `touch-${d}`;
      b.setAttribute('aria-label', `move ${d}`);
      const on = (e: Event) => {
        e.preventDefault();
        this.touch.add(d);
        this.changed();
      };
      const off = (e: Event) => {
        e.preventDefault();
        if (this.touch.delete(d)) this.changed();
      };
      b.addEventListener('pointerdown', on);
      b.addEventListener('pointerup', off);
      b.addEventListener('pointerleave', off);
      b.addEventListener('pointercancel', off);
      pad.appendChild(b);
    }
    root.appendChild(pad);
    this.cleanup.push(() => pad.remove());
  }

  /** Current direction, each axis in -1..1, diagonal normalized. */
  direction(): { dx: number; dy: number } {
    const all = new Set([...this.held, ...this.touch]);
    let dx = (all.has('right') ? 1 : 0) - (all.has('left') ? 1 : 0);
    let dy = (all.has('down') ? 1 : 0) - (all.has('up') ? 1 : 0);
    if (dx && dy) {
      dx *= Math.SQRT1_2;
      dy *= Math.SQRT1_2;
    }
    return { dx, dy };
  }

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  private changed(): void {
    for (const cb of this.listeners) cb();
  }

  dispose(): void {
    for (const c of this.cleanup) c();
  }
}

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}
