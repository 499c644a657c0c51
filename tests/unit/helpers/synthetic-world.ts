/**
 * A deterministic synthetic world (EntityView data only) for snapshot tests and the snapshot
 * benchmark: players steering with changing inputs, NPCs wandering with smooth turns, coins
 * appearing and being collected, static walls. Positions integrate velocity at 60 Hz.
 */
import type { EntityView } from '../../../core/sim/types';
import { Mulberry32 } from '../../../core/net/local';

export class Rng extends Mulberry32 {
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export interface WorldOptions {
  players: number;
  npcs: number;
  coins?: number;
  walls?: number;
  width?: number;
  height?: number;
  playerSpeed?: number;
  seed?: number;
  /** per-tick probability that a coin is collected (and respawns with a new id) */
  coinChurn?: number;
  /** per-tick probability that an NPC despawns and another spawns */
  npcChurn?: number;
}

interface Mover {
  e: EntityView;
  dirX: number;
  dirY: number;
  nextTurn: number;
  speed: number;
  heading: number;
}

export class SyntheticWorld {
  tick = 0;
  private nextId = 1;
  private rng: Rng;
  private movers: Mover[] = [];
  private statics: EntityView[] = [];
  readonly width: number;
  readonly height: number;

  constructor(private readonly o: WorldOptions) {
    this.rng = new Rng(o.seed ?? 1);
    this.width = o.width ?? 1600;
    this.height = o.height ?? 900;
    for (let i = 0; i < (o.walls ?? 12); i++) {
      this.statics.push({ id: this.nextId++, kind: 'wall', x: this.rng.int(this.width), y: this.rng.int(this.height), vx: 0, vy: 0, r: 40, h: 10, flags: 0 });
    }
    for (let i = 0; i < o.players; i++) this.spawnMover('player', `player_${i + 1}`);
    for (let i = 0; i < o.npcs; i++) this.spawnMover('npc');
    for (let i = 0; i < (o.coins ?? 20); i++) this.spawnCoin();
  }

  private spawnMover(kind: 'player' | 'npc', owner?: string): void {
    const e: EntityView = {
      id: this.nextId++,
      kind,
      x: 50 + this.rng.next() * (this.width - 100),
      y: 50 + this.rng.next() * (this.height - 100),
      vx: 0,
      vy: 0,
      r: kind === 'player' ? 16 : 12,
      h: kind === 'player' ? 16 : 12,
      flags: 0,
    };
    if (owner) e.owner = owner;
    if (kind === 'npc') e.variant = this.rng.next() < 0.5 ? 'wander' : 'chase';
    this.movers.push({ e, dirX: 0, dirY: 0, nextTurn: 0, speed: kind === 'player' ? (this.o.playerSpeed ?? 220) : 90 + this.rng.int(60), heading: this.rng.next() * Math.PI * 2 });
  }

  private spawnCoin(): void {
    this.statics.push({ id: this.nextId++, kind: 'coin', x: this.rng.int(this.width), y: this.rng.int(this.height), vx: 0, vy: 0, r: 8, h: 8, flags: 0 });
  }

  step(): void {
    this.tick++;
    const dt = 1 / 60;
    for (const m of this.movers) {
      if (m.e.kind === 'player') {
        if (this.tick >= m.nextTurn) {
          // discrete key input: 8 directions or idle, held for 0.3..1.5 s
          const d = this.rng.int(9);
          m.dirX = [0, 1, 1, 0, -1, -1, -1, 0, 1][d];
          m.dirY = [0, 0, 1, 1, 1, 0, -1, -1, -1][d];
          const len = Math.hypot(m.dirX, m.dirY) || 1;
          m.dirX /= len;
          m.dirY /= len;
          m.nextTurn = this.tick + 18 + this.rng.int(72);
        }
        // acceleration towards the target velocity (like a damped body)
        const tx = m.dirX * m.speed;
        const ty = m.dirY * m.speed;
        m.e.vx += (tx - m.e.vx) * 0.25;
        m.e.vy += (ty - m.e.vy) * 0.25;
        if (Math.abs(m.e.vx - tx) < 0.5) m.e.vx = tx;
        if (Math.abs(m.e.vy - ty) < 0.5) m.e.vy = ty;
        m.e.flags = this.tick % 600 < 120 && m.e.id % 5 === 0 ? 2 : 0;
      } else {
        m.heading += (this.rng.next() - 0.5) * 0.1;
        m.e.vx = Math.cos(m.heading) * m.speed;
        m.e.vy = Math.sin(m.heading) * m.speed;
      }
      m.e.x += m.e.vx * dt;
      m.e.y += m.e.vy * dt;
      if (m.e.x < 20 || m.e.x > this.width - 20) {
        m.e.vx = -m.e.vx;
        m.heading = Math.PI - m.heading;
        m.dirX = -m.dirX;
        m.e.x = Math.max(20, Math.min(this.width - 20, m.e.x));
      }
      if (m.e.y < 20 || m.e.y > this.height - 20) {
        m.e.vy = -m.e.vy;
        m.heading = -m.heading;
        m.dirY = -m.dirY;
        m.e.y = Math.max(20, Math.min(this.height - 20, m.e.y));
      }
    }
    const coinChurn = this.o.coinChurn ?? 0.02;
    if (this.rng.next() < coinChurn) {
      const coins = this.statics.filter((s) => s.kind === 'coin');
      if (coins.length) {
        const c = coins[this.rng.int(coins.length)];
        this.statics.splice(this.statics.indexOf(c), 1);
        this.spawnCoin();
      }
    }
    const npcChurn = this.o.npcChurn ?? 0;
    if (npcChurn > 0 && this.rng.next() < npcChurn) {
      const npcs = this.movers.filter((m) => m.e.kind === 'npc');
      if (npcs.length) {
        this.movers.splice(this.movers.indexOf(npcs[this.rng.int(npcs.length)]), 1);
        this.spawnMover('npc');
      }
    }
  }

  entities(): EntityView[] {
    // shuffled order on purpose: the encoder must not depend on input order
    const all = [...this.movers.map((m) => ({ ...m.e })), ...this.statics.map((s) => ({ ...s }))];
    return all.reverse();
  }

  get moving(): number {
    return this.movers.length;
  }
}
