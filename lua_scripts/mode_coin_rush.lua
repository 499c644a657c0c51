-- mode_coin_rush.lua: game mode "coin_rush". Collect coins (silver 1 point, gold 5) during
-- timed rounds; when a round ends the best score is announced, kept in
-- state.coin_rush.last_scores, and scores reset. Round length: setting "round_seconds"
-- (default 60). Keeps TARGET_COINS coins on the field (one new coin per tick at most).

MODE = "coin_rush"
EVENTS = { "sensor_enter" } -- on_event only needs coin pick-ups

local TARGET_COINS = 12
-- API used every tick / event, as locals (game is read-only: these never change)
local g_tick, g_count, g_despawn, g_add_score = game.tick, game.count, game.despawn, game.add_score
local GOLD_CHANCE = 0.15

state.coin_rush = state.coin_rush or { round = 0, ends = 0 }

local function round_ticks()
  local s = game.setting("round_seconds")
  if type(s) ~= "number" or s <= 0 then s = 60 end
  return math.floor(s * 60)
end

local function spawn_coin()
  local w, h = game.arena()
  local gold = game.random() < GOLD_CHANCE
  game.spawn("coin", 40 + game.random() * (w - 80), 40 + game.random() * (h - 80),
    { variant = gold and "gold" or "silver" })
end

local function new_round()
  local C = state.coin_rush
  C.round = C.round + 1
  C.ends = game.tick() + round_ticks()
  for _, p in ipairs(game.players) do game.set_score(p.id, 0) end
  game.message("*", "Coin rush round " .. C.round .. ": collect the coins!")
end

local function end_round()
  local C = state.coin_rush
  local best, best_score = nil, -1
  local scores = {}
  for _, p in ipairs(game.players) do
    local s = game.score(p.id)
    scores[p.id] = s
    if s > best_score then best, best_score = p, s end
  end
  C.last_scores = scores
  if best then
    C.last_winner = best.id
    game.message("*", "Round " .. C.round .. " won by " .. best.name .. " with " .. best_score .. " points")
  end
end

function on_mode_start()
  state.coin_rush.round = 0
  new_round()
end

function on_mode_end()
  local coins = game.list("coin")
  for i = 1, #coins do game.despawn(coins[i]) end
end

function on_join(player)
  game.message(player.id, "Welcome " .. player.name .. "! Coin rush: grab the coins, gold is worth 5.")
end

function on_tick(dt)
  local C = state.coin_rush
  if g_count("coin") < TARGET_COINS then spawn_coin() end
  if g_tick() >= C.ends then
    end_round()
    new_round()
  end
end

function on_event(ev)
  if ev.type == "sensor_enter" and ev.a_kind == "coin" and ev.b_kind == "player" then
    if g_despawn(ev.a) then
      g_add_score(ev.b_player, ev.a_variant == "gold" and 5 or 1)
    end
  end
end
