-- movement_rules.lua: turns player input and actions into motion.
--
-- Every tick each player's velocity moves towards (input direction * speed) by at most
-- ACCEL * dt (game.drive: the host applies it each tick; the script only sends new targets). Speed is BASE_SPEED times every modifier in state.speed_mods[entity]
-- (power-ups, zones, modes each add a named factor). The legacy action
-- {"action":"move","direction":"right"} steers the player that way for NUDGE_TICKS ticks
-- (when no stick input is held), so a single message moves the player a visible step.
-- Zones: this script lays out a "mud" (slow) and an "ice" (fast) zone at room start; any
-- moving body inside a zone gets that zone's factor.

local BASE_SPEED = 240   -- units per second at full input
local ACCEL = 2400       -- units per second^2 towards the target velocity
local NUDGE_TICKS = 12   -- how long one legacy move action steers (0.2 s)
local DIRS = { up = { 0, -1 }, down = { 0, 1 }, left = { -1, 0 }, right = { 1, 0 } }
local ZONE_MULT = { mud = 0.55, ice = 1.5 }
EVENTS = { "sensor_enter", "sensor_exit" } -- on_event only needs zone enter/exit

state.speed_mods = state.speed_mods or {}   -- entity id -> { source = factor }
state.nudges = state.nudges or {}           -- player id -> { dx, dy, ticks_left }

local sqrt, pairs, next = math.sqrt, pairs, next
-- API used every tick, as locals (game is read-only: these never change)
local g_drive, g_player, PLAYERS = game.drive, game.player, game.players
local MAX_DV = ACCEL * game.dt

local function speed_mult(mods)
  local r = 1
  for _, f in pairs(mods) do r = r * f end
  return r
end

function on_start()
  local w, h = game.arena()
  game.spawn("zone", w * 0.5, h * 0.22, { variant = "mud", radius = 110 })
  game.spawn("zone", w * 0.5, h * 0.78, { variant = "ice", radius = 110 })
end

-- Targets change only when something they depend on changes, so the work is event-driven:
-- on_input (a player's stick moved), an active nudge, a speed modifier on the player's body
-- (re-checked every tick while it has one, and once after the last one went). The host moves
-- the velocity towards the target every tick (game.drive). The targets given to game.drive are
-- kept in state (saved and restored with the host's drives, so a restored room continues
-- exactly); the rest are plain locals: after a hot reload or a restore every player's target
-- is recomputed once (and only sent if it differs).
state.move_targets = state.move_targets or {} -- entity -> { tx, ty } last target given to game.drive
local by_entity = {}  -- entity -> player view
local modded = {}     -- entity -> true while its target includes speed modifiers
local recheck = {}    -- player id -> true: recompute next tick (a nudge ended)
local synced = false

local function update(p)
  local e = p.entity
  local dx, dy = p.dx, p.dy
  local n = state.nudges[p.id]
  if n and dx == 0 and dy == 0 then dx, dy = n[1], n[2] end
  local m2 = dx * dx + dy * dy
  if m2 > 1 then
    local m = sqrt(m2)
    dx, dy = dx / m, dy / m
  end
  local speed = BASE_SPEED
  local mods = state.speed_mods[e]
  if mods then
    speed = speed * speed_mult(mods)
    modded[e] = true
  else
    modded[e] = nil
  end
  local tx, ty = dx * speed, dy * speed
  local sent = state.move_targets
  local s = sent[e]
  if s == nil then
    sent[e] = { tx, ty }
    g_drive(e, tx, ty, MAX_DV)
  elseif s[1] ~= tx or s[2] ~= ty then
    s[1], s[2] = tx, ty
    g_drive(e, tx, ty, MAX_DV)
  end
end

function on_join(player)
  by_entity[player.entity] = player
  update(player)
end

function on_input(player)
  if by_entity[player.entity] then update(player) end
end

function on_tick(dt)
  local players = PLAYERS
  if not synced then
    synced = true
    for i = 1, #players do
      local p = players[i]
      by_entity[p.entity] = p
      update(p)
    end
  end
  local nudges = state.nudges
  if next(recheck) ~= nil then
    for pid in pairs(recheck) do
      local p = g_player(pid)
      if p and by_entity[p.entity] then update(p) end
    end
    recheck = {}
  end
  if next(nudges) ~= nil then
    for pid, n in pairs(nudges) do
      local p = g_player(pid)
      if p and by_entity[p.entity] then update(p) end
      if n[3] <= 1 then
        nudges[pid] = nil
        recheck[pid] = true
      else
        n[3] = n[3] - 1
      end
    end
  end
  for e in pairs(state.speed_mods) do
    local p = by_entity[e]
    if p then update(p) end
  end
  if next(modded) ~= nil then
    for e in pairs(modded) do
      if not state.speed_mods[e] then
        local p = by_entity[e]
        if p then update(p) else modded[e] = nil end
      end
    end
  end
end

function on_action(player, action)
  local a = action.action
  if a == "move" then
    local d = DIRS[action.direction]
    if not d then
      game.message(player.id, "move: direction must be up, down, left or right")
      return
    end
    state.nudges[player.id] = { d[1], d[2], NUDGE_TICKS }
  elseif a == "stop" then
    state.nudges[player.id] = nil
    game.set_velocity(player.entity, 0, 0)
    if by_entity[player.entity] then update(player) end
  end
end

function on_event(ev)
  if ev.a_kind ~= "zone" then return end
  local f = ZONE_MULT[ev.a_variant]
  if not f then return end
  local key = "zone" .. ev.a
  local mods = state.speed_mods
  if ev.type == "sensor_enter" then
    local m = mods[ev.b]
    if not m then
      m = {}
      mods[ev.b] = m
    end
    m[key] = f
  elseif ev.type == "sensor_exit" then
    local m = mods[ev.b]
    if m then
      m[key] = nil
      if next(m) == nil then mods[ev.b] = nil end
    end
  end
end

function on_leave(player)
  local e = player.entity
  state.move_targets[e], by_entity[e], modded[e] = nil, nil, nil
  recheck[player.id] = nil
  state.nudges[player.id] = nil
  state.speed_mods[player.entity] = nil
end
