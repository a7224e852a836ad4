-- wrk script for header.Caddyfile: each request names the next of 1000
-- identities in X-Loadtest-Identity, as the Go load test does. wrk does
-- not check the tokens.
local count = 0

request = function()
	count = count + 1
	wrk.headers["X-Loadtest-Identity"] = "user-" .. (count % 1000 + 1)
	return wrk.format("GET")
end
