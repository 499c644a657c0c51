-- mods/coin_shower.lua: example mod. In coin_rush, every 5 seconds drops a few extra gold
-- coins at random places. Load it at runtime: sim.loadScript("mods/coin_shower.lua", code).

local EVERY = 300
local COUNT = 3

function on_start()
  game.message("*", "Mod loaded: coin shower")
end

function on_tick(dt)
  if game.mode() ~= "coin_rush" or game.tick() % EVERY ~= 0 then return end
  local w, h = game.arena()
  for i = 1, COUNT do
    game.spawn("coin", 60 + game.random() * (w - 120), 60 + game.random() * (h - 120), { variant = "gold" })
  end
end
