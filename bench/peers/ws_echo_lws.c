/* WebSocket echo server on libwebsockets (4.1.6, Debian 12), the peer of bench/run.sh ws:
 * one service thread, no extensions (so no permessage-deflate), every message echoed whole with
 * its opcode. Written by us against the library's public API.
 *
 *   ws_echo_lws PORT [HOST=127.0.0.1]      SIGINT / SIGTERM stop it
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGE (16 * 1024 * 1024)

struct session {
  unsigned char* buf; /* LWS_PRE bytes of room, then the message */
  size_t cap, len;
  int binary, ready; /* ready: a whole message waits to be echoed */
};

static volatile sig_atomic_t stopping;
static struct lws_context* context;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
  if (context) lws_cancel_service(context);
}

static int echo_callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                         size_t len) {
  struct session* s = (struct session*)user;
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      memset(s, 0, sizeof *s);
      break;
    case LWS_CALLBACK_RECEIVE:
      if (lws_is_first_fragment(wsi)) {
        s->len = 0;
        s->binary = lws_frame_is_binary(wsi);
      }
      if (s->len + len > MAX_MESSAGE) return -1;
      if (LWS_PRE + s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : LWS_PRE + 4096;
        while (cap < LWS_PRE + s->len + len) cap *= 2;
        unsigned char* b = realloc(s->buf, cap);
        if (!b) return -1;
        s->buf = b;
        s->cap = cap;
      }
      memcpy(s->buf + LWS_PRE + s->len, in, len);
      s->len += len;
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        s->ready = 1;
        lws_rx_flow_control(wsi, 0); /* one message at a time: read on once it is echoed */
        lws_callback_on_writable(wsi);
      }
      break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (!s->ready) break;
      if (lws_write(wsi, s->buf + LWS_PRE, s->len, s->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) <
          (int)s->len)
        return -1;
      s->ready = 0;
      s->len = 0;
      lws_rx_flow_control(wsi, 1);
      break;
    case LWS_CALLBACK_CLOSED:
      free(s->buf);
      s->buf = NULL;
      s->cap = 0;
      break;
    default:
      break;
  }
  return 0;
}

static const struct lws_protocols protocols[] = {
    /* The first protocol takes the connections that name none. rx_buffer_size: a 16 KiB message
     * arrives in one callback and leaves in one send() */
    {"echo", echo_callback, sizeof(struct session), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

int main(int argc, char** argv) {
  if (argc < 2) {
    lwsl_err("usage: ws_echo_lws PORT [HOST]\n");
    return 2;
  }
  lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = atoi(argv[1]);
  info.iface = argc > 2 ? argv[2] : "127.0.0.1";
  info.protocols = protocols;
  info.count_threads = 1;
  /* lws reads at most this much per read(); the default 4096 costs four reads per 16 KiB message
   * and a third more CPU per echo at that size (same figure at 512 B). */
  info.pt_serv_buf_size = 65536;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  /* info.extensions stays NULL: permessage-deflate is never negotiated */
  context = lws_create_context(&info);
  if (!context) {
    lwsl_err("ws_echo_lws: cannot listen on %s:%d\n", info.iface, info.port);
    return 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  lwsl_user("listening on %s:%d\n", info.iface, info.port);
  while (!stopping && lws_service(context, 0) >= 0) {
  }
  lws_context_destroy(context);
  return 0;
}
