-- A mixed workload for wrk: catalog pages, searches, thumbnails, ranged
-- reads of originals and a few uploads, in proportions a campaign week
-- might show. Reads the asset ids and the token from the environment
-- (KHO_LOAD_IDS: comma-separated, KHO_LOAD_TOKEN). Counts every non-2xx
-- answer and prints them at the end.

local ids = {}
for id in string.gmatch(os.getenv("KHO_LOAD_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
local auth = "Bearer " .. (os.getenv("KHO_LOAD_TOKEN") or "")
local words = {"nghi", "quyet", "giao duc", "truong", "hoc sinh", "ap phich", "video", "podcast",
               "tuyen truyen", "chuyen doi so", "Nghị quyết", "an toàn"}
local upload_body = nil

local thread_list = {}
function setup(thread)
    thread_list[#thread_list + 1] = thread
end

function init(args)
    bad = 0
    local f = io.open(os.getenv("KHO_LOAD_UPLOAD") or "", "rb")
    if f then upload_body = f:read("*a"); f:close() end
end

local counter = 0
function request()
    counter = counter + 1
    local pick = math.random(100)
    local id = ids[math.random(#ids)]
    local headers = { ["Authorization"] = auth }
    if pick <= 30 then
        return wrk.format("GET", "/api/v1/catalog?limit=24", headers)
    elseif pick <= 55 then
        local q = words[math.random(#words)]
        q = string.gsub(q, "([^%w])", function(c) return string.format("%%%02X", string.byte(c)) end)
        return wrk.format("GET", "/api/v1/catalog?q=" .. q, headers)
    elseif pick <= 85 then
        return wrk.format("GET", "/api/v1/assets/" .. id .. "/renditions/thumb", headers)
    elseif pick <= 99 or not upload_body then
        local from = math.random(0, 4000)
        headers["Range"] = "bytes=" .. from .. "-" .. (from + 65535)
        return wrk.format("GET", "/api/v1/assets/" .. id .. "/original", headers)
    else
        headers["Content-Type"] = "image/png"
        return wrk.format("POST", "/api/v1/assets?filename=load-" .. counter .. ".png", headers, upload_body)
    end
end

function response(status, headers, body)
    if status < 200 or status >= 300 then bad = bad + 1 end
end

function done(summary, latency, requests)
    local total_bad = 0
    for _, t in ipairs(thread_list) do total_bad = total_bad + (t:get("bad") or 0) end
    io.write(string.format("LOAD requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, total_bad,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
