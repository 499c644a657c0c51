-- mode_tag.lua: game mode "tag". One player is "it" (flag It, 15% faster). When it touches
-- another player, that player becomes it; the previous one is immune for IMMUNE_TICKS so it
-- cannot be tagged straight back. Shielded players (power-up) cannot be tagged. Every second
-- each connected player who is not it scores a point.

MODE = "tag"
EVENTS = { "contact_begin" } -- on_event only needs player-player contacts

local IMMUNE_TICKS = 90
local IT_SPEED = 1.15
local F = game.FLAGS

state.tag = state.tag or { it = false, immune = {} }
state.speed_mods = state.speed_mods or {}

local function set_mod(e, f)
  local m = state.speed_mods[e]
  if f then
    if not m then
      m = {}
      state.speed_mods[e] = m
    end
    m.it = f
  elseif m then
    m.it = nil
    if next(m) == nil then state.speed_mods[e] = nil end
  end
end

local function set_it(pid)
  local T = state.tag
  if T.it then
    local old = game.player(T.it)
    if old then
      game.clear_flags(old.entity, F.it)
      set_mod(old.entity, nil)
    end
  end
  T.it = pid or false
  if pid then
    local p = game.player(pid)
    game.add_flags(p.entity, F.it)
    set_mod(p.entity, IT_SPEED)
    game.message("*", p.name .. " is it!")
  end
end

local function pick_it(except)
  local c = {}
  for _, p in ipairs(game.players) do
    if p.id ~= except then c[#c + 1] = p.id end
  end
  if #c == 0 then set_it(nil) else set_it(c[game.random(#c)]) end
end

function on_mode_start()
  state.tag = { it = false, immune = {} }
  for _, p in ipairs(game.players) do game.set_score(p.id, 0) end
  pick_it()
end

function on_mode_end()
  set_it(nil)
end

function on_join(player)
  if not state.tag.it then set_it(player.id) end
end

function on_leave(player)
  local T = state.tag
  T.immune[player.id] = nil
  if T.it == player.id then pick_it(player.id) end
end

function on_tick(dt)
  local t = game.tick()
  if t % 60 ~= 0 then return end
  local it = state.tag.it
  for _, p in ipairs(game.players) do
    if p.id ~= it and p.connected then game.add_score(p.id, 1) end
  end
  for pid, until_tick in pairs(state.tag.immune) do
    if until_tick <= t then state.tag.immune[pid] = nil end
  end
end

function on_event(ev)
  if ev.type ~= "contact_begin" or ev.a_kind ~= "player" or ev.b_kind ~= "player" then return end
  local T = state.tag
  local target
  if T.it == ev.a_player then
    target = ev.b_player
  elseif T.it == ev.b_player then
    target = ev.a_player
  else
    return
  end
  local t = game.tick()
  if (T.immune[target] or -1) > t then return end
  local p = game.player(target)
  if not p then return end
  if game.flags(p.entity) & F.shield ~= 0 then
    game.message(T.it, p.name .. " is shielded!")
    return
  end
  T.immune[T.it] = t + IMMUNE_TICKS
  set_it(target)
end
