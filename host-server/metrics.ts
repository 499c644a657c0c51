/**
 * Prometheus metrics (prom-client). One Registry per server instance, so several servers can
 * live in one process (tests) without clashing on the global registry.
 */
import client from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** Sliding-window percentiles over the last 10 s (fresh arrays: each metric owns its config). */
const last10s = () => ({ percentiles: [0.5, 0.9, 0.99, 0.999], maxAgeSeconds: 10, ageBuckets: 2 });
/** Buckets of the 60 Hz loop step histograms (wall and CPU), around the 16.7 ms budget. */
const stepBuckets = () => [0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.012, 0.014, 0.0167, 0.02, 0.025, 0.033, 0.05, 0.1, 0.25, 1];

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'arena_' });
  const rooms = new client.Gauge({
    name: 'arena_rooms',
    help: 'Rooms by hosting kind',
    labelNames: ['hosting'] as const,
    registers: [registry],
  });
  const players = new client.Gauge({
    name: 'arena_players',
    help: 'Players in rooms (server-hosted: connected; browser-hosted: as reported by the host)',
    labelNames: ['hosting'] as const,
    registers: [registry],
  });
  const connections = new client.Gauge({
    name: 'arena_connections',
    help: 'Open connections by transport (ws = server-hosted player, relay = relayed player, host_link, peerjs = signaling)',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const tickSeconds = new client.Histogram({
    name: 'arena_tick_seconds',
    help: 'Wall time of one server-hosted room tick (simulation + snapshot encoding + sends)',
    buckets: [0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.006, 0.008, 0.012, 0.0167, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const tickSummary = new client.Summary({
    name: 'arena_tick_duration_seconds',
    help: 'Room tick wall time, percentiles over the last 10 s',
    ...last10s(),
    registers: [registry],
  });
  const stepSummary = new client.Summary({
    name: 'arena_tick_loop_step_seconds',
    help: 'Wall time of one 60 Hz loop step (every server-hosted room ticked once; budget 16.7 ms), last 10 s',
    ...last10s(),
    registers: [registry],
  });
  const stepHist = new client.Histogram({
    name: 'arena_tick_loop_step_duration_seconds',
    help: 'Wall time of one 60 Hz loop step (every server-hosted room ticked once); the budget is 16.7 ms',
    buckets: stepBuckets(),
    registers: [registry],
  });
  const stepCpuHist = new client.Histogram({
    name: 'arena_tick_loop_step_cpu_seconds',
    help: 'Process CPU time spent ticking the rooms in one 60 Hz loop step (not inflated by other processes taking the core)',
    buckets: stepBuckets(),
    registers: [registry],
  });
  const stepBusySummary = new client.Summary({
    name: 'arena_tick_loop_busy_seconds',
    help: 'CPU-busy part of one 60 Hz loop step (sum of the room ticks, without the I/O slices in between), last 10 s',
    ...last10s(),
    registers: [registry],
  });
  const droppedSteps = new client.Gauge({
    name: 'arena_tick_loop_dropped_steps',
    help: 'Steps the 60 Hz room loop missed because a step overran its 16.7 ms (since start)',
    registers: [registry],
  });
  const pausedRooms = new client.Gauge({
    name: 'arena_rooms_paused',
    help: 'Server-hosted rooms not ticked because nobody is connected',
    registers: [registry],
  });
  const loopLag = new client.Gauge({
    name: 'arena_tick_loop_lag_seconds',
    help: 'How late the last 60 Hz room loop iteration started',
    registers: [registry],
  });
  const workerRooms = new client.Gauge({
    name: 'arena_room_worker_rooms',
    help: 'Server-hosted rooms per room worker thread (-1: the worker is not running)',
    labelNames: ['worker'] as const,
    registers: [registry],
  });
  const workerStarts = new client.Counter({
    name: 'arena_room_worker_starts_total',
    help: 'Room worker threads started (more than ROOM_WORKERS means some crashed or hung and were replaced)',
    registers: [registry],
  });
  const luaSeconds = new client.Histogram({
    name: 'arena_lua_seconds',
    help: 'Lua time per server-hosted tick',
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.0167, 0.05],
    registers: [registry],
  });
  // Hot path (every frame): plain numbers, folded into the counters when scraped.
  const tally = { out: {} as Record<string, number>, in: {} as Record<string, number> };
  const fold = (c: client.Counter<'transport'>, t: Record<string, number>) => {
    for (const k of Object.keys(t)) {
      if (t[k] > 0) c.inc({ transport: k }, t[k]);
      t[k] = 0;
    }
  };
  const bytesOut: client.Counter<'transport'> = new client.Counter({
    name: 'arena_bytes_out_total',
    help: 'Bytes sent over game WebSockets (players, relayed players, host links)',
    labelNames: ['transport'] as const,
    registers: [registry],
    collect() {
      fold(bytesOut, tally.out);
    },
  });
  const bytesIn: client.Counter<'transport'> = new client.Counter({
    name: 'arena_bytes_in_total',
    help: 'Bytes received over game WebSockets',
    labelNames: ['transport'] as const,
    registers: [registry],
    collect() {
      fold(bytesIn, tally.in);
    },
  });
  const errors = new client.Counter({
    name: 'arena_errors_total',
    help: 'Errors by kind (rate_limited, too_large, bad_request, slow_consumer, script, internal, ...)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const httpRequests = new client.Counter({
    name: 'arena_http_requests_total',
    help: 'HTTP API requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  return { registry, rooms, players, connections, tickSeconds, tickSummary, stepSummary, stepHist, stepCpuHist, stepBusySummary, droppedSteps, pausedRooms, loopLag, workerRooms, workerStarts, luaSeconds, bytesOut, bytesIn, tally, errors, httpRequests };
}
