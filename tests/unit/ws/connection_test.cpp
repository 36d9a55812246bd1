// ws::accept, ws::connect and ws::Connection end to end: wirekit's server and client on a
// loopback port.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <wirekit/http/router.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/net/server.hpp>
#include <wirekit/net/tcp.hpp>
#include <wirekit/ws.hpp>

#include "test_support.hpp"

namespace {

using namespace wirekit;
using namespace std::chrono_literals;

Task<void> echo(ws::Connection& ws) {
  while (auto message = co_await ws.receive()) co_await ws.send(message->opcode, message->data);
}

// Serves `handler` at ws://127.0.0.1:PORT/ while `talk(url)` plays the client side.
template <class Talk>
void serve_and_talk(ws::Handler handler, ws::ServerOptions options, Talk talk) {
  auto scenario = [](ws::Handler& h, ws::ServerOptions& o, Talk& t) -> Task<void> {
    http::Router router;
    router.get("/", ws::accept(h, o));
    http::Server server{std::move(router)};
    net::TcpServer tcp{{*net::SocketAddress::try_parse("127.0.0.1:0")}};
    std::stop_source stop;
    Task<void> serving = server.serve(tcp);
    serving.set_stop_token(stop.get_token());
    auto client = [&]() -> Task<void> {
      const std::string url =
          "ws://127.0.0.1:" + std::to_string(tcp.local_addresses()[0].port()) + "/";
      std::exception_ptr failure;
      try {
        Task<void> talking = t(url);
        co_await std::move(talking);
      } catch (...) {
        failure = std::current_exception();
      }
      stop.request_stop();
      if (failure) std::rethrow_exception(failure);
    };
    co_await when_all(std::move(serving), client());
  };
  test::run(scenario(handler, options, talk));
}

ws::ClientOptions quiet_client() {
  ws::ClientOptions options;
  options.connection.ping_interval = Duration::zero();
  return options;
}

TEST(WsConnection, TextAndBinaryMessagesComeBackAsSent) {
  serve_and_talk(echo, {}, [](std::string url) -> Task<void> {
    bool done = false;
    auto talk = [&done](ws::Connection& ws) -> Task<void> {
      co_await ws.send_text("hello");
      auto reply = co_await ws.receive();
      EXPECT_TRUE(reply && reply->is_text());
      EXPECT_EQ(reply->data, "hello");
      const std::string bytes(100 * 1024, '\x01');
      co_await ws.send_binary(bytes);
      reply = co_await ws.receive();
      EXPECT_TRUE(reply && !reply->is_text());
      EXPECT_EQ(reply->data, bytes);
      done = true;
    };
    Task<void> connecting = ws::connect(url, talk, quiet_client());
    co_await std::move(connecting);
    EXPECT_TRUE(done);
  });
}

TEST(WsConnection, FragmentedAndCompressedMessagesAreReassembled) {
  serve_and_talk(echo, {}, [](std::string url) -> Task<void> {
    ws::ClientOptions options = quiet_client();
    options.connection.fragment_size = 1000;
    std::string text;
    for (int i = 0; i < 5000; ++i) text += "line " + std::to_string(i) + "\n";
    auto talk = [&text](ws::Connection& ws) -> Task<void> {
      EXPECT_TRUE(ws.compressed());              // both sides offer and accept permessage-deflate
      for (int round = 0; round < 3; ++round) {  // context takeover across messages
        co_await ws.send_text(text);
        const auto reply = co_await ws.receive();
        EXPECT_TRUE(reply && reply->data == text);
      }
    };
    Task<void> connecting = ws::connect(url, talk, options);
    co_await std::move(connecting);
  });
}

TEST(WsConnection, TheServersCloseCodeAndReasonReachTheClient) {
  auto closing = [](ws::Connection& ws) -> Task<void> { co_await ws.close(4000, "bye"); };
  serve_and_talk(closing, {}, [](std::string url) -> Task<void> {
    std::uint16_t code = 0;
    std::string reason;
    auto talk = [&](ws::Connection& ws) -> Task<void> {
      EXPECT_FALSE(co_await ws.receive());
      code = ws.close_code();
      reason = ws.close_reason();
    };
    Task<void> connecting = ws::connect(url, talk, quiet_client());
    co_await std::move(connecting);
    EXPECT_EQ(code, 4000);
    EXPECT_EQ(reason, "bye");
  });
}

TEST(WsConnection, AMessageOverTheServersLimitClosesWith1009) {
  ws::ServerOptions options;
  options.connection.max_message_size = 1000;
  serve_and_talk(echo, options, [](std::string url) -> Task<void> {
    std::uint16_t code = 0;
    auto talk = [&](ws::Connection& ws) -> Task<void> {
      co_await ws.send_binary(std::string(1001, 'x'));
      EXPECT_FALSE(co_await ws.receive());
      code = ws.close_code();
    };
    Task<void> connecting = ws::connect(url, talk, quiet_client());
    co_await std::move(connecting);
    EXPECT_EQ(code, ws::close_code::message_too_big);
  });
}

TEST(WsConnection, APeerThatAnswersNoPingIsClosedByTheKeepalive) {
  ws::ServerOptions options;
  options.connection.ping_interval = 50ms;
  options.connection.ping_timeout = 50ms;
  std::uint16_t server_saw = 0;
  auto watching = [&server_saw](ws::Connection& ws) -> Task<void> {
    while (co_await ws.receive()) {
    }
    server_saw = ws.close_code();
  };
  serve_and_talk(watching, options, [](std::string url) -> Task<void> {
    // Never in receive(): its pings go unanswered.
    auto deaf = [](ws::Connection&) -> Task<void> { co_await sleep(500ms); };
    const auto start = Clock::now();
    Task<void> connecting = ws::connect(url, deaf, quiet_client());
    co_await std::move(connecting);
    EXPECT_LT(Clock::now() - start, 5s);
  });
  EXPECT_EQ(server_saw, ws::close_code::internal_error);
}

TEST(WsConnection, APeerThatStopsReadingIsClosedAtTheSendQueueLimit) {
  ws::ServerOptions options;
  options.connection.max_send_queue = 64 * 1024;
  bool refused = false;
  std::uint16_t code = 0;
  auto flooding = [&](ws::Connection& ws) -> Task<void> {
    // Incompressible and never repeated, as permessage-deflate with context takeover is on.
    std::uint32_t x = 1;
    for (int i = 0; i < 100 && !refused; ++i) {
      std::string noise(8 * 1024, '\0');
      for (char& c : noise) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
      refused = !ws.post(ws::PreparedMessage(ws::Opcode::binary, noise));
    }
    code = ws.close_code();
    co_return;
  };
  serve_and_talk(flooding, options, [](std::string url) -> Task<void> {
    auto idle = [](ws::Connection&) -> Task<void> { co_await sleep(100ms); };
    Task<void> connecting = ws::connect(url, idle, quiet_client());
    co_await std::move(connecting);
  });
  EXPECT_TRUE(refused);
  EXPECT_EQ(code, ws::close_code::policy_violation);
}

TEST(WsConnection, ARoomBroadcastReachesEveryMemberTheSenderIncluded) {
  ws::Room room;
  auto member = [&room](ws::Connection& ws) -> Task<void> {
    const ws::Room::Membership joined = room.join(ws);
    while (auto message = co_await ws.receive()) room.broadcast(message->data);
  };
  serve_and_talk(member, {}, [&room](std::string url) -> Task<void> {
    int received = 0;
    auto listener = [&](ws::Connection& ws) -> Task<void> {
      if (auto message = co_await ws.receive()) received += message->data == "hi all";
    };
    auto sender = [&](ws::Connection& ws) -> Task<void> {
      while (room.size() < 3) co_await sleep(5ms);
      co_await ws.send_text("hi all");
      if (auto message = co_await ws.receive()) received += message->data == "hi all";
    };
    Task<void> first = ws::connect(url, listener, quiet_client());
    Task<void> second = ws::connect(url, listener, quiet_client());
    Task<void> third = ws::connect(url, sender, quiet_client());
    co_await when_all(std::move(first), std::move(second), std::move(third));
    EXPECT_EQ(received, 3);
  });
}

TEST(WsConnection, ARefusedHandshakeSaysWhatTheServerAnswered) {
  serve_and_talk(echo, {}, [](std::string url) -> Task<void> {
    auto never = [](ws::Connection&) -> Task<void> { co_return; };
    try {
      Task<void> connecting = ws::connect(url + "missing", never, quiet_client());
      co_await std::move(connecting);
      ADD_FAILURE() << "the handshake succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::protocol_error);
      EXPECT_NE(std::string(e.what()).find("404"), std::string::npos) << e.what();
    }
  });
}

TEST(WsConnection, AUrlThatIsNotWebSocketIsRefused) {
  auto never = [](ws::Connection&) -> Task<void> { co_return; };
  try {
    test::run(ws::connect("http://127.0.0.1:1/", never));
    ADD_FAILURE() << "connected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_STREQ(e.what(),
                 "invalid WebSocket URL 'http://127.0.0.1:1/': the scheme must be ws or wss");
  }
}

}  // namespace
