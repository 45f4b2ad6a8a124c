-- wrk script: every request asks for the status of a ticket drawn at random from 1..N, on the
-- path of its owner and mySoftware (the layout of bench/dataset.py), with that owner's Basic
-- credentials. Prints the same JSON line as report.lua.
--
--   wrk ... -s bench/wrk/random_tickets.lua URL -- N PREFIX SOFTWARE_BASE SOFTWARE USERS AUTH0 AUTH1 ...
--
-- AUTHk is the whole Authorization value of user k ("Basic ..."). Other headers (-H) are kept.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local tickets, prefix, software_base, software, users
local authorizations = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

function init(args)
  tickets = tonumber(args[1])
  prefix = args[2]
  software_base = tonumber(args[3])
  software = tonumber(args[4])
  users = tonumber(args[5])
  for i = 6, #args do
    authorizations[#authorizations + 1] = args[i]
  end
  -- Reproducible draws, different in each wrk thread.
  math.randomseed(20240108 + (thread_number or 0))
end

function request()
  local ticket = math.random(tickets)
  local mysoftware = software_base + 1 + (ticket - 1) % software
  local user = (mysoftware - software_base - 1) % users
  local path = string.format("%s/users/bench-user-%02d/mysoftware/%d/exports/%d/status",
    prefix, user, mysoftware, ticket)
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Authorization"] = authorizations[user + 1]
  return wrk.format("GET", path, headers)
end
