import sys

from twisted.internet import protocol, reactor, endpoints

PORT = int(sys.argv[1])

class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)

class EchoFactory(protocol.Factory):
    def buildProtocol(self, addr):
        return Echo()

endpoints.serverFromString(reactor, f"tcp:{PORT}").listen(EchoFactory())
reactor.run()
