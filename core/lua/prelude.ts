/**
 * Lua chunks run by the sandbox before any user script.
 *
 * SANDBOX_LUA ("=sandbox") builds the restricted standard library copies handed to scripts
 * (size caps on allocating builtins, pattern complexity guard, no dump/pack, math.random routed
 * to the world PRNG). Its code is *interruptible*: it runs on behalf of a script and counts
 * against that script's instruction budget.
 *
 * DISPATCHER_LUA ("=dispatcher") is the trusted, host-owned part: script registry, hot reload,
 * player records, the room `state` table and the batched hook dispatch (one JS->Lua call per
 * hook per tick; the dispatcher calls every script's handler under pcall with a fresh
 * per-call budget). The budget hook never raises while this chunk's own code is running, so a
 * script that exhausted its budget cannot break the dispatch loop. Keep it short and bounded.
 */

export const SANDBOX_CHUNK = 'sandbox';
export const DISPATCHER_CHUNK = 'dispatcher';

export const SANDBOX_LUA = String.raw`
local MAX_STRING, random, logf, charge = ...
local type, error, select, tostring, pairs = type, error, select, tostring, pairs
local srep, sformat, sgsub, sfind, smatch, sgmatch = string.rep, string.format, string.gsub, string.find, string.match, string.gmatch
local tconcat, tunpack, tinsert, tremove, tsort, tmove = table.concat, table.unpack, table.insert, table.remove, table.sort, table.move
local sbyte = string.byte
local floor = math.floor
local mtointeger, mhuge = math.tointeger, math.huge

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- Sizes are computed in floats: fengari integers are 32-bit and would wrap around.
local function slen(v)
  local tv = type(v)
  if tv == "string" then return #v + 0.0 end
  if tv == "number" then return 32.0 end
  return 0.0
end

-- string ----------------------------------------------------------------------------------
local S = copy(string)
S.byte = function(s, i, j)
  if type(s) == "string" and type(j) == "number" then
    local ii = type(i) == "number" and i or 1
    if ii < 0 then ii = #s + ii + 1 end
    local jj = j < 0 and #s + j + 1 or j
    if jj - ii > 0 then charge(jj - ii) end
  end
  return sbyte(s, i, j)
end
S.dump = nil
S.pack = nil
S.unpack = nil
S.packsize = nil

S.rep = function(s, n, sep)
  if type(n) == "number" and n > 0 and (type(s) == "string" or type(s) == "number") then
    local total = slen(s) * n
    if sep ~= nil then total = total + slen(sep) * (n - 1.0) end
    if total > MAX_STRING or n > MAX_STRING then
      if total == 0 then return "" end
      error("string.rep: result too large (max " .. MAX_STRING .. " bytes)", 2)
    end
    charge(n / 4 + total / 64)
  end
  return srep(s, n, sep)
end

-- Lua patterns backtrack: each quantifier can multiply the work by the subject length. The
-- estimate is conservative (worst case); the linear part is charged to the instruction budget.
local PATTERN_WORK = 1e8
local function check_pattern(s, p, fname, plain)
  if type(s) ~= "string" or type(p) ~= "string" then return end
  local ls, lp = #s + 0.0, #p + 0.0
  local work
  if plain then
    work = (ls + 1) * (lp + 1)
  else
    local stripped = sgsub(p, "%%.", "")
    local _, q = sgsub(stripped, "[%*%+%-]", "")
    local anchored = sbyte(p, 1) == 94 -- '^'
    work = (anchored and 1 or (ls + 1)) * (lp + 1) * (ls + 1) ^ q
  end
  if work > PATTERN_WORK then
    error(fname .. ": pattern too complex for a subject of " .. ls .. " bytes", 3)
  end
  charge(ls // 16)
end

S.find = function(s, p, init, plain)
  check_pattern(s, p, "string.find", plain)
  return sfind(s, p, init, plain)
end
S.match = function(s, p, init)
  check_pattern(s, p, "string.match")
  return smatch(s, p, init)
end
S.gmatch = function(s, p)
  check_pattern(s, p, "string.gmatch")
  return sgmatch(s, p)
end
S.gsub = function(s, p, repl, n)
  check_pattern(s, p, "string.gsub")
  local ls = slen(s)
  local tr = type(repl)
  if tr == "string" or tr == "number" then
    local r = tostring(repl)
    local _, k = sgsub(r, "%%[0-9]", "")
    k = k + 0.0
    local matches = ls + 1
    if type(n) == "number" and n < matches then matches = n end
    if matches < 0 then matches = 0 end
    if ls + matches * (#r + k * ls) > MAX_STRING then
      error("string.gsub: result may exceed " .. MAX_STRING .. " bytes (use a function replacement)", 2)
    end
    return sgsub(s, p, repl, n)
  elseif tr == "function" or tr == "table" then
    local total = ls
    local wrapped = function(...)
      local v
      if tr == "table" then v = repl[(...)] else v = repl(...) end
      if v then
        total = total + slen(v)
        if total > MAX_STRING then error("string.gsub: result too large", 2) end
      end
      return v
    end
    return sgsub(s, p, wrapped, n)
  end
  return sgsub(s, p, repl, n)
end

S.format = function(fmt, ...)
  if select("#", ...) > 64 then error("string.format: too many arguments", 2) end
  local r = sformat(fmt, ...)
  if #r > MAX_STRING then error("string.format: result too large", 2) end
  return r
end

-- Strings share this library through their metatable; scripts cannot reach or change it.
local smt = getmetatable("")
smt.__index = S
smt.__metatable = false

-- table -----------------------------------------------------------------------------------
local T = copy(table)
T.concat = function(t, sep, i, j)
  if type(t) == "table" then
    local first = i or 1
    local last = j or #t
    if type(first) == "number" and type(last) == "number" then
      if last - first > 1e6 then error("table.concat: too many elements", 2) end
      local total, ls = 0, slen(sep)
      for k = first, last do
        total = total + slen(t[k]) + ls
        if total > MAX_STRING then error("table.concat: result too large (max " .. MAX_STRING .. " bytes)", 2) end
      end
      charge(total // 64)
    end
  end
  return tconcat(t, sep, i, j)
end
T.insert = function(t, ...)
  if select("#", ...) >= 2 and type(t) == "table" then charge(#t) end
  return tinsert(t, ...)
end
T.remove = function(t, pos)
  if pos ~= nil and type(t) == "table" then charge(#t) end
  return tremove(t, pos)
end
T.sort = function(t, f)
  if type(t) == "table" then
    local n = #t
    if n > 1 then charge(floor(n * math.log(n, 2)) * 2) end
  end
  return tsort(t, f)
end
T.move = function(a1, f, e, t, a2)
  if type(f) == "number" and type(e) == "number" and e >= f then
    if e - f > 1e6 then error("table.move: range too large", 2) end
    charge(e - f)
  end
  return tmove(a1, f, e, t, a2)
end
T.unpack = function(t, i, j)
  local first = i or 1
  local last = j
  if last == nil and type(t) == "table" then last = #t end
  if type(first) == "number" and type(last) == "number" and last - first >= 8000 then
    error("table.unpack: too many results", 2)
  end
  return tunpack(t, i, j)
end

-- math: the only randomness is the physics world's seeded PRNG ------------------------------
local M = copy(math)
M.random = random
M.randomseed = nil

local U = copy(utf8)

local B = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  xpcall = xpcall, select = select, tonumber = tonumber, tostring = tostring, type = type,
  rawequal = rawequal, rawget = rawget, rawlen = rawlen, -- no rawset: it would bypass read-only views
  setmetatable = setmetatable, getmetatable = getmetatable, print = logf,
  _VERSION = _VERSION,
}

-- xpcall's message handler would run while fengari has hooks disabled (an error raised by the
-- budget hook calls it from inside the hook), so a looping handler could never be stopped.
-- This xpcall runs the handler after the protected call returned, with hooks active.
local pack, unpack, pcall_ = table.pack, table.unpack, pcall
B.xpcall = function(f, handler, ...)
  local r = pack(pcall_(f, ...))
  if r[1] then return unpack(r, 1, r.n) end
  return false, handler(r[2])
end

return { string = S, table = T, math = M, utf8 = U, base = B }
`;

export const DISPATCHER_LUA = String.raw`
local libs, budget_begin, api, flags, invoke = ...
local pcall, rawget, rawset, type, setmetatable, load, pairs, error, tostring =
      pcall, rawget, rawset, type, setmetatable, load, pairs, error, tostring

local next = next
local STATE = {}
local PLAYERS = {}   -- player records in join order (host-owned, written only from JS)
local VIEWS = {}     -- read-only views of PLAYERS, what scripts see
local BY_ID = {}     -- player id -> record
local BY_ID_VIEW = {} -- player id -> view

-- Read-only view of a table: scripts can read, index, # and pairs/ipairs it, never write it.
-- (rawset is not available to scripts, so the view cannot be bypassed.)
local function ro(t, what)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error(what .. " is read-only", 2) end,
    __len = function() return #t end,
    __pairs = function() return next, t, nil end,
    __metatable = false,
  })
end
local scripts = {}   -- { name=, env=, mode=, index= } in load order
local by_name = {}
local current_mode = nil
local errs = nil

local GAME = {}
for k, v in pairs(api) do GAME[k] = v end
GAME.players = ro(VIEWS, "game.players")
GAME.player = function(pid) return BY_ID_VIEW[pid] end
GAME.FLAGS = ro(flags, "game.FLAGS")
GAME.dt = 1 / 60
GAME.mode = function() return current_mode end
local game_proxy = setmetatable({}, {
  __index = GAME,
  __newindex = function() error("game is read-only", 2) end,
  __metatable = false,
})

local BASE = {}
for k, v in pairs(libs.base) do BASE[k] = v end
BASE.game = game_proxy
BASE.state = STATE

local env_mt = {
  __index = BASE,
  __newindex = function(t, k, v)
    if k == "state" or k == "game" then error("cannot replace global '" .. k .. "'", 2) end
    rawset(t, k, v)
  end,
  __metatable = false,
}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function new_env()
  local env = setmetatable({}, env_mt)
  rawset(env, "string", copy(libs.string))
  rawset(env, "table", copy(libs.table))
  rawset(env, "math", copy(libs.math))
  rawset(env, "utf8", copy(libs.utf8))
  rawset(env, "_G", env)
  return env
end

local function errmsg(e)
  local t = type(e)
  if t == "string" then return e end
  if t == "number" then return tostring(e) end
  return "(error object is a " .. t .. " value)"
end

local function report(name, msg)
  errs = errs or {}
  errs[#errs + 1] = name
  errs[#errs + 1] = msg
end

-- A freshly hot-reloaded script is on probation (s.prev = the version it replaced) until the
-- host ends it; if one of its handlers throws meanwhile, the previous version is put back.
local REVERTED = " [reverted to the previous version]"
local function fail(s, msg)
  local cur = by_name[s.name]
  if cur == s and s.prev then
    local prev = s.prev
    s.prev = nil
    prev.prev = nil
    scripts[s.index] = prev
    by_name[s.name] = prev
    msg = msg .. REVERTED
  end
  report(s.name, msg)
end

local function active(s)
  return s.mode == nil or s.mode == current_mode
end

-- Hot path (every hook of every tick): one call per handler. s.env[hook] is
-- rawget(s.env, hook): a miss falls through to BASE, which holds no hook names.
-- invoke(f, a, b) (JS) is type(f) == "function" + budget_begin() + pcall(f, a, b) in one
-- crossing: nil = f is not a function (skipped), 0 = ok, 1, err = f raised err,
-- 2 = the tick's budget is exhausted (f not called).
local function each(hook, a, b)
  for i = 1, #scripts do
    local s = scripts[i]
    local m = s.mode
    if m == nil or m == current_mode then
      local f = s.env[hook]
      if f ~= nil then
        local r, e = invoke(f, a, b)
        if r == 1 then
          fail(s, errmsg(e))
        elseif r == 2 then
          report(s.name, "instruction budget per tick exhausted; " .. hook .. " skipped")
        end
      end
    end
  end
end

local D = {}

function D.dispatch(hook, a, b)
  errs = nil
  each(hook, a, b)
  return errs
end

function D.dispatch_player(hook, pid)
  errs = nil
  local p = BY_ID_VIEW[pid]
  if p then each(hook, p) end
  return errs
end

-- list = { pid1, action1, pid2, action2, ... }
function D.dispatch_actions(list)
  errs = nil
  for j = 1, #list, 2 do
    local p = BY_ID_VIEW[list[j]]
    if p then each("on_action", p, list[j + 1]) end
  end
  return errs
end

-- list = { event1, event2, ... }. Each script handles the whole batch inside one pcall; after
-- an error the batch resumes with the next event (fresh per-call budget), so one bad event
-- costs that script only that event.
function D.dispatch_events(list)
  errs = nil
  local n = #list
  if n == 0 then return nil end
  for i = 1, #scripts do
    local s = scripts[i]
    if active(s) then
      local f = rawget(s.env, "on_event")
      local want = s.events -- nil: every type; else set of the types declared in EVENTS
      if type(f) == "function" and (want == nil or want.any) then
        local j = 1
        while j <= n do
          if not budget_begin() then
            report(s.name, "instruction budget per tick exhausted; on_event skipped")
            break
          end
          local ok, e = pcall(function()
            while j <= n do
              local ev = list[j]
              j = j + 1
              if want == nil or want[ev.type] then f(ev) end
            end
          end)
          if not ok then
            fail(s, errmsg(e))
            if by_name[s.name] ~= s then break end -- reverted: its replacement sees the next batch
          end
        end
      end
    end
  end
  return errs
end

-- Runs only one script's hook (used for on_start of a newly added script).
function D.dispatch_one(name, hook)
  errs = nil
  local s = by_name[name]
  if s then
    local f = rawget(s.env, hook)
    if type(f) == "function" then
      if budget_begin() then
        local ok, e = pcall(f)
        if not ok then fail(s, errmsg(e)) end
      end
    end
  end
  return errs
end

-- EVENTS (optional global of a script): the event types its on_event wants, e.g.
-- EVENTS = { "sensor_enter" }. Returns the set (nil = every type) or nil, error.
local EVENT_BITS = { contact_begin = 1, contact_end = 2, sensor_enter = 4, sensor_exit = 8 }
local function event_set(v)
  if v == nil then return nil end
  if type(v) ~= "table" then return nil, "EVENTS must be a list of event types" end
  local set = {}
  for i = 1, 8 do
    local t = rawget(v, i)
    if t == nil then break end
    if not EVENT_BITS[t] then
      local shown = type(t) == "string" and ("'" .. t:sub(1, 32) .. "'") or ("a " .. type(t))
      return nil, "EVENTS: unknown event type " .. shown .. " (contact_begin, contact_end, sensor_enter, sensor_exit)"
    end
    set[t] = true
    set.any = true
  end
  return set
end

-- Bit mask of the event types some active script's on_event wants (1 contact_begin,
-- 2 contact_end, 4 sensor_enter, 8 sensor_exit): the host builds only those events.
function D.event_mask()
  local m = 0
  for i = 1, #scripts do
    local s = scripts[i]
    if active(s) and type(rawget(s.env, "on_event")) == "function" then
      if s.events == nil then return 15 end
      for t, bit in pairs(EVENT_BITS) do
        if s.events[t] and m & bit == 0 then m = m | bit end
      end
    end
  end
  return m
end

-- Compiles a script's code in a fresh environment and starts its call budget: f, env (run
-- f under pcall) or nil, error.
local function compile_script(name, code)
  local env = new_env()
  local f, err = load(code, "=" .. name, "t", env)
  if not f then return nil, errmsg(err) end
  if not budget_begin() then return nil, "instruction budget exhausted" end
  return f, env
end

-- Returns ok, err_or_isnew, mode
function D.load_script(name, code)
  local f, env = compile_script(name, code)
  if not f then return false, env end
  local ok, e = pcall(f)
  if not ok then return false, errmsg(e) end
  local mode = rawget(env, "MODE")
  if mode ~= nil then
    if type(mode) ~= "string" or #mode == 0 or #mode > 32 or mode:find("[^%w_]") then
      return false, name .. ": MODE must be a name of letters, digits and '_'"
    end
  end
  local events, everr = event_set(rawget(env, "EVENTS"))
  if everr then return false, name .. ": " .. everr end
  for i = 1, #scripts do
    local s = scripts[i]
    if s.name ~= name and mode ~= nil and s.mode == mode then
      return false, name .. ": mode '" .. mode .. "' is already defined by " .. s.name
    end
  end
  local old = by_name[name]
  if old and old.mode ~= nil and old.mode == current_mode and old.mode ~= mode then
    return false, name .. ": cannot change the MODE of the active mode's script"
  end
  local s = { name = name, env = env, mode = mode, events = events }
  if old then
    s.index = old.index
    old.prev = nil
    s.prev = old
  else
    s.index = #scripts + 1
  end
  scripts[s.index] = s
  by_name[name] = s
  return true, old == nil, mode
end

function D.end_probation(name)
  local s = by_name[name]
  if s then s.prev = nil end
end

-- Restore: re-create the probation state of a script (its previous version's code).
function D.load_prev(name, code)
  local cur = by_name[name]
  if not cur then return false, "no script " .. name end
  local f, env = compile_script(name, code)
  if not f then return false, env end
  local ok, e = pcall(f)
  if not ok then return false, errmsg(e) end
  local events = event_set(rawget(env, "EVENTS"))
  cur.prev = { name = name, env = env, mode = rawget(env, "MODE"), index = cur.index, events = events }
  return true
end

function D.set_mode(m) current_mode = m end

function D.modes()
  local r = {}
  for i = 1, #scripts do
    if scripts[i].mode then r[#r + 1] = scripts[i].mode end
  end
  return r
end

-- Memory check (sandbox.ts memoryReport): the shared environment (not counted), then every
-- script's name, environment and the environment of the version on probation (or false).
function D.memory_roots()
  local r = { env_mt, GAME, game_proxy, STATE }
  for i = 1, #scripts do
    local s = scripts[i]
    r[#r + 1] = s.name
    r[#r + 1] = s.env
    r[#r + 1] = s.prev and s.prev.env or false
  end
  return r
end

-- Removes a script for good (its hooks are no longer called; its data can be collected).
function D.unload(name)
  local s = by_name[name]
  if not s then return false end
  table.remove(scripts, s.index)
  for i = s.index, #scripts do scripts[i].index = i end
  by_name[name] = nil
  return true
end

function D.get_state() return STATE end
function D.set_state(t)
  STATE = t
  BASE.state = t
end

function D.player_add(pid, name, entity)
  local r = { id = pid, name = name, entity = entity, dx = 0.0, dy = 0.0, connected = true }
  local v = ro(r, "player record")
  PLAYERS[#PLAYERS + 1] = r
  VIEWS[#VIEWS + 1] = v
  BY_ID[pid] = r
  BY_ID_VIEW[pid] = v
end

function D.player_remove(pid)
  local r = BY_ID[pid]
  if not r then return end
  BY_ID[pid] = nil
  BY_ID_VIEW[pid] = nil
  local n = #PLAYERS
  local found = false
  for i = 1, n do
    if found then
      PLAYERS[i - 1] = PLAYERS[i]
      VIEWS[i - 1] = VIEWS[i]
    elseif PLAYERS[i] == r then
      found = true
    end
  end
  if found then
    PLAYERS[n] = nil
    VIEWS[n] = nil
  end
end

-- flat = { pid1, dx1, dy1, pid2, dx2, dy2, ... }; then on_input(player) for each of them
-- (in list order) unless quiet.
function D.player_inputs(flat, quiet)
  errs = nil
  for j = 1, #flat, 3 do
    local r = BY_ID[flat[j]]
    if r then r.dx = flat[j + 1]; r.dy = flat[j + 2] end
  end
  if quiet then return nil end
  for j = 1, #flat, 3 do
    local p = BY_ID_VIEW[flat[j]]
    if p then each("on_input", p) end
  end
  return errs
end

function D.player_connected(pid, c)
  local r = BY_ID[pid]
  if r then r.connected = c end
end

return D
`;
