-- wrk script: POST one eligibility check per request with a fresh Idempotency-Key, like a real
-- batch row. The token comes from the environment (BENCH_TOKEN).
local counter = 0
local token = os.getenv("BENCH_TOKEN")
local body = '{"member_id":"ACM100234","first_name":"James","last_name":"Whitaker",' ..
             '"date_of_birth":"1958-03-14","health_plan":"acme-commercial",' ..
             '"provider_npi":"1234567893","service_date":"2026-11-16"}'
function setup(thread)
  thread:set("prefix", tostring(math.random(1, 1e9)))
end
function request()
  counter = counter + 1
  return wrk.format("POST", "/v1/eligibility", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = "wrk-" .. prefix .. "-" .. counter,
  }, body)
end
