-- wrk script: the requests provportal sends for the bench's rows, so the ceiling is measured on
-- the same work: POST /v1/eligibility with the roster's members in turn, a ref per request, and
-- an Idempotency-Key of 64 random hex digits (provportal's keys are SHA-256 hashes; sequential
-- keys would land on the same pages of the sandbox's key index and cost it less than real ones).
-- The token comes from BENCH_TOKEN, the bodies (make_rows.py --wrk-bodies) from BENCH_BODIES.
local counter = 0
local token = os.getenv("BENCH_TOKEN")
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. token,
}

-- setup runs in wrk's main Lua state, once per thread: each thread gets its own ref prefix and
-- random seed (the threads' own states would all start from the same one).
function setup(thread)
  local n = math.random(1, 1e9)
  thread:set("prefix", string.format("w%d", n))
  thread:set("seed", n)
end

function init(args)
  math.randomseed(seed + os.time())
end

local function hex_key()
  local parts = {}
  for i = 1, 8 do
    parts[i] = string.format("%08x", math.random(0, 2147483647) * 2 + math.random(0, 1))
  end
  return table.concat(parts)
end

function request()
  counter = counter + 1
  local body = '{"ref":"' .. prefix .. '-' .. counter .. '",' .. bodies[(counter - 1) % #bodies + 1]
  headers["Idempotency-Key"] = hex_key()
  return wrk.format("POST", "/v1/eligibility", headers, body)
end
