"""A clean-room, Autobahn-equivalent WebSocket conformance suite (groups 1-7, 9, 10, 12, 13 of
crossbario/autobahn-testsuite, which cannot run on Debian 12), played over raw sockets against
a server under test and, by a fuzzing server, against a client under test.

- wire: frames, handshakes and permessage-deflate at the byte level;
- session: one case on one connection, the closing handshake and Autobahn's grading;
- endpoints: the opening handshake on both sides, the fuzzing server;
- cases: the case catalogue by group; corpora: stand-ins for groups 12/13's corpora;
- runner: running a case in either mode, the text report."""
