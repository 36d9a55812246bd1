// ws::Connection: one WebSocket after its handshake, on either side, and what a handler does
// with it.
//
//   Task<void> echo(ws::Connection& ws) {
//     while (auto message = co_await ws.receive()) co_await ws.send(message->opcode,
//     message->data);
//   }
//
// A connection runs as its handler runs (ws::accept on a server, ws::connect on a client): the
// handler receives and sends; beside it a writer drains the send queue and, when pings are on,
// a keepalive pings the peer and fails the connection when no pong comes back in time. Frames
// are read while the handler awaits receive(): pings are answered, pongs noted and the close
// handshake done there, so a handler that stops receiving stops answering pings too (as a
// Python websockets connection does once its queue is full). When the handler returns, the
// connection closes with 1000 unless it is closed already.
//
// Sending never blocks the loop: a message is framed (and compressed, when negotiated) into the
// send queue at once. send() then waits while more than `write_high_water` bytes are queued;
// post() does not wait, and a message that would take the queue past `max_send_queue` resets the
// connection (close_code() 1008; a TCP reset, as a close frame could not pass the full queue) or
// is dropped itself: one peer that stops reading cannot grow the server's memory. A message larger
// than the limit still goes when nothing is queued.
//
// One loop: a Connection is used on the loop that runs its handler. To send from another loop,
// post a PreparedMessage through that loop (ws::Room does).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/net/address.hpp>
#include <wirekit/net/buffered_stream.hpp>
#include <wirekit/ws/deflate.hpp>
#include <wirekit/ws/frame.hpp>
#include <wirekit/ws/handshake.hpp>

namespace wirekit::ws {

// What happens to a message posted to a peer whose send queue is full.
enum class SlowConsumer {
  close,  // the connection is closed with 1008 (policy violation)
  drop,   // the message is dropped (and counted)
};

struct ConnectionOptions {
  std::size_t max_message_size = 1 << 20;  // larger messages close with 1009 (Python's max_size)
  std::size_t max_frame_size = 0;          // 0: max_message_size
  std::size_t fragment_size = 0;           // messages sent in frames of at most this; 0: one
  Duration ping_interval = std::chrono::seconds(20);  // zero: no pings (Python's default: 20 s)
  Duration ping_timeout = std::chrono::seconds(20);   // no pong by then: closed with 1011
  Duration close_timeout = std::chrono::seconds(10);  // for the peer's answer to our close
  std::size_t write_high_water = 64 * 1024;           // send() waits while more is queued
  std::size_t max_send_queue = 4 * 1024 * 1024;       // bytes queued for a peer that does not read
  SlowConsumer slow_consumer = SlowConsumer::close;
};

// A message received: valid until the next receive().
struct MessageView {
  Opcode opcode = Opcode::text;  // text or binary
  std::string_view data;
  bool is_text() const noexcept { return opcode == Opcode::text; }
};

// A message framed once, to be posted to many connections of any loop: its frames are built at
// most once per form (uncompressed; compressed for each window size that peers without context
// takeover negotiated) and shared. Thread-safe; cheap to copy.
class PreparedMessage {
 public:
  PreparedMessage(Opcode opcode, std::string_view payload, std::size_t fragment_size = 0);

  Opcode opcode() const noexcept;
  std::size_t size() const noexcept;  // of the payload

 private:
  friend class Connection;
  struct Shared;
  // The frames as a server sends them to a peer with `deflate` negotiated (nullopt: none).
  std::shared_ptr<const std::string> frames(const std::optional<DeflateParams>& deflate,
                                            std::size_t compression_threshold) const;
  std::shared_ptr<Shared> shared_;
};

class Connection {
 public:
  // `options` and `peer` are kept by reference: they must outlive the connection (ws::accept
  // and ws::connect keep them so), which saves some 200 bytes on each of thousands.
  Connection(net::BufferedStream& stream, Role role, const ConnectionOptions& options,
             const std::optional<DeflateParams>& deflate, const DeflateOptions& deflate_options,
             std::string subprotocol, const net::SocketAddress& peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The next message; nullopt once the connection is closed (close_code() says how).
  Task<std::optional<MessageView>> receive();

  // Queues a message and waits while more than write_high_water bytes are queued. Throws
  // Error(errc::closed) when the connection is closed or closing.
  Task<void> send(Opcode opcode, std::string_view payload);
  Task<void> send_text(std::string_view text) { return send(Opcode::text, text); }
  Task<void> send_binary(std::string_view bytes) { return send(Opcode::binary, bytes); }
  // Queues a prepared message without waiting; false when it was not queued (closed, or
  // dropped by the slow-consumer policy).
  bool post(const PreparedMessage& message);

  // Starts the closing handshake (if nothing closed the connection yet) and waits for the
  // peer's close, at most close_timeout. Frames that arrive meanwhile are dropped. When another
  // task is in receive(), that task reads the peer's close (and returns nullopt) and this one
  // only waits for it.
  Task<void> close(std::uint16_t code = close_code::normal, std::string_view reason = {});

  bool is_open() const noexcept { return state_ == State::open; }
  // Once closed: the code the peer sent (1005 when none; 1006 when the TCP connection ended
  // without a close), or the code we failed the connection with.
  std::uint16_t close_code() const noexcept { return close_code_; }
  const std::string& close_reason() const noexcept { return close_reason_; }
  const std::string& subprotocol() const noexcept { return subprotocol_; }
  const net::SocketAddress& peer() const noexcept { return peer_; }
  bool compressed() const noexcept { return deflate_.has_value(); }
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  std::uint64_t dropped_messages() const noexcept { return dropped_; }

  // Runs `handler` on this connection with the writer and the keepalive beside it, then the
  // closing handshake; returns once the connection is over. When `going_away` is requested (a
  // server that begins to shut down) the connection is closed with 1001. ws::accept and
  // ws::connect call it.
  Task<void> run(std::function<Task<void>(Connection&)> handler, std::stop_token going_away = {});

 private:
  enum class State { open, closing, closed };

  // Queues bytes for the writer; `control` frames are never refused.
  bool enqueue(std::shared_ptr<const std::string> frames, bool control);
  // The fast path of send() to a peer that keeps up: a server's message that goes as one
  // uncompressed frame, with nothing queued before it, is written at once from the caller's
  // bytes (no copy, no queue, no wake-up of the writer); what the socket does not take is
  // queued. False when the message must take the queue.
  bool write_directly(Opcode opcode, std::string_view payload);
  void enqueue_control(Opcode opcode, std::string_view payload);
  void fail(std::uint16_t code, std::string_view reason);
  Task<void> write_loop();
  Task<void> keepalive();
  Task<void> close_when(std::stop_token going_away);
  Task<void> serve(const std::function<Task<void>(Connection&)>& handler);
  Task<void> await_writer();

  net::BufferedStream& stream_;
  Role role_;
  const ConnectionOptions& options_;
  std::optional<DeflateParams> deflate_;
  std::size_t compression_threshold_;
  std::unique_ptr<Compressor> own_compressor_;  // null when the loop's serves (no takeover)
  std::unique_ptr<Decompressor> decompressor_;
  Decoder decoder_;
  Encoder encoder_;
  std::string subprotocol_;
  const net::SocketAddress& peer_;

  std::size_t pending_consume_ = 0;  // input bytes of the message last returned
  // Frames to write, from queue_head_ on: a vector, as a std::deque holds some 600 bytes even
  // when empty.
  std::vector<std::shared_ptr<const std::string>> queue_;
  std::size_t queue_head_ = 0;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  wirekit::Event wake_writer_;  // the queue has something, or the connection closed
  wirekit::Event drained_;      // the queue fell below write_high_water, or the writer ended
  wirekit::Event pong_;
  wirekit::Event peer_closed_;
  TaskGroup* tasks_ = nullptr;  // while run() runs
  State state_ = State::open;
  bool writer_done_ = false;
  bool receiving_ = false;         // a task is in receive()
  bool abandoned_ = false;         // dropped at the send-queue limit: its queue is not drained
  std::stop_source stop_reading_;  // ends a pending read once the connection has failed
  std::uint16_t close_code_ = close_code::abnormal;
  std::string close_reason_;
};

using Handler = std::function<Task<void>(Connection&)>;

// Sends every message back as it came, text as text and binary as binary, until the connection
// closes: the server of conformance tests and benchmarks, and the client of `ws connect --echo`.
Task<void> echo(Connection& connection);

}  // namespace wirekit::ws
