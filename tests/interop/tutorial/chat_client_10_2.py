import asyncio
import sys
import websockets
import json
import aioconsole

PORT = int(sys.argv[1])

async def receive_messages(websocket):
    while True:
        try:
            message = await websocket.recv()
            data = json.loads(message)
            print(f"\n{data['user']}: {data['message']}")
        except websockets.exceptions.ConnectionClosed:
            print("Connection to server closed")
            break

async def send_messages(websocket, username):
    while True:
        message = await aioconsole.ainput()
        await websocket.send(json.dumps({"user": username, "message": message}))

async def chat_client():
    uri = f"ws://localhost:{PORT}"
    async with websockets.connect(uri) as websocket:
        username = input("Enter your username: ")
        print(f"Connected to chat server as {username}")
        
        receive_task = asyncio.create_task(receive_messages(websocket))
        send_task = asyncio.create_task(send_messages(websocket, username))
        
        await asyncio.gather(receive_task, send_task)

asyncio.get_event_loop().run_until_complete(chat_client())
