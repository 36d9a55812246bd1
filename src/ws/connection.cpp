// A WebSocket connection after its handshake (include/wirekit/ws/connection.hpp).
#include <algorithm>
#include <array>
#include <mutex>
#include <utility>
#include <vector>

#include <sys/uio.h>

#include <wirekit/ws/connection.hpp>

namespace wirekit::ws {

namespace {

// How many queued buffers one writev takes: a broadcast burst leaves in few system calls.
constexpr std::size_t max_batch = 64;
// What the send queue keeps of its size while idle.
constexpr std::size_t idle_queue_capacity = 4;

DecoderOptions decoder_options(const ConnectionOptions& o) {
  return {.max_message_size = o.max_message_size, .max_frame_size = o.max_frame_size};
}

// A compressor without context takeover holds nothing between messages: one per thread and
// window size serves every such connection of a loop, and every broadcast made on it, so their
// deflaters (some 256 KiB each at 15 bits) are not paid per connection or per message.
Compressor& loop_compressor(int window_bits, int mem_level) {
  thread_local std::array<std::array<std::unique_ptr<Compressor>, 10>, 16> compressors;
  std::unique_ptr<Compressor>& compressor = compressors.at(window_bits).at(mem_level);
  if (!compressor) compressor = std::make_unique<Compressor>(window_bits, true, mem_level);
  return *compressor;
}

// The compressor of our side, as negotiated (a server compresses with the server_ parameters,
// a client with the client_ ones): the loop's when it resets per message, else its own.
// `own` keeps a connection's own.
Compressor* our_compressor(Role role, const std::optional<DeflateParams>& p, int mem_level,
                           std::unique_ptr<Compressor>& own) {
  if (!p) return nullptr;
  const bool server = role == Role::server;
  const int bits = server ? p->server_max_window_bits : p->client_max_window_bits;
  if (server ? p->server_no_context_takeover : p->client_no_context_takeover) {
    return &loop_compressor(std::max(bits, 9), mem_level);
  }
  own = std::make_unique<Compressor>(bits, false, mem_level);
  return own.get();
}

// The decompressor of the peer's side: a server inflates with the client_ parameters.
std::unique_ptr<Decompressor> make_decompressor(Role role, const std::optional<DeflateParams>& p) {
  if (!p) return nullptr;
  return role == Role::server ? std::make_unique<Decompressor>(p->client_max_window_bits,
                                                               p->client_no_context_takeover)
                              : std::make_unique<Decompressor>(p->server_max_window_bits,
                                                               p->server_no_context_takeover);
}

Task<void> wait_for(wirekit::Event& event) {
  co_await event.wait();
}

}  // namespace

// ---- PreparedMessage ---------------------------------------------------------------------------

struct PreparedMessage::Shared {
  Opcode opcode;
  std::string payload;
  std::size_t fragment_size;
  std::mutex lock;  // the forms are built on first use, by whichever loop asks first
  std::shared_ptr<const std::string> plain;
  std::array<std::shared_ptr<const std::string>, 16> compressed;  // by window bits
};

PreparedMessage::PreparedMessage(Opcode opcode, std::string_view payload, std::size_t fragment_size)
    : shared_(std::make_shared<Shared>()) {
  shared_->opcode = opcode;
  shared_->payload = payload;
  shared_->fragment_size = fragment_size;
}

Opcode PreparedMessage::opcode() const noexcept {
  return shared_->opcode;
}

std::size_t PreparedMessage::size() const noexcept {
  return shared_->payload.size();
}

std::shared_ptr<const std::string> PreparedMessage::frames(
    const std::optional<DeflateParams>& deflate, std::size_t compression_threshold) const {
  Shared& s = *shared_;
  const std::lock_guard guard(s.lock);
  const bool compress = deflate && s.payload.size() >= compression_threshold;
  std::shared_ptr<const std::string>& form =
      compress ? s.compressed[deflate->server_max_window_bits] : s.plain;
  if (!form) {
    auto frames = std::make_shared<std::string>();
    // Without context takeover every message starts a fresh window, so one compressed form
    // serves every peer that negotiated the same window size.
    Compressor* compressor =
        compress ? &loop_compressor(std::max<int>(deflate->server_max_window_bits, 9), 8) : nullptr;
    Encoder encoder(Role::server, {.fragment_size = s.fragment_size}, compressor);
    encoder.message(s.opcode, s.payload, *frames);
    form = std::move(frames);
  }
  return form;
}

// ---- Connection --------------------------------------------------------------------------------

Connection::Connection(net::BufferedStream& stream, Role role, const ConnectionOptions& options,
                       const std::optional<DeflateParams>& deflate,
                       const DeflateOptions& deflate_options, std::string subprotocol,
                       const net::SocketAddress& peer)
    : stream_(stream),
      role_(role),
      options_(options),
      deflate_(deflate),
      compression_threshold_(deflate_options.compression_threshold),
      decompressor_(make_decompressor(role, deflate)),
      decoder_(role, decoder_options(options), decompressor_.get()),
      encoder_(role,
               {.fragment_size = options.fragment_size,
                .compression_threshold = deflate_options.compression_threshold},
               our_compressor(role, deflate, deflate_options.mem_level, own_compressor_)),
      subprotocol_(std::move(subprotocol)),
      peer_(peer) {}

Connection::~Connection() = default;

Task<std::optional<MessageView>> Connection::receive() {
  if (receiving_) throw Error(errc::misuse, "WebSocket receive: another task is receiving");
  receiving_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{receiving_};
  stream_.consume(std::exchange(pending_consume_, 0));
  // The decoder takes every byte it is given (a frame split across reads waits inside it), so
  // reads need room for one block only; a frame that arrived whole is decoded where it lies.
  constexpr std::size_t read_limit = net::BufferedStream::default_capacity;
  for (;;) {
    if (state_ == State::closed) co_return std::nullopt;
    std::size_t consumed = 0;
    const auto event = decoder_.next(stream_.mutable_buffered(), consumed);
    switch (event.kind) {
      case Event::Kind::text:
      case Event::Kind::binary:
        if (state_ == State::closing) {  // after our close, data is dropped
          stream_.consume(consumed);
          continue;
        }
        pending_consume_ = consumed;
        co_return MessageView{
            .opcode = event.kind == Event::Kind::text ? Opcode::text : Opcode::binary,
            .data = event.payload};
      case Event::Kind::ping:
        if (state_ == State::open) enqueue_control(Opcode::pong, event.payload);
        stream_.consume(consumed);
        continue;
      case Event::Kind::pong:
        pong_.set();
        stream_.consume(consumed);
        continue;
      case Event::Kind::close:
        close_code_ = event.code;
        close_reason_ = event.payload;
        if (state_ == State::open) {
          // The echo carries the peer's code (none when it sent none: 1005 never goes out).
          enqueue_control(Opcode::close, event.code == close_code::no_status
                                             ? std::string()
                                             : Encoder::close_payload(event.code, {}));
        }
        stream_.consume(consumed);
        state_ = State::closed;
        peer_closed_.set();
        wake_writer_.set();
        co_return std::nullopt;
      case Event::Kind::failure:
        stream_.consume(consumed);
        fail(event.code, event.payload);
        co_return std::nullopt;
      case Event::Kind::need_more:
        break;
    }
    stream_.consume(consumed);
    bool more = false;
    bool reset = false;
    try {
      if (stream_.empty()) {
        // Idle: the block goes back to the loop's pool while we wait, so an idle connection
        // holds no read buffer.
        stream_.release();
        co_await stream_.wait_readable().until(stop_reading_.get_token());
      }
      Task<bool> filling = stream_.fill(read_limit);
      filling.add_stop_token(stop_reading_.get_token());
      more = co_await std::move(filling);
    } catch (const Error& e) {
      // Our own stop (the connection failed) ends the read; a stop from outside goes on.
      if (e.code() == errc::cancelled && !stop_reading_.stop_requested()) throw;
      reset = true;  // the peer reset the connection, or the read failed: as an EOF
    }
    if (stop_reading_.stop_requested()) co_return std::nullopt;
    if (!more || reset) {
      close_code_ = close_code::abnormal;
      state_ = State::closed;
      peer_closed_.set();
      wake_writer_.set();
      co_return std::nullopt;
    }
  }
}

bool Connection::write_directly(Opcode opcode, std::string_view payload) {
  const bool one_plain_frame =
      role_ == Role::server && (opcode == Opcode::text || opcode == Opcode::binary) &&
      (!deflate_ || payload.size() < compression_threshold_) &&
      (options_.fragment_size == 0 || payload.size() <= options_.fragment_size);
  if (!one_plain_frame || queue_head_ != queue_.size()) return false;
  std::array<char, max_header_size> header;
  const std::size_t header_size =
      write_frame_header(header.data(), true, false, opcode, payload.size(), nullptr);
  const std::array<iovec, 2> chunks = {iovec{header.data(), header_size},
                                       iovec{const_cast<char*>(payload.data()), payload.size()}};
  const net::Attempt attempt = stream_.try_writev(chunks);
  if (attempt.error) return false;  // the writer meets the error and ends the connection
  const std::size_t written = attempt.would_block ? 0 : attempt.bytes;
  if (written == header_size + payload.size()) return true;
  // The rest of the frame waits in the queue, which never refuses it: its start is on the wire.
  auto rest = std::make_shared<std::string>();
  if (written < header_size) {
    rest->assign(header.data() + written, header_size - written);
    rest->append(payload);
  } else {
    rest->assign(payload.substr(written - header_size));
  }
  enqueue(std::move(rest), true);
  return true;
}

Task<void> Connection::send(Opcode opcode, std::string_view payload) {
  if (state_ != State::open) throw Error(errc::closed, "WebSocket send: the connection is closed");
  if (write_directly(opcode, payload)) co_return;
  auto frames = std::make_shared<std::string>();
  encoder_.message(opcode, payload, *frames);
  enqueue(std::move(frames), false);
  while (queued_bytes_ > options_.write_high_water && !writer_done_) {
    drained_.reset();
    co_await drained_.wait();
  }
}

bool Connection::post(const PreparedMessage& message) {
  if (state_ != State::open) return false;
  // Shared frames fit a peer when they are the server's and need no compression state of this
  // connection; otherwise the message is framed (and compressed) for this peer alone.
  const bool shareable =
      role_ == Role::server && (!deflate_ || deflate_->server_no_context_takeover ||
                                message.size() < compression_threshold_);
  if (shareable) return enqueue(message.frames(deflate_, compression_threshold_), false);
  auto frames = std::make_shared<std::string>();
  encoder_.message(message.opcode(), message.shared_->payload, *frames);
  return enqueue(std::move(frames), false);
}

bool Connection::enqueue(std::shared_ptr<const std::string> frames, bool control) {
  // A message larger than the limit goes when nothing is queued: the limit bounds what a peer
  // that does not read makes us hold, not the size of a message.
  if (!control && queued_bytes_ > 0 && queued_bytes_ + frames->size() > options_.max_send_queue) {
    if (options_.slow_consumer == SlowConsumer::drop) {
      ++dropped_;
      return false;
    }
    // The peer does not read: a close frame behind a full queue would never reach it, so the
    // connection is reset now (a frame may be half written: an orderly end after it would look
    // like a complete stream, and the kernel would hold the unsent megabytes for minutes).
    close_code_ = close_code::policy_violation;
    close_reason_ = "send queue limit exceeded";
    state_ = State::closed;
    abandoned_ = true;
    peer_closed_.set();
    stop_reading_.request_stop();
    stream_.reset();
    return false;
  }
  queued_bytes_ += frames->size();
  queue_.push_back(std::move(frames));
  wake_writer_.set();
  return true;
}

void Connection::enqueue_control(Opcode opcode, std::string_view payload) {
  auto frame = std::make_shared<std::string>();
  encoder_.control(opcode, payload, *frame);
  enqueue(std::move(frame), true);
}

void Connection::fail(std::uint16_t code, std::string_view reason) {
  if (state_ == State::closed) return;
  close_code_ = code;
  close_reason_ = reason;
  if (state_ == State::open) enqueue_control(Opcode::close, Encoder::close_payload(code, {}));
  state_ = State::closed;
  peer_closed_.set();
  wake_writer_.set();
}

Task<void> Connection::close(std::uint16_t code, std::string_view reason) {
  if (state_ == State::open) {
    close_code_ = code;
    close_reason_ = reason;
    enqueue_control(Opcode::close, Encoder::close_payload(code, reason));
    state_ = State::closing;
  }
  if (state_ != State::closing) co_return;
  // The peer's close comes through receive(): read until it does (or let the task that is
  // reading do it), or until the time is up.
  auto reading = [](Connection& self) -> Task<void> {
    if (self.receiving_) {
      co_await self.peer_closed_.wait();
    } else {
      while (co_await self.receive()) {
      }
    }
  };
  Task<void> until_closed = reading(*this);
  std::string what = "WebSocket close";  // named: g++ 12 destroys temporaries of a co_await twice
  try {
    co_await with_timeout(options_.close_timeout, std::move(until_closed), std::move(what));
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) throw;
  }
  state_ = State::closed;
  wake_writer_.set();
}

Task<void> Connection::write_loop() {
  std::vector<iovec> chunks;
  for (;;) {
    while (queue_head_ == queue_.size()) {
      // Idle: what a burst made the queue grow to goes back, so an idle connection holds a
      // few pointers at most.
      queue_.clear();
      queue_head_ = 0;
      if (queue_.capacity() > idle_queue_capacity) queue_.shrink_to_fit();
      if (chunks.capacity() > idle_queue_capacity) chunks = {};
      if (state_ == State::closed) {
        writer_done_ = true;
        drained_.set();
        co_return;
      }
      wake_writer_.reset();
      co_await wake_writer_.wait();
    }
    const std::size_t batch = std::min(queue_.size() - queue_head_, max_batch);
    chunks.clear();
    for (std::size_t i = queue_head_; i < queue_head_ + batch; ++i) {
      chunks.push_back({const_cast<char*>(queue_[i]->data()), queue_[i]->size()});
    }
    co_await stream_.writev(chunks);
    for (std::size_t i = 0; i < batch; ++i, ++queue_head_) {
      queued_bytes_ -= queue_[queue_head_]->size();
      queue_[queue_head_].reset();
    }
    if (queue_head_ >= max_batch && 2 * queue_head_ >= queue_.size()) {
      // A queue that never empties moves its rest to the front now and then (amortised O(1)).
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
      queue_head_ = 0;
    }
    if (queued_bytes_ <= options_.write_high_water) drained_.set();
  }
}

Task<void> Connection::keepalive() {
  for (;;) {
    co_await sleep(options_.ping_interval);
    if (state_ != State::open) co_return;
    pong_.reset();
    enqueue_control(Opcode::ping, {});
    Task<void> answer = wait_for(pong_);
    std::string what = "WebSocket ping";
    bool answered = true;
    try {
      co_await with_timeout(options_.ping_timeout, std::move(answer), std::move(what));
    } catch (const Error& e) {
      if (e.code() != errc::timed_out) throw;
      answered = false;
    }
    if (!answered) {
      // The peer is gone, or does not read: the close is sent if it can be, and receive()
      // returns at once.
      fail(close_code::internal_error, "keepalive ping timeout");
      stop_reading_.request_stop();
      co_return;
    }
  }
}

Task<void> Connection::close_when(std::stop_token going_away) {
  wirekit::Event requested;
  // Requested on this connection's own loop (net::TcpServer::draining), so setting is safe.
  const std::stop_callback on_request(going_away, [&requested] { requested.set(); });
  co_await requested.wait();
  co_await close(close_code::going_away, "server shutting down");
}

Task<void> Connection::await_writer() {
  wake_writer_.set();
  while (!writer_done_) {
    drained_.reset();
    co_await drained_.wait();
  }
}

Task<void> Connection::serve(const Handler& handler) {
  bool handler_failed = false;
  try {
    Task<void> running = handler(*this);
    co_await std::move(running);
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) throw;
    handler_failed = true;
  } catch (...) {
    handler_failed = true;
  }
  co_await close(handler_failed ? close_code::internal_error : close_code::normal);
  if (!abandoned_) {
    // What is queued (our close among it) goes out, within the close timeout.
    Task<void> writing = await_writer();
    std::string what = "WebSocket close";
    try {
      co_await with_timeout(options_.close_timeout, std::move(writing), std::move(what));
    } catch (const Error& e) {
      if (e.code() == errc::cancelled) throw;
    }
  }
  tasks_->cancel();  // the keepalive, and a writer still blocked on a peer that does not read
}

Task<void> Connection::run(Handler handler, std::stop_token going_away) {
  TaskGroup tasks;
  tasks_ = &tasks;
  tasks.spawn(write_loop());
  if (options_.ping_interval > Duration::zero()) tasks.spawn(keepalive());
  if (going_away.stop_possible()) tasks.spawn(close_when(std::move(going_away)));
  tasks.spawn(serve(handler));
  try {
    co_await tasks.join();
  } catch (const Error&) {
    // A keepalive timeout, a write that failed, a slow consumer dropped: the connection is
    // over either way, and close_code() says how.
  }
  tasks_ = nullptr;
  state_ = State::closed;
}

Task<void> echo(Connection& connection) {
  while (auto message = co_await connection.receive()) {
    co_await connection.send(message->opcode, message->data);
  }
}

}  // namespace wirekit::ws
