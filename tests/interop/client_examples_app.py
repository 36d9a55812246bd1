# A stand-in for api.github.com/events, httpbin.org/post and a cacheable page, for the HTTP
# client examples (tests/interop/test_examples.py). Usage: client_examples_app.py PORT
import gzip, sys
from aiohttp import web
async def events(request): return web.json_response([{"id": "1", "type": "PushEvent"}])
async def post(request):
    form = await request.post()
    return web.json_response({"form": dict(form)})
async def api(request):
    body = await request.read()
    return web.Response(status=201 if body == b"Large amount of data..." else 400, text="ok")
async def page(request):
    if request.headers.get("If-None-Match") == '"v1"':
        return web.Response(status=304, headers={"ETag": '"v1"'})
    return web.Response(text="<html>cached page</html>", headers={"ETag": '"v1"', "Cache-Control": "max-age=60"})
app = web.Application()
app.add_routes([web.get("/events", events), web.post("/post", post), web.post("/api", api), web.get("/page", page)])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
