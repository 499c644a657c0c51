-- npc_ai.lua: non-player characters. Each NPC has its own behaviour (the entity variant):
--   wander - drifts, turning a little at random
--   chase  - runs at the nearest player in sight, else wanders
--   flee   - runs away from the nearest player in sight, else wanders
-- Cost is bounded by design: an NPC "thinks" only every THINK_EVERY ticks (staggered, so
-- 1/THINK_EVERY of them per tick); physics keeps it moving in between. The nearest-player
-- query runs in JS (game.nearest).

local THINK_EVERY = 10
local SPEED = { wander = 90, chase = 135, flee = 165 }
local SIGHT = { chase = 420, flee = 260 }
local BEHAVIOURS = { "wander", "chase", "flee" }
local F = game.FLAGS
local MOOD_FLAGS = F.fleeing | F.chasing

state.npc = state.npc or { list = {}, info = {} }

local sqrt, cos, sin, atan = math.sqrt, math.cos, math.sin, math.atan
-- API functions used every tick, as locals (game is read-only: these never change)
local g_tick, g_pos, g_vel, g_nearest, g_random, g_steer = game.tick, game.pos, game.vel, game.nearest, game.random, game.steer
local g_clear_flags, g_add_flags = game.clear_flags, game.add_flags

local function speed_mult(id)
  local m = state.speed_mods and state.speed_mods[id]
  if not m then return 1 end
  local r = 1
  for _, f in pairs(m) do r = r * f end
  return r
end

local function spawn_npc(behaviour)
  local w, h = game.arena()
  local b = behaviour or BEHAVIOURS[game.random(#BEHAVIOURS)]
  local x = 60 + game.random() * (w - 120)
  local y = 60 + game.random() * (h - 120)
  local id = game.spawn("npc", x, y, { variant = b })
  local s = state.npc
  s.list[#s.list + 1] = id
  s.info[id] = { b = b, h = game.random() * 6.283185307179586, f = 0 }
  return id
end

local function think(id, info)
  local x, y = g_pos(id)
  if not x then return end
  local b = info.b
  local speed = SPEED[b] or SPEED.wander
  local vx, vy
  local flag = 0
  if b == "chase" or b == "flee" then
    local target, d, px, py = g_nearest("player", x, y, SIGHT[b])
    if target then
      local ux, uy = px - x, py - y
      if d > 0.001 then ux, uy = ux / d, uy / d else ux, uy = 1, 0 end
      if b == "flee" then
        ux, uy = -ux, -uy
        flag = F.fleeing
      else
        flag = F.chasing
      end
      vx, vy = ux * speed, uy * speed
    end
  end
  if flag == 0 then
    -- wander: follow the current velocity (it bounced off walls), turn a little
    local cvx, cvy = g_vel(id)
    if cvx and cvx * cvx + cvy * cvy > 1 then info.h = atan(cvy, cvx) end
    info.h = info.h + (g_random() - 0.5) * 1.2
    vx, vy = cos(info.h) * SPEED.wander, sin(info.h) * SPEED.wander
  end
  local m = speed_mult(id)
  g_steer(id, vx * m, vy * m)
  if flag ~= info.f then
    g_clear_flags(id, MOOD_FLAGS)
    if flag ~= 0 then g_add_flags(id, flag) end
    info.f = flag
  end
end

function on_start()
  local n = game.setting("npcs")
  if type(n) ~= "number" then n = 8 end
  for i = 1, math.floor(n) do spawn_npc() end
end

function on_tick(dt)
  local s = state.npc
  local list, info = s.list, s.info
  for i = g_tick() % THINK_EVERY + 1, #list, THINK_EVERY do
    local id = list[i]
    think(id, info[id])
  end
end

-- Host/debug action: {"action":"npc_behaviour","id":12,"behaviour":"flee"} is deliberately not
-- offered to players; mods can change state.npc.info[id].b directly.
