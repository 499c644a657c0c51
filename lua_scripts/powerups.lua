-- powerups.lua: speed boost, shield, magnet.
-- Spawned every SPAWN_EVERY ticks (at most MAX_ON_FIELD on the field) as sensor entities with
-- variant "speed" | "shield" | "magnet"; picked up when a player's body enters the sensor
-- (on_event sensor_enter); each effect expires DURATION ticks after pick-up.
--   speed  - factor BOOST in state.speed_mods[entity].boost (read by movement_rules.lua)
--   shield - the player cannot be tagged (read by mode_tag.lua through the Shield flag)
--   magnet - coins within MAGNET_RADIUS drift towards the player

local KINDS = { "speed", "shield", "magnet" }
local MAX_ON_FIELD = 4
local SPAWN_EVERY = 240
local DURATION = { speed = 360, shield = 360, magnet = 420 }
local BOOST = 1.6
local MAGNET_RADIUS = 180
local MAGNET_PULL = 6
local F = game.FLAGS
local FLAG = { speed = F.boost, shield = F.shield, magnet = F.magnet }
EVENTS = { "sensor_enter" } -- on_event only needs pick-ups

state.powerups = state.powerups or { next_spawn = 120, effects = {} }
state.speed_mods = state.speed_mods or {}

local sqrt, pairs, next = math.sqrt, pairs, next
-- API used every tick / event, as locals (game is read-only: these never change)
local g_tick, g_pos, g_within, g_set_position = game.tick, game.pos, game.within, game.set_position

local function spawn_one()
  local w, h = game.arena()
  local kind = KINDS[game.random(#KINDS)]
  game.spawn("powerup", 50 + game.random() * (w - 100), 50 + game.random() * (h - 100), { variant = kind })
end

local function apply(e, pid, kind)
  local P = state.powerups
  local fx = P.effects[e]
  if not fx then
    fx = {}
    P.effects[e] = fx
  end
  fx[kind] = game.tick() + DURATION[kind]
  game.add_flags(e, FLAG[kind])
  if kind == "speed" then
    local m = state.speed_mods[e]
    if not m then
      m = {}
      state.speed_mods[e] = m
    end
    m.boost = BOOST
  end
  if pid then game.message(pid, "power-up: " .. kind) end
end

local function expire(e, fx, kind)
  fx[kind] = nil
  if game.exists(e) then game.clear_flags(e, FLAG[kind]) end
  if kind == "speed" then
    local m = state.speed_mods[e]
    if m then
      m.boost = nil
      if next(m) == nil then state.speed_mods[e] = nil end
    end
  end
end

local function pull_coins(e)
  local px, py = g_pos(e)
  if not px then return end
  local coins = g_within("coin", px, py, MAGNET_RADIUS)
  for i = 1, #coins do
    local c = coins[i]
    local cx, cy = g_pos(c)
    local dx, dy = px - cx, py - cy
    local d = sqrt(dx * dx + dy * dy)
    if d > MAGNET_PULL then
      g_set_position(c, cx + dx / d * MAGNET_PULL, cy + dy / d * MAGNET_PULL)
    end
  end
end

function on_tick(dt)
  local P = state.powerups
  local t = g_tick()
  if t >= P.next_spawn then
    P.next_spawn = t + SPAWN_EVERY
    if game.count("powerup") < MAX_ON_FIELD then spawn_one() end
  end
  for e, fx in pairs(P.effects) do
    for kind, until_tick in pairs(fx) do
      if t >= until_tick then expire(e, fx, kind) end
    end
    if fx.magnet then pull_coins(e) end
    if next(fx) == nil then P.effects[e] = nil end
  end
end

function on_event(ev)
  if ev.type == "sensor_enter" and ev.a_kind == "powerup" and ev.b_kind == "player" then
    local kind = ev.a_variant
    if not DURATION[kind] then return end
    if not game.despawn(ev.a) then return end -- already taken this tick
    apply(ev.b, ev.b_player, kind)
  end
end

function on_leave(player)
  state.powerups.effects[player.entity] = nil
end
