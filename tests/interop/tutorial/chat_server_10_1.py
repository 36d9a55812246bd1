import asyncio
import sys
import websockets
import json

PORT = int(sys.argv[1])

class ChatServer:
    def __init__(self):
        self.clients = set()

    async def register(self, ws):
        self.clients.add(ws)
        print(f"New client connected. Total clients: {len(self.clients)}")

    async def unregister(self, ws):
        self.clients.remove(ws)
        print(f"Client disconnected. Total clients: {len(self.clients)}")

    async def broadcast(self, message):
        if self.clients:
            await asyncio.wait([asyncio.create_task(client.send(message)) for client in self.clients])

    async def ws_handler(self, websocket, path):
        await self.register(websocket)
        try:
            async for message in websocket:
                data = json.loads(message)
                await self.broadcast(json.dumps({"type": "message", "user": data['user'], "message": data['message']}))
        finally:
            await self.unregister(websocket)

server = ChatServer()

start_server = websockets.serve(server.ws_handler, "localhost", PORT)

asyncio.get_event_loop().run_until_complete(start_server)
asyncio.get_event_loop().run_forever()
