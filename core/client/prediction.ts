/**
 * Client-side prediction with server reconciliation for the own player (Gambetta): inputs are
 * applied locally at once, one per local 60 Hz tick, and kept until the host reports them
 * applied (lastInputSeq). On each authoritative snapshot the predicted state is reset to the
 * authoritative one and every input newer than lastInputSeq is replayed. The visible position
 * absorbs corrections smoothly (an error offset decaying over ~100 ms) instead of snapping.
 */
import { baseMovement, type MoveState, type MovementModel, type MoveWorld } from './movement';

export interface PendingInput {
  seq: number;
  dx: number;
  dy: number;
}

export interface PredictorOptions {
  model?: MovementModel;
  /** time constant of the correction smoothing, ms (default 100) */
  smoothingMs?: number;
  /** corrections larger than this snap at once (teleport, respawn), world units (default 120) */
  snapDistance?: number;
  /** max unacknowledged inputs kept (default 120 = 2 s) */
  maxPending?: number;
}

export class Predictor {
  readonly model: MovementModel;
  readonly smoothingMs: number;
  readonly snapDistance: number;
  readonly maxPending: number;
  private pending: PendingInput[] = [];
  private state: MoveState | null = null;
  /** state one tick earlier (for drawing between ticks) */
  private prevX = 0;
  private prevY = 0;
  /** visual correction offset (rendered = state + offset), decays to 0 */
  private offX = 0;
  private offY = 0;
  flags = 0;
  world: MoveWorld | null = null;
  /** last correction distance (how far the prediction was off), for telemetry/tests */
  lastCorrection = 0;

  constructor(o: PredictorOptions = {}) {
    this.model = o.model ?? baseMovement;
    this.smoothingMs = o.smoothingMs ?? 100;
    this.snapDistance = o.snapDistance ?? 120;
    this.maxPending = o.maxPending ?? 120;
  }

  get hasState(): boolean {
    return this.state !== null;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** The predicted (simulation) state, without smoothing. */
  get predicted(): MoveState | null {
    return this.state ? { ...this.state } : null;
  }

  /** The position to draw: predicted plus the decaying correction offset. */
  get rendered(): { x: number; y: number } | null {
    return this.state ? { x: this.state.x + this.offX, y: this.state.y + this.offY } : null;
  }

  /**
   * The position to draw between two local ticks: alpha in [0,1] is the fraction of the tick
   * elapsed since the last applied input (Gaffer's "fix your timestep" state blending), so the
   * drawn player moves evenly even when a frame runs zero or two ticks.
   */
  renderedAt(alpha: number): { x: number; y: number } | null {
    if (!this.state) return null;
    const a = Math.max(0, Math.min(1, alpha));
    return {
      x: this.prevX + (this.state.x - this.prevX) * a + this.offX,
      y: this.prevY + (this.state.y - this.prevY) * a + this.offY,
    };
  }

  /** Apply a new local input for one tick (call once per local tick, in seq order). */
  applyInput(input: PendingInput): void {
    this.pending.push(input);
    if (this.pending.length > this.maxPending) this.pending.shift();
    if (this.state) {
      this.prevX = this.state.x;
      this.prevY = this.state.y;
      this.model.step(this.state, input, this.flags, this.world);
    }
  }

  /** Authoritative state of the own player at a snapshot, with the host's lastInputSeq. */
  reconcile(auth: MoveState, lastInputSeq: number, flags: number): void {
    this.flags = flags;
    let i = 0;
    while (i < this.pending.length && this.pending[i].seq <= lastInputSeq) i++;
    if (i) this.pending.splice(0, i);
    const next: MoveState = { ...auth };
    for (const inp of this.pending) this.model.step(next, inp, flags, this.world);
    if (this.state) {
      const shownX = this.state.x + this.offX;
      const shownY = this.state.y + this.offY;
      const errX = this.state.x - next.x;
      const errY = this.state.y - next.y;
      this.lastCorrection = Math.hypot(errX, errY);
      if (Math.hypot(shownX - next.x, shownY - next.y) > this.snapDistance) {
        this.offX = 0;
        this.offY = 0;
        this.prevX = next.x;
        this.prevY = next.y;
      } else {
        this.offX = shownX - next.x;
        this.offY = shownY - next.y;
        // keep the in-between-ticks blend consistent with the corrected state
        this.prevX -= errX;
        this.prevY -= errY;
      }
    } else {
      this.prevX = next.x;
      this.prevY = next.y;
    }
    this.state = next;
  }

  /** Decay the visual offset (call every render frame with the elapsed ms). */
  decay(elapsedMs: number): void {
    if (elapsedMs <= 0) return;
    const k = Math.exp(-elapsedMs / this.smoothingMs);
    this.offX *= k;
    this.offY *= k;
    if (Math.abs(this.offX) < 1e-3) this.offX = 0;
    if (Math.abs(this.offY) < 1e-3) this.offY = 0;
  }

  reset(): void {
    this.pending = [];
    this.state = null;
    this.offX = 0;
    this.offY = 0;
  }
}
