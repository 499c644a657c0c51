/** Stable player colors (by player id), shared by the renderer and the HUD. */
const PALETTE = [0x4cc9f0, 0xf72585, 0x90be6d, 0xf9c74f, 0x9b5de5, 0xf3722c, 0x43aa8b, 0xff99c8, 0x00bbf9, 0xfee440];

export function playerColor(id: string): number {
  const m = /(\d+)$/.exec(id);
  let n: number;
  if (m) n = Number(m[1]) - 1;
  else {
    n = 0;
    for (let i = 0; i < id.length; i++) n = (n * 31 + id.charCodeAt(i)) >>> 0;
  }
  return PALETTE[((n % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

export function cssColor(c: number): string {
  return `#${c.toString(16).padStart(6, '0')}`;
}
